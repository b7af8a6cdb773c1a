"""Sending the e-mail outbox (:class:`~crm.models.OutgoingMail`) over SMTP.

Notifications write their e-mail into the ``outgoing_mail`` table in the same transaction as
the change that caused them; ``flask --app wsgi crm send-mail`` (run from cron) hands them to the
SMTP server with :func:`send_pending`. This module needs no Flask: it takes plain settings.

Delivery is **at least once**. Every message is committed on its own, right after the SMTP
server accepted it: a crash (or a lost database connection) between the server's "250 OK" and
that commit sends that one message again on the next run, never more. Two runs at the same time
do not send the same message twice on PostgreSQL: a message is locked (``FOR UPDATE SKIP
LOCKED``) while it is being sent.

A message that cannot be delivered gets ``attempts`` + 1 and the error in ``last_error`` and is
retried on later runs, with a growing pause (1, 3, 7, 15 … minutes after it was queued), so a
mail server that is down for a while does not use up its attempts within a few cron runs. After
:data:`MAX_ATTEMPTS` failures it is given up: kept in the table for the operator, no longer sent.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import OutgoingMail, utcnow

log = logging.getLogger(__name__)

#: After this many failed attempts a message is given up (kept, but no longer sent).
MAX_ATTEMPTS = 10
#: Seconds to wait for the SMTP server before giving up on this run.
SMTP_TIMEOUT = 30


@dataclass(frozen=True)
class SendReport:
    #: Messages the SMTP server accepted.
    sent: int = 0
    #: Messages that failed this run (they are retried later until MAX_ATTEMPTS).
    failed: int = 0
    #: Why nothing was attempted (no server configured, or it could not be reached).
    skipped_reason: str | None = None


def retry_delay(attempts: int) -> timedelta:
    """How long after queueing a message that failed ``attempts`` times is tried again:
    2^n − 1 minutes (0, 1, 3, 7 … so the 10th attempt comes about 8½ hours after the first)."""
    return timedelta(minutes=2 ** attempts - 1)


def _pending():
    return (OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)


def due_ids(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Unsent, not given up messages whose retry pause is over, oldest first."""
    now = now or utcnow()
    rows = session.execute(select(OutgoingMail.id, OutgoingMail.created_at, OutgoingMail.attempts)
                           .where(*_pending()).order_by(OutgoingMail.id)).all()
    due = []
    for row in rows:
        if row.created_at + retry_delay(row.attempts) <= now:
            due.append(row.id)
            if len(due) >= limit:
                break
    return due


def build_message(mail: OutgoingMail, *, sender: str, base_url: str) -> EmailMessage:
    """The e-mail for ``mail``: UTF-8 subject and body, ``{base_url}`` filled in."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "volgende-deur.invalid"
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(idstring=f"vd{mail.id}", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    body = mail.body.replace("{base_url}", base_url.rstrip("/"))
    # 7-bit safe, whatever the relay supports (8BITMIME or not).
    msg.set_content(body, charset="utf-8",
                    cte=None if body.isascii() else "quoted-printable")
    return msg


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _connect(server: str, port: int, username: str, password: str,
             use_tls: bool) -> smtplib.SMTP:
    smtp = smtplib.SMTP(server, port, timeout=SMTP_TIMEOUT)
    try:
        smtp.ehlo()
        if use_tls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if username:
            smtp.login(username, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _record_failure(session: Session, ids: list[int], error: BaseException) -> None:
    session.execute(update(OutgoingMail)
                    .where(OutgoingMail.id.in_(ids), OutgoingMail.sent_at.is_(None))
                    .values(attempts=OutgoingMail.attempts + 1, last_error=_error_text(error)))
    session.commit()


def send_pending(session: Session, *, server: str, port: int = 25, username: str = "",
                 password: str = "", use_tls: bool = False, sender: str, base_url: str,
                 limit: int = 500, now: datetime | None = None) -> SendReport:
    """Send up to ``limit`` due messages, oldest first; commits ``session`` per message.

    Never raises for SMTP or network trouble: that is counted in ``failed`` (and, when the
    server cannot be reached at all, explained in ``skipped_reason``).
    """
    if not server:
        return SendReport(skipped_reason="no mail server configured (CRM_MAIL_SERVER is empty); "
                                         "messages stay queued")
    ids = due_ids(session, now=now, limit=limit)
    session.commit()  # end the read transaction; each message gets its own below
    if not ids:
        return SendReport()
    try:
        smtp = _connect(server, port, username, password, use_tls)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("Cannot reach mail server %s:%s: %s", server, port, error)
        _record_failure(session, ids, error)
        return SendReport(failed=len(ids), skipped_reason=(
            f"cannot reach mail server {server}:{port}: {_error_text(error)}"))

    sent = failed = 0
    try:
        for mail_id in ids:
            # Locked while it is sent, so a concurrent run skips it (PostgreSQL; SQLite has
            # one writer and ignores FOR UPDATE). Re-checked: another run may have sent it.
            mail = session.scalar(select(OutgoingMail)
                                  .where(OutgoingMail.id == mail_id, *_pending())
                                  .with_for_update(skip_locked=True))
            if mail is None:
                session.commit()
                continue
            try:
                smtp.send_message(build_message(mail, sender=sender, base_url=base_url))
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
                lost = error
            except (smtplib.SMTPException, ValueError) as error:
                # Refused (recipient, sender, data) or not a valid message: try again later.
                mail.attempts += 1
                mail.last_error = _error_text(error)
                session.commit()
                failed += 1
                log.warning("Mail message %s not accepted: %s", mail_id, error)
                continue
            except OSError as error:  # after SMTPException, which is an OSError too
                lost = error
            else:
                mail.sent_at = utcnow()
                session.commit()
                sent += 1
                continue
            # The connection is gone: count this one, leave the rest for the next run.
            mail.attempts += 1
            mail.last_error = _error_text(lost)
            session.commit()
            failed += 1
            log.warning("Mail connection lost while sending message %s: %s", mail_id, lost)
            break
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return SendReport(sent=sent, failed=failed)


def send_pending_from_config(session: Session, config, **kwargs) -> SendReport:
    """:func:`send_pending` with the ``MAIL_*`` and ``BASE_URL`` settings of a Flask config."""
    return send_pending(
        session, server=config.get("MAIL_SERVER") or "", port=int(config.get("MAIL_PORT") or 25),
        username=config.get("MAIL_USERNAME") or "", password=config.get("MAIL_PASSWORD") or "",
        use_tls=bool(config.get("MAIL_USE_TLS")),
        sender=config.get("MAIL_SENDER") or "Volgende Deur <noreply@localhost>",
        base_url=config.get("BASE_URL") or "http://127.0.0.1:5000", **kwargs)
