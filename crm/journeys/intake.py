"""The one front door: questions left on the public form, and their triage by the intake point.

The public side (:func:`submit_question`) is hostile territory. It validates strictly, keeps a
rate limit per client address in the database (``form_submissions``, shared by every app
process), drops what a bot typed into the honeypot field without saying so, and never reveals
whether the company is known: the question is stored on its own and only linked to a company
record when the intake point's staff triage it.

Routing: a question goes to the active organisation with ``intake_point`` set that serves the
province of the municipality the entrepreneur chose. When several do, the one serving the
fewest provinces (the most local one) wins, then the lowest id. When none serves that
province, any active intake point takes it (again fewest provinces first, so a national intake
point without provinces is the natural catch-all). When the network has no intake point at all,
the question is still stored, in the queue of the lowest-id active organisation of kind
``edih`` (or, failing that, of the lowest-id active organisation), and a warning is logged so an
administrator can appoint an intake point. Only when there is no active organisation at all is
the question refused (:class:`NoIntakePoint`).

Triage (:func:`link_company`, :func:`accept_intake`, :func:`mark_spam`) is for the users of the
organisation whose queue the question is in (policy ``_intake``). Each takes a question that is
still ``new`` with a compare-and-set on its status, so of two colleagues triaging at once exactly
one succeeds and the other gets :class:`AlreadyTriaged`.
"""
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.orm import Session, object_session

from ..models import (Company, Consent, FormSubmission, IntakeRequest, Intervention,
                      Municipality, Offering, Organisation, Referral, User, utcnow)
from ..models.intake import INTAKE_STATUSES
from ..models.organisation import organisation_provinces
from ..policy import EDIT, intake_filter, may
from ..reference import is_digits
from . import audit
from .clock import local
from .companies import company_by_kvk, create_company
from .consent import current_consent, give_consent
from .errors import N_, DomainError, DuplicateKvk, NotAllowed, ValidationFailed
from .interventions import log_intervention
from .referrals import refer

log = logging.getLogger(__name__)

#: Name of the form in ``form_submissions``.
FORM = "front-door"
#: Default rate limits per client address.
PER_HOUR = 5
PER_DAY = 20
#: Consent basis recorded when a question from the form is accepted.
CONSENT_BASIS = "voordeurformulier"

QUESTION_MIN, QUESTION_MAX = 10, 4000
NAME_MAX = 200
EMAIL_MAX = 254

# A practical, ASCII-only address syntax: local part, "@", a domain of at least two labels.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_PHONE = re.compile(r"[+0-9 ()\-]{6,40}")
_TRUE = ("y", "on", "1", "true", "yes")


class TooManySubmissions(DomainError):
    """The address sent the form too often (per hour or per day)."""

    message = N_("We have received several questions from your internet connection in a short "
                 "time. Please try again later.")


class NoIntakePoint(DomainError):
    """There is no active organisation at all to receive the question."""

    message = N_("The form cannot be used at the moment. Please try again later.")


class AlreadyTriaged(DomainError):
    message = N_("This question has already been dealt with (%(status)s).")


@dataclass
class Triage:
    """What accepting a question produced."""

    intake: IntakeRequest
    company: Company
    consent: Consent | None
    intervention: Intervention
    referral: Referral | None


# --- the public form ----------------------------------------------------------------------------

def _has_control(text: str, *, multiline: bool = False) -> bool:
    for char in text:
        if multiline and char in "\n\t":
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Co") or char in "\u2028\u2029":
            return True
    return False


