"""``flask --app wsgi crm send-mail`` and ``crm notify-overdue``, for cron.

Wired into the ``crm`` command group by :func:`register` (see :mod:`crm.cli`).
"""
import click
from flask import current_app
from flask.cli import with_appcontext

from .extensions import db
from .mail import send_pending_from_config


@click.command("send-mail")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Send at most this many messages in this run.")
@with_appcontext
def send_mail(limit):
    """Send the queued notification e-mail (exit status 1 when some could not be sent)."""
    report = send_pending_from_config(db.session, current_app.config, limit=limit)
    if report.skipped_reason:
        click.echo(f"Nothing sent: {report.skipped_reason}.", err=bool(report.failed))
    if report.sent or report.failed or not report.skipped_reason:
        click.echo(f"Sent {report.sent} message(s), {report.failed} failed.")
    if report.failed:
        raise SystemExit(1)


@click.command("notify-overdue")
@with_appcontext
def notify_overdue():
    """Notify both organisations once of every referral not accepted in time."""
    from .journeys.referrals import notify_overdue as notify
    count = notify(db.session)
    db.session.commit()
    click.echo(f"Notified {count} overdue referral(s).")


def register(group: click.Group) -> None:
    """Add the mail commands to the ``crm`` command group."""
    group.add_command(send_mail)
    group.add_command(notify_overdue)
