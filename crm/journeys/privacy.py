"""AVG (GDPR) rights of contact persons and entrepreneurs: access, erasure, retention.

A person is identified by an e-mail address and/or a contact-person record. What is held about
them is looked up everywhere personal data can sit: contact-person records (at every company,
of every organisation), questions left at the front door, survey invitations, outgoing mail,
the audit trail's recorded values, and free text that mentions them by name, e-mail address or
phone number (contact summaries, referral questions, notes, …).

Erasure removes the contact-person records and replaces the person's details everywhere else
by ``[gewist]``; the records themselves (interventions, referrals, intake requests, consents)
stay, so every count and statistic is unchanged. Nothing is committed here: the caller commits
and then calls :func:`purge_freed_space` (outside the transaction) so that, on SQLite, no copy
remains in the database file or its write-ahead log either.
"""
import re
from dataclasses import dataclass, field
from sqlalchemy import Text, cast, delete, func, or_, select, text, update

from ..models import (AuditEntry, Company, Consent, ContactPerson, Event, FollowUpTask,
                      IntakeRequest, Intervention, LoginAttempt, Organisation, OutgoingMail,
                      Referral, ReferralStep, User, utcnow)
from . import audit
from .audit_search import changes_contain, lowered, spellings
from .errors import N_, ValidationFailed

ERASED = "[gewist]"
#: Free-text columns that may mention a person; mentions are replaced on erasure.
FREE_TEXT = ((Intervention, ("summary", "internal_note")), (Event, ("title",)),
             (Referral, ("question", "context", "reason_text", "outcome")),
             (ReferralStep, ("note",)), (Consent, ("basis", "withdrawal_note")),
             (FollowUpTask, ("title",)), (IntakeRequest, ("question",)))
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _survey_models():
    try:
        from ..models.survey import SurveyInvitation, SurveyResponse
    except ImportError:
        return None, None
    return SurveyInvitation, SurveyResponse


@dataclass
class Person:
    """The identifiers by which a person's data is found."""

    email: str | None
    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    contacts: list = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        """What free text is searched for: the e-mail address, full names (two words or
        more: a lone first name such as "Jan" would hit every other Jan) and phone numbers
        (six characters or more). Matched as whole words, ignoring case."""
        found = {t for t in self.names if len(t.split()) >= 2}
        found |= {t for t in self.phones if len(t) >= 6}
        if self.email:
            found.add(self.email)
        return sorted(found, key=len, reverse=True)


def find_person(session, email: str | None = None, contact: ContactPerson | None = None
                ) -> Person:
    """Everything that identifies the person with this e-mail address and/or record."""
    email = (email or "").strip().lower() or (contact.email if contact else None)
    if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        raise ValidationFailed({"email": [(N_("Enter an e-mail address such as "
                                              "naam@bedrijf.nl."), {})]})
    if email is None and contact is None:
        raise ValidationFailed({"email": [(N_("Enter the person's e-mail address."), {})]})
    contacts = {c.id: c for c in ([contact] if contact else [])}
    if email:
        contacts.update((c.id, c) for c in session.scalars(
            select(ContactPerson).where(func.lower(ContactPerson.email) == email)))
    person = Person(email=email, contacts=sorted(contacts.values(), key=lambda c: c.id))
    for c in person.contacts:
        person.names.add(c.name)
        if c.phone:
            person.phones.add(c.phone)
    if email:
        for name, phone in session.execute(select(
                IntakeRequest.contact_name, IntakeRequest.phone)
                .where(func.lower(IntakeRequest.email) == email)):
            if name and name != ERASED:
                person.names.add(name)
            if phone:
                person.phones.add(phone)
    return person


def _mentions(column, terms):
    """Rows whose ``column`` contains one of ``terms``, ignoring case."""
    text_ = func.lower(cast(column, Text))
    return or_(*(text_.contains(v, autoescape=True) for t in terms
                 for v in sorted(lowered(spellings(t)))))


def _pattern(terms) -> re.Pattern:
    """The terms as whole words (not "Jan de Vries" inside "Jan de Vriesland")."""
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)",
                      re.IGNORECASE)


def _mentioned(text_, terms) -> bool:
    return bool(text_) and _pattern(terms).search(text_) is not None


def _scrub(value, terms):
    if isinstance(value, str):
        return _pattern(terms).sub(ERASED, value) if terms else value
    if isinstance(value, list):
        return [_scrub(v, terms) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, terms) for k, v in value.items()}
    return value


