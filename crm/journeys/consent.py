"""The entrepreneur's consent to share the company's journey within the network."""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session

from ..models import Company, Consent, User, utcnow
from . import audit
from .errors import N_, DomainError, ValidationFailed


class NoConsent(DomainError):
    message = N_("There is no current consent to withdraw.")


class AlreadyConsented(DomainError):
    message = N_("This company already has a current consent, recorded %(when)s.")


def current_consent(company: Company) -> Consent | None:
    return object_session(company).scalars(select(Consent).where(
        Consent.company_id == company.id, Consent.withdrawn_at.is_(None))).first()


def give_consent(company: Company, basis: str, *, by: User) -> Consent:
    """Record that the entrepreneur agrees to share the journey (who, when, on what basis)."""
    session = object_session(by)
    basis = " ".join((basis or "").split())
    if not basis:
        raise ValidationFailed({"basis": [(N_(
            "Say on what basis the consent was given (for example: verbally at the intake)."),
            {})]})
    if len(basis) > 300:
        raise ValidationFailed({"basis": [(N_("At most %(max)d characters."), {"max": 300})]})
    existing = current_consent(company)
    if existing is not None:
        raise AlreadyConsented(when=existing.given_at)
    consent = Consent(company_id=company.id, organisation_id=by.organisation_id,
                      recorded_by_id=by.id, basis=basis, given_at=utcnow())
    session.add(consent)
    try:
        session.flush()
    except IntegrityError:  # someone recorded one at the same moment (one current per company)
        session.rollback()
        existing = current_consent(company)
        raise AlreadyConsented(when=existing.given_at if existing else utcnow()) from None
    audit.record(by, "create", "consent", consent.id, company_id=company.id,
                 changes={"basis": [None, basis]})
    return consent


def withdraw_consent(company: Company, *, by: User, note: str = "") -> Consent:
    """Withdraw the current consent: shared entries are hidden again at once."""
    session = object_session(by)
    consent = current_consent(company)
    if consent is None:
        raise NoConsent()
    # Compare-and-set: of two withdrawals at the same moment exactly one changes the row.
    changed = session.execute(
        update(Consent).where(Consent.id == consent.id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), withdrawn_by_id=by.id,
                withdrawal_note=(note or "").strip()[:2000] or None)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        session.rollback()
        raise NoConsent()
    session.refresh(consent)
    audit.record(by, "withdraw", "consent", consent.id, company_id=company.id,
                 changes={"withdrawn_at": [None, consent.withdrawn_at]})
    return consent


def consent_history(company: Company):
    return (select(Consent).where(Consent.company_id == company.id)
            .order_by(Consent.given_at))