def validate_question(data: dict, *, session: Session) -> dict:
    """Check and normalise the form's fields; returns the values or raises ValidationFailed."""
    errors: dict[str, list] = {}
    values: dict = {}

    def fail(field, message, **params):
        errors.setdefault(field, []).append((message, params))

    def text(field):
        value = data.get(field)
        return value if isinstance(value, str) else ("" if value is None else str(value))

    def line(field, *, required_msg, max_len=NAME_MAX):
        raw = text(field)
        if _has_control(raw):
            fail(field, N_("This contains a character that is not allowed."))
            return ""
        value = " ".join(raw.split())
        if not value:
            fail(field, required_msg)
        elif len(value) > max_len:
            fail(field, N_("Use at most %(max)d characters."), max=max_len)
        return value

    raw_kvk = text("kvk")
    kvk = re.sub(r"[ .]", "", raw_kvk.strip())
    if _has_control(raw_kvk):
        fail("kvk", N_("This contains a character that is not allowed."))
    elif not kvk:
        fail("kvk", N_("Enter the KVK number."))
    elif not (len(kvk) == 8 and is_digits(kvk)):
        fail("kvk", N_("A KVK number is exactly 8 digits, for example 01234567."))
    values["kvk"] = kvk

    values["company_name"] = line("company_name", required_msg=N_("Enter the company name."))

    municipality = None
    raw_municipality = text("municipality_id").strip()
    if is_digits(raw_municipality) and len(raw_municipality) <= 9:
        municipality = session.get(Municipality, int(raw_municipality))
    if municipality is None:
        fail("municipality_id", N_("Choose a municipality from the list."))
    values["municipality"] = municipality

    values["contact_name"] = line("contact_name", required_msg=N_("Enter your name."))

    email = line("email", required_msg=N_("Enter your e-mail address."), max_len=EMAIL_MAX)
    if email and len(email) <= EMAIL_MAX and not _EMAIL.fullmatch(email):
        fail("email", N_("Enter an e-mail address such as naam@bedrijf.nl."))
    values["email"] = email

    raw_phone = text("phone")
    phone = " ".join(raw_phone.split())
    if _has_control(raw_phone):
        fail("phone", N_("This contains a character that is not allowed."))
    elif phone and not (_PHONE.fullmatch(phone) and sum(c.isdigit() for c in phone) >= 6):
        fail("phone", N_("Enter a phone number of digits, spaces, +, - and brackets."))
    values["phone"] = phone

    raw_question = text("question").replace("\r\n", "\n").replace("\r", "\n")
    question = raw_question.strip()
    if _has_control(raw_question, multiline=True):
        fail("question", N_("This contains a character that is not allowed."))
    elif len(question) < QUESTION_MIN:
        fail("question", N_("Describe your question in at least %(min)d characters."),
             min=QUESTION_MIN)
    elif len(question) > QUESTION_MAX:
        fail("question", N_("Use at most %(max)d characters."), max=QUESTION_MAX)
    values["question"] = question

    consent = data.get("consent")
    if not (consent is True or (isinstance(consent, str) and consent.strip().lower() in _TRUE)):
        fail("consent", N_("We can only help you if you agree that the network uses your "
                           "details for your question."))
    if errors:
        raise ValidationFailed(errors)
    return values


def _served_count():
    return (select(func.count()).select_from(organisation_provinces)
            .where(organisation_provinces.c.organisation_id == Organisation.id)
            .correlate(Organisation).scalar_subquery())


def route(session: Session, municipality: Municipality | None) -> Organisation:
    """The organisation whose intake queue a question from ``municipality`` lands in."""
    points = (select(Organisation)
              .where(Organisation.active.is_(True), Organisation.intake_point.is_(True))
              .order_by(_served_count(), Organisation.id).limit(1))
    if municipality is not None:
        serving = exists().where(
            organisation_provinces.c.organisation_id == Organisation.id,
            organisation_provinces.c.province_id == municipality.province_id)
        org = session.scalars(points.where(serving)).first()
        if org is not None:
            return org
    org = session.scalars(points).first()
    if org is not None:
        return org
    org = session.scalars(
        select(Organisation).where(Organisation.active.is_(True))
        .order_by((Organisation.kind == "edih").desc(), Organisation.id).limit(1)).first()
    if org is None:
        raise NoIntakePoint()
    log.warning("No active intake point: front-door question routed to fallback "
                "organisation %s (%s). Mark an organisation as intake point.", org.id, org.name)
    return org


