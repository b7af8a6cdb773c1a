"""Notifications: in-app for every user of the organisation concerned, and queued e-mail.

The e-mail rows are written in the same transaction as the change that caused them and sent
later by ``flask --app wsgi crm send-mail`` (see :mod:`crm.mail`); without a mail server they
simply wait.
"""
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from ..catalogue import translate
from ..models import Notification, OutgoingMail, Referral, User, utcnow
from .errors import N_

#: Kinds, with the English subject (a msgid; mail is written in the recipient's language).
KINDS = {
    "referral-new": N_("New referral: %(company)s from %(organisation)s"),
    "referral-accepted": N_("Referral accepted: %(company)s by %(organisation)s"),
    "referral-rejected": N_("Referral declined: %(company)s by %(organisation)s"),
    "referral-completed": N_("Referral completed: %(company)s by %(organisation)s"),
    "referral-failed": N_("Referral closed without follow-up: %(company)s by %(organisation)s"),
    "referral-cancelled": N_("Referral cancelled: %(company)s by %(organisation)s"),
    "referral-overdue": N_("Referral not yet accepted: %(company)s (%(organisation)s)"),
}


def _recipients(session: Session, organisation_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == organisation_id,
                                                   User.active.is_(True))))


def notify_referral(session: Session, kind: str, referral: Referral, *, to_organisation_id: int,
                    other_organisation_name: str) -> int:
    """Notify every active user of ``to_organisation_id``; returns how many were notified."""
    users = _recipients(session, to_organisation_id)
    now = utcnow()
    params = {"company": referral.company.name, "organisation": other_organisation_name}
    for user in users:
        session.add(Notification(user_id=user.id, kind=kind, referral_id=referral.id,
                                 company_id=referral.company_id, created_at=now))
        subject = translate(KINDS[kind], user.locale) % params
        session.add(OutgoingMail(
            to_address=user.email, subject=subject[:300], created_at=now,
            body=_body(subject, referral, user)))
    return len(users)


def _body(subject: str, referral: Referral, user: User) -> str:
    text = translate(N_("Open the referral in Volgende Deur: %(path)s"), user.locale)
    # {base_url} is filled in by the sender (crm.mail), which knows where the site lives.
    return f"{subject}\n\n{text % {'path': '{base_url}/referrals/%d' % referral.id}}\n"


#: Built once and run on the session's connection: every page's menu shows the count.
_UNREAD = (select(func.count()).select_from(Notification)
           .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)))


def unread_count(session: Session, user: User) -> int:
    return session.connection().execute(_UNREAD, {"user_id": user.id}).scalar()


def notifications_for(user: User):
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.id.desc()))


def mark_read(session: Session, user: User, ids: list[int] | None = None) -> None:
    stmt = update(Notification).where(Notification.user_id == user.id,
                                      Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    session.execute(stmt.values(read_at=utcnow()))
