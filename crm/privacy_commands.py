"""``flask --app wsgi crm erase-person EMAIL``, ``crm access-report EMAIL`` and
``crm retention``: the privacy officer's commands (no confirmation; they run from scripts).

Wired into the ``crm`` command group by :func:`register` (see :mod:`crm.cli`).
"""
import json
from pathlib import Path

import click
from flask import current_app

from .extensions import db
from .journeys.errors import ValidationFailed
from .journeys.privacy import access_report, erase, find_person, purge_freed_space
from .journeys.retention import apply_retention

LABELS = {"contact_persons": "contact person record(s) removed",
          "intake_requests": "front-door question(s) anonymised",
          "survey_invitations": "survey invitation address(es) removed",
          "outgoing_mail": "outgoing e-mail(s) removed or cleaned",
          "texts": "text field(s) with a mention cleaned",
          "audit_entries": "audit entr(y/ies) cleaned",
          "sign_in_attempts": "sign-in attempt(s) removed"}


def _person(email):
    try:
        return find_person(db.session, email)
    except ValidationFailed:
        raise click.ClickException(f"{email!r} is not an e-mail address.")


def register(group) -> None:
    @group.command("erase-person")
    @click.argument("email")
    def erase_person(email):
        """Erase everything held about the person with EMAIL (AVG article 17).

        Exit status 1 when nothing about EMAIL was found."""
        person = _person(email)
        done = erase(db.session, person, by=None)
        if not any(done.values()):
            db.session.rollback()
            raise click.ClickException(f"Nothing is held about {person.email}; nothing erased.")
        db.session.commit()
        how = purge_freed_space(db.engine)
        click.echo(f"Erased {person.email}:")
        for key, count in done.items():
            if count:
                click.echo(f"  {count} {LABELS[key]}")
        click.echo(f"Freed space cleared ({how}).")

    @group.command("access-report")
    @click.argument("email")
    @click.option("--output", "-o", type=click.Path(dir_okay=False), required=True,
                  help="File to write: .pdf for the PDF report, anything else for JSON.")
    def access_report_command(email, output):
        """Write everything held about the person with EMAIL (AVG article 15)."""
        from .journeys import audit
        person = _person(email)
        report = access_report(db.session, person)
        path = Path(output)
        if path.suffix.lower() == ".pdf":
            from .reports.access_report import render_pdf
            path.write_bytes(render_pdf(report))
        else:
            path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        audit.record(None, "access-report", "person", 0, session=db.session,
                     changes={"format": [None, path.suffix.lower().lstrip(".") or "json"]})
        db.session.commit()
        found = sum(len(v) for v in report.values() if isinstance(v, list))
        click.echo(f"Access report for {person.email} written to {path} ({found} item(s)).")

    @group.command("retention")
    @click.option("--months", type=click.IntRange(1, 1200), default=None,
                  help="Retention period; default CRM_RETENTION_MONTHS.")
    def retention(months):
        """Anonymise the contact persons of companies without any intervention, referral or
        edit in the retention period."""
        months = months or current_app.config["RETENTION_MONTHS"]
        done = apply_retention(db.session, months)
        db.session.commit()
        if done["contact_persons"]:
            purge_freed_space(db.engine)
        click.echo(f"Retention {months} months: {done['contact_persons']} contact person(s) "
                   f"of {done['companies']} inactive compan(y/ies) anonymised.")