def _check_rate(session: Session, address: str, now: datetime, per_hour: int,
                per_day: int) -> None:
    def count(since):
        return session.scalar(
            select(func.count()).select_from(FormSubmission)
            .where(FormSubmission.address == address, FormSubmission.form == FORM,
                   FormSubmission.at > since))
    if count(now - timedelta(hours=1)) >= per_hour or count(now - timedelta(days=1)) >= per_day:
        raise TooManySubmissions()


def submit_question(session: Session, data: dict, *, address: str,
                    now: datetime | None = None, per_hour: int = PER_HOUR,
                    per_day: int = PER_DAY) -> IntakeRequest | None:
    """Store a question left at the front door in the right intake point's queue.

    ``data`` holds the form fields (``kvk``, ``company_name``, ``municipality_id``,
    ``contact_name``, ``email``, ``phone``, ``question``, ``consent``) and the honeypot
    ``website``. Raises TooManySubmissions when ``address`` sent the form ``per_hour`` times in
    the last hour or ``per_day`` times in the last day, and ValidationFailed for bad input.
    A filled-in honeypot counts as a submission but stores nothing: returns None, and the
    caller shows the usual confirmation. The company is deliberately not looked up.
    """
    now = now or utcnow()
    address = str(address or "unknown")[:45]
    _check_rate(session, address, now, per_hour, per_day)
    # Old rows of this address are no longer needed for the limit.
    session.execute(delete(FormSubmission).where(
        FormSubmission.address == address, FormSubmission.at < now - timedelta(days=2)))
    honeypot = data.get("website")
    if honeypot not in (None, ""):
        session.add(FormSubmission(form=FORM, address=address, at=now))
        session.flush()
        return None
    values = validate_question(data, session=session)
    municipality = values.pop("municipality")
    organisation = route(session, municipality)
    session.add(FormSubmission(form=FORM, address=address, at=now))
    intake = IntakeRequest(organisation_id=organisation.id, municipality_id=municipality.id,
                           consent=True, status="new", created_at=now, **values)
    session.add(intake)
    session.flush()
    # Who asked stays out of the trail: only where the question went.
    audit.record(None, "create", "intake", intake.id, session=session,
                 changes={"organisation_id": [None, organisation.id]})
    return intake


# --- the intake point's queue and triage --------------------------------------------------------

def intake_queue(user: User, status: str | None = None) -> Select:
    """Questions in the user's organisation's intake queue: new first, then newest first."""
    stmt = select(IntakeRequest).where(intake_filter(user))
    if status in INTAKE_STATUSES:
        stmt = stmt.where(IntakeRequest.status == status)
    return stmt.order_by((IntakeRequest.status == "new").desc(), IntakeRequest.created_at.desc(),
                         IntakeRequest.id.desc())


def _require(intake: IntakeRequest, by: User) -> None:
    if not may(by, EDIT, intake):
        raise NotAllowed()


