"""The retention period (AVG storage limitation): contact persons of companies without any
activity for ``CRM_RETENTION_MONTHS`` are anonymised by ``flask --app wsgi crm retention``."""
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select

from ..models import AuditEntry, Company, ContactPerson, Intervention, Referral, utcnow
from .privacy import erase_contact


#: Audit actions that are no activity with the company (reading, exporting, anonymising).
NOT_ACTIVITY = ("retention", "erase", "export", "access-report")


def inactive_companies(months: int, now: datetime | None = None):
    """Companies with contact persons and no intervention, referral or edit in ``months``."""
    cutoff = (now or utcnow()) - timedelta(days=round(months * 30.44))
    return select(Company.id).where(
        exists().where(ContactPerson.company_id == Company.id),
        Company.created_at < cutoff,
        or_(Company.updated_at.is_(None), Company.updated_at < cutoff),
        ~exists().where(Intervention.company_id == Company.id,
                        or_(Intervention.created_at >= cutoff,
                            Intervention.occurred_on >= cutoff.date())),
        ~exists().where(Referral.company_id == Company.id,
                        or_(Referral.created_at >= cutoff, Referral.closed_at >= cutoff)),
        ~exists().where(AuditEntry.company_id == Company.id, AuditEntry.at >= cutoff,
                        AuditEntry.action.not_in(NOT_ACTIVITY)))


def apply_retention(session, months: int, *, now: datetime | None = None) -> dict:
    """Anonymise the contact persons of companies inactive for longer than ``months``: their
    records and the values the audit trail recorded of them are removed."""
    ids = session.scalars(inactive_companies(months, now)).all()
    contacts = session.scalars(select(ContactPerson).where(
        ContactPerson.company_id.in_(ids))).all() if ids else []
    for contact in contacts:
        erase_contact(session, contact, by=None, action="retention")
    session.flush()
    return {"companies": len(ids), "contact_persons": len(contacts)}