def _audit_entries(session, person: Person):
    contact_ids = [c.id for c in person.contacts]
    conditions = [changes_contain(t) for t in person.terms]
    if contact_ids:
        conditions.append((AuditEntry.record_type == "contact")
                          & AuditEntry.record_id.in_(contact_ids))
    if not conditions:
        return []
    return session.scalars(select(AuditEntry).where(or_(*conditions))
                           .order_by(AuditEntry.at, AuditEntry.id)).all()


def _companies(session, person: Person) -> list[Company]:
    ids = {c.company_id for c in person.contacts}
    if person.email:
        ids.update(session.scalars(select(IntakeRequest.company_id).where(
            func.lower(IntakeRequest.email) == person.email,
            IntakeRequest.company_id.is_not(None))))
    return session.scalars(select(Company).where(Company.id.in_(ids))
                           .order_by(Company.sort_name)).all() if ids else []


def access_report(session, person: Person) -> dict:
    """Everything held about ``person``, as plain data (for the JSON and the PDF)."""
    orgs = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    companies = _companies(session, person)
    company_names = {c.id: f"{c.name} ({c.kvk})" if c.kvk else c.name for c in companies}
    report = {"format": "volgende-deur/access-report", "version": 1,
              "made_at": utcnow().isoformat(),
              "person": {"email": person.email, "names": sorted(person.names),
                         "phones": sorted(person.phones)},
              "contact_persons": [{
                  "id": c.id, "company": company_names.get(c.company_id),
                  "company_id": c.company_id, "organisation": orgs.get(c.organisation_id),
                  "name": c.name, "role": c.role, "email": c.email, "phone": c.phone,
                  "recorded_at": c.created_at.isoformat() if c.created_at else None}
                  for c in person.contacts],
              "consents": [{
                  "company": company_names.get(c.company_id), "organisation":
                  orgs.get(c.organisation_id), "basis": c.basis,
                  "given_at": c.given_at.isoformat(),
                  "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None}
                  for c in session.scalars(select(Consent).where(
                      Consent.company_id.in_(list(company_names))).order_by(Consent.given_at))],
              "intake_requests": [], "survey_invitations": [], "outgoing_mail": [],
              "mentions": [], "audit_entries": []}
    if person.email:
        for r in session.scalars(select(IntakeRequest).where(
                func.lower(IntakeRequest.email) == person.email).order_by(IntakeRequest.id)):
            report["intake_requests"].append({
                "id": r.id, "received_at": r.created_at.isoformat(), "kvk": r.kvk,
                "company_name": r.company_name, "name": r.contact_name, "email": r.email,
                "phone": r.phone, "question": r.question, "status": r.status,
                "organisation": orgs.get(r.organisation_id)})
        invitation, _response = _survey_models()
        if invitation is not None:
            for i in session.scalars(select(invitation).where(
                    func.lower(invitation.email) == person.email)):
                report["survey_invitations"].append({
                    "id": i.id, "company": company_names.get(i.company_id, i.company_id),
                    "organisation": orgs.get(i.organisation_id), "email": i.email,
                    "sent_at": i.created_at.isoformat(),
                    "answered_at": i.used_at.isoformat() if i.used_at else None})
    terms = person.terms
    if terms:
        conditions = [_mentions(OutgoingMail.body, terms)]
        if person.email:
            conditions.append(func.lower(OutgoingMail.to_address) == person.email)
        for m in session.scalars(select(OutgoingMail).where(or_(*conditions))
                                 .order_by(OutgoingMail.id)):
            report["outgoing_mail"].append({
                "to": m.to_address, "subject": m.subject, "body": m.body,
                "queued_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None})
        for model, columns in _free_text():
            for column in columns:
                col = getattr(model, column)
                for row_id, value in session.execute(select(model.id, col).where(
                        _mentions(col, terms))):
                    if not _mentioned(value, terms):
                        continue
                    report["mentions"].append({"record": model.__tablename__, "id": row_id,
                                               "field": column, "text": value})
    for e in _audit_entries(session, person):
        report["audit_entries"].append({
            "at": e.at.isoformat(), "action": e.action, "record": e.record_type,
            "record_id": e.record_id, "organisation": orgs.get(e.organisation_id),
            "changes": e.changes})
    return report


def _free_text():
    _invitation, response = _survey_models()
    extra = ((response, ("comment",)),) if response is not None else ()
    return FREE_TEXT + extra


def erase_contact(session, contact: ContactPerson, *, by: User | None, action: str) -> None:
    """Remove one contact-person record and its recorded values in the audit trail."""
    for entry in session.scalars(select(AuditEntry).where(
            AuditEntry.record_type == "contact", AuditEntry.record_id == contact.id)):
        entry.changes = {k: [None if v is None else ERASED for v in pair]
                         for k, pair in (entry.changes or {}).items()}
    audit.record(by, action, "contact", contact.id, company_id=contact.company_id,
                 session=session)
    session.delete(contact)


def erase(session, person: Person, *, by: User | None) -> dict:
    """Erase ``person`` everywhere; returns what was done, as counts per kind of record."""
    terms = person.terms
    done = {"contact_persons": 0, "intake_requests": 0, "survey_invitations": 0,
            "outgoing_mail": 0, "texts": 0, "audit_entries": 0, "sign_in_attempts": 0}
    entries = _audit_entries(session, person)
    for contact in person.contacts:
        erase_contact(session, contact, by=by, action="erase")
        done["contact_persons"] += 1
    for entry in entries:
        scrubbed = _scrub(entry.changes, terms)
        if scrubbed != entry.changes:
            entry.changes = scrubbed
            done["audit_entries"] += 1
    if person.email:
        result = session.execute(update(IntakeRequest).where(
            func.lower(IntakeRequest.email) == person.email).values(
            contact_name=ERASED, email=ERASED, phone="", question=ERASED))
        done["intake_requests"] = result.rowcount
        invitation, _response = _survey_models()
        if invitation is not None:
            done["survey_invitations"] = session.execute(update(invitation).where(
                func.lower(invitation.email) == person.email).values(email=None)).rowcount
        done["outgoing_mail"] += session.execute(delete(OutgoingMail).where(
            func.lower(OutgoingMail.to_address) == person.email)).rowcount
        done["sign_in_attempts"] = session.execute(delete(LoginAttempt).where(
            LoginAttempt.email == person.email)).rowcount
    if terms:
        for mail in session.scalars(select(OutgoingMail).where(
                _mentions(OutgoingMail.body, terms) | _mentions(OutgoingMail.subject, terms))):
            body, subject = _scrub(mail.body, terms), _scrub(mail.subject, terms)
            if (body, subject) != (mail.body, mail.subject):
                mail.body, mail.subject = body, subject
                done["outgoing_mail"] += 1
        for model, columns in _free_text():
            for column in columns:
                col = getattr(model, column)
                for obj in session.scalars(select(model).where(_mentions(col, terms))):
                    if _mentioned(getattr(obj, column), terms):
                        setattr(obj, column, _scrub(getattr(obj, column), terms))
                        done["texts"] += 1
    session.flush()
    audit.record(by, "erase", "person", 0, session=session,
                 changes={k: [None, v] for k, v in done.items() if v})
    session.flush()
    return done


# --- after the commit ------------------------------------------------------------------------

#: Tables an erasure may have changed (PostgreSQL vacuums them afterwards).
ERASURE_TABLES = ("contact_persons", "intake_requests", "outgoing_mail", "audit_entries",
                  "login_attempts", "interventions", "events", "referrals", "referral_steps",
                  "consents", "follow_up_tasks", "survey_invitations", "survey_responses")


def purge_freed_space(engine) -> str:
    """Make sure erased values are gone from disk, not only from the tables.

    SQLite: every connection runs with ``secure_delete`` on (deleted and overwritten content is
    zeroed); the write-ahead log, which still holds the pages as they were before, is then
    checkpointed and truncated, and the file is vacuumed. PostgreSQL: ``VACUUM`` of the
    tables involved removes the dead row versions (see the README on WAL and backups)."""
    if engine.dialect.name == "sqlite":
        # The driver's own connection: no transaction may be open around VACUUM.
        raw = engine.raw_connection()
        try:
            sqlite = raw.driver_connection
            if sqlite.in_transaction:
                sqlite.commit()
            sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            sqlite.execute("VACUUM")
            sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            raw.close()
        return "sqlite: checkpoint and vacuum"
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            existing = set(conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
                .scalars())
            names = [t for t in ERASURE_TABLES if t in existing]
            conn.exec_driver_sql("VACUUM " + ", ".join(names))
        return "postgresql: vacuum"
    return ""