def _claim(intake: IntakeRequest, target: str, *, by: User, now: datetime) -> None:
    """Move a ``new`` question to ``target``: compare-and-set, so only one triage wins."""
    session = object_session(by)
    by_id = by.id
    result = session.execute(
        update(IntakeRequest)
        .where(IntakeRequest.id == intake.id, IntakeRequest.status == "new")
        .values(status=target, handled_by_id=by_id, handled_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.refresh(intake)
        raise AlreadyTriaged(status=intake.status)
    session.refresh(intake)


def link_company(intake: IntakeRequest, *, by: User) -> Company:
    """The company with the question's KVK number; created from the question when unknown."""
    _require(intake, by)
    session = object_session(by)
    if intake.status == "spam":
        raise AlreadyTriaged(status=intake.status)
    if intake.company is not None:
        return intake.company
    company = session.scalars(company_by_kvk(intake.kvk)).first()
    created = company is None
    if created:
        try:
            company = create_company({"kvk": intake.kvk, "name": intake.company_name,
                                      "municipality_id": intake.municipality_id}, by=by)
        except DuplicateKvk as exc:  # registered by someone else a moment ago
            company = exc.existing
            created = False
    intake.company_id = company.id
    session.flush()
    audit.record(by, "link", "intake", intake.id, company_id=company.id,
                 changes={"company_id": [None, company.id], "created": [None, created]})
    return company


def _contact_context(intake: IntakeRequest) -> str:
    lines = [f"Via het voordeurformulier ({local(intake.created_at):%Y-%m-%d}).",
             f"Contactpersoon: {intake.contact_name}", f"E-mail: {intake.email}"]
    if intake.phone:
        lines.append(f"Telefoon: {intake.phone}")
    return "\n".join(lines)


def accept_intake(intake: IntakeRequest, *, by: User, refer_to: Organisation | None = None,
                  offering: Offering | None = None, question: str | None = None) -> Triage:
    """Take a new question in: link or create the company, record consent, log the intake,
    and refer it on to ``refer_to`` (and its ``offering``) or mark it handled.

    * Consent: the entrepreneur ticked the consent box on the form, so a consent with basis
      ``voordeurformulier`` is recorded, unless the company already has a current consent.
    * An ``intake`` intervention of the user's organisation is logged with the question as its
      summary, dated the day the question arrived.
    * Referral: the form's consent is taken to cover the warm handover too (the entrepreneur
      asked the network to find the right door), so the referral is sent with
      ``entrepreneur_agrees=True``. Its question is ``question`` (the triager's wording) or the
      entrepreneur's own; the context carries the contact details from the form so the next
      door can get in touch. Choosing only an ``offering`` refers to its organisation.

    The status becomes ``referred`` or ``handled``. Raises AlreadyTriaged when the question is
    no longer new, NotAllowed for users of other organisations, ValidationFailed for a bad
    choice of organisation or offering.
    """
    _require(intake, by)
    if offering is not None and refer_to is None:
        refer_to = offering.organisation
    if refer_to is not None and (not refer_to.active or refer_to.id == by.organisation_id):
        raise ValidationFailed({"to_organisation_id": [(N_(
            "Choose an active organisation other than your own to refer to."), {})]})
    now = utcnow()
    target = "referred" if refer_to is not None else "handled"
    _claim(intake, target, by=by, now=now)
    company = link_company(intake, by=by)
    consent = None
    if current_consent(company) is None:
        consent = give_consent(company, CONSENT_BASIS, by=by)
    intervention = log_intervention(company, {
        "kind": "intake", "occurred_on": local(intake.created_at).date(),
        "summary": intake.question}, by=by)
    referral = None
    if refer_to is not None:
        referral = refer(company, refer_to, (question or "").strip() or intake.question, by=by,
                         context=_contact_context(intake), entrepreneur_agrees=True,
                         offering=offering)
    audit.record(by, "accept", "intake", intake.id, company_id=company.id,
                 changes={"status": ["new", target],
                          "referral_id": [None, referral.id if referral else None]})
    return Triage(intake=intake, company=company, consent=consent, intervention=intervention,
                  referral=referral)


def mark_spam(intake: IntakeRequest, *, by: User) -> IntakeRequest:
    """Set a new question aside as spam (it stays on record, out of the way)."""
    _require(intake, by)
    _claim(intake, "spam", by=by, now=utcnow())
    audit.record(by, "spam", "intake", intake.id, changes={"status": ["new", "spam"]})
    return intake


def referral_of(intake: IntakeRequest) -> Referral | None:
    """The referral made when the question was accepted, from the audit trail."""
    from ..models import AuditEntry
    session = object_session(intake)
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.record_type == "intake",
                                 AuditEntry.record_id == intake.id,
                                 AuditEntry.action == "accept")
        .order_by(AuditEntry.id.desc()).limit(1)).first()
    referral_id = ((entry.changes or {}).get("referral_id") or [None, None])[1] if entry else None
    return session.get(Referral, referral_id) if referral_id else None
