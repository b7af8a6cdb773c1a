"""Exports: everything an organisation may see, as rows (for CSV and .xlsx), and one company's
whole record as a JSON document (data portability).

Rows come from plain Core selects fetched in batches (``yield_per``), so an export of 100,000
companies streams without holding them in memory. What a user may see is decided by the SQL
filters of :mod:`crm.policy`, the same ones the screens use.
"""
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, case, func, inspect, select
from sqlalchemy.orm import aliased

from ..models import (Company, Consent, ContactPerson, Intervention, Municipality,
                      Organisation, Province, Referral, ReferralStep, User)
from ..policy import (VIEW, contact_filter, intervention_filter, may, referral_party_filter)
from . import audit
from .errors import N_

BATCH = 2000


@dataclass(frozen=True)
class Dataset:
    slug: str
    #: The export's name in the form (a msgid).
    title: str
    #: ``(column msgid, …)`` in row order.
    columns: tuple


def _tags(column):
    """An intervention's tag list (see migration 0021) as the export writes it: "a, b", and
    nothing (NULL) when there are none."""
    return func.nullif(func.replace(column, ",", ", "), "")


def _companies(user: User, dialect: str) -> Select:
    from .companies import companies_visible_to
    return (companies_visible_to(user).with_only_columns(
                   Company.kvk, Company.establishment_number, Company.name,
                   func.replace(Company.trade_names, "\n", "; "), Company.sbi_code,
                   Company.sbi_section, Company.employees, Company.size_class, Company.phase,
                   Company.non_mailing, Municipality.name, Province.name, Company.website,
                   Company.digital_maturity, Company.created_at, Company.updated_at)
            .outerjoin(Municipality, Municipality.id == Company.municipality_id)
            .outerjoin(Province, Province.id == Company.province_id)
            .order_by(Company.sort_name, Company.id))


def _contacts(user: User, dialect: str) -> Select:
    return (select(Company.kvk, Company.name, ContactPerson.name, ContactPerson.role,
                   ContactPerson.email, ContactPerson.phone, Organisation.name,
                   ContactPerson.created_at)
            .join(Company, Company.id == ContactPerson.company_id)
            .join(Organisation, Organisation.id == ContactPerson.organisation_id)
            .where(contact_filter(user))
            .order_by(Company.sort_name, ContactPerson.name, ContactPerson.id))


def _interventions(user: User, dialect: str) -> Select:
    bottlenecks, topics = _tags(Intervention.bottleneck_list), _tags(Intervention.topic_list)
    own = Intervention.organisation_id == user.organisation_id
    author = aliased(User)
    return (select(Intervention.id, Company.kvk, Company.name, Organisation.name,
                   Intervention.occurred_on, Intervention.kind, bottlenecks, topics,
                   Intervention.summary, case((own, Intervention.internal_note), else_=None),
                   author.name, Intervention.created_at)
            .join(Company, Company.id == Intervention.company_id)
            .join(Organisation, Organisation.id == Intervention.organisation_id)
            .outerjoin(author, author.id == Intervention.user_id)
            .where(intervention_filter(user))
            .order_by(Intervention.occurred_on.desc(), Intervention.id.desc()))


def _referrals(user: User, dialect: str) -> Select:
    sender, receiver = aliased(Organisation), aliased(Organisation)
    return (select(Referral.id, Company.kvk, Company.name, sender.name, receiver.name,
                   Referral.status, Referral.question, Referral.context, Referral.created_at,
                   Referral.accept_due_on, Referral.accepted_at, Referral.closed_at,
                   Referral.reason, Referral.reason_text, Referral.outcome)
            .join(Company, Company.id == Referral.company_id)
            .join(sender, sender.id == Referral.from_organisation_id)
            .join(receiver, receiver.id == Referral.to_organisation_id)
            .where(referral_party_filter(user))
            .order_by(Referral.created_at.desc(), Referral.id.desc()))


DATASETS = {
    "companies": (Dataset("companies", N_("Companies"), (
        N_("KVK number"), N_("Establishment number"), N_("Name"), N_("Trade names"),
        N_("SBI code"), N_("SBI section"), N_("Working persons"), N_("Size class"),
        N_("Phase"), N_("Non-mailing indicator"), N_("Municipality"), N_("Province"),
        N_("Website"), N_("Digital maturity"), N_("Registered"), N_("Last changed"))),
        _companies),
    "contacts": (Dataset("contacts", N_("Contact persons"), (
        N_("KVK number"), N_("Company"), N_("Name"), N_("Role"), N_("E-mail address"),
        N_("Phone"), N_("Recorded by"), N_("Recorded"))), _contacts),
    "interventions": (Dataset("interventions", N_("Contacts and activities"), (
        N_("Number"), N_("KVK number"), N_("Company"), N_("Organisation"), N_("Date"),
        N_("Kind"), N_("Bottlenecks"), N_("Topics"), N_("Summary"), N_("Internal note"),
        N_("Logged by"), N_("Logged"))), _interventions),
    "referrals": (Dataset("referrals", N_("Referrals"), (
        N_("Number"), N_("KVK number"), N_("Company"), N_("From"), N_("To"), N_("Status"),
        N_("Question"), N_("Context"), N_("Sent"), N_("Accept by"), N_("Accepted"),
        N_("Closed"), N_("Reason"), N_("Reason (text)"), N_("Outcome"))), _referrals),
}


def dataset(slug: str) -> Dataset | None:
    entry = DATASETS.get(slug)
    return entry[0] if entry else None


def export_rows(session, user: User, slug: str) -> Iterator[tuple]:
    """The rows of dataset ``slug`` that ``user`` may see, fetched in batches."""
    build = DATASETS[slug][1]
    stmt = build(user, session.get_bind().dialect.name)
    result = session.execute(stmt.execution_options(yield_per=BATCH))
    for row in result:
        yield tuple(row)


def record_export(user: User, slug: str, fmt: str, *, company_id: int | None = None) -> None:
    """Exports enter the audit trail (who exported what, when)."""
    audit.record(user, "export", "export", company_id or 0, company_id=company_id,
                 changes={"dataset": [None, slug], "format": [None, fmt]})


# --- one company's record as JSON -------------------------------------------------------------

def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _columns(obj, skip=()) -> dict:
    return {c.key: _plain(getattr(obj, c.key)) for c in inspect(obj).mapper.column_attrs
            if c.key not in skip}


def _optional_models() -> list:
    """Survey and digital-maturity records, when those models exist."""
    try:
        from ..models import survey
    except ImportError:
        return []
    return [(name, getattr(survey, cls)) for name, cls in (
        ("survey_invitations", "SurveyInvitation"), ("survey_responses", "SurveyResponse"),
        ("dma_assessments", "DmaAssessment")) if hasattr(survey, cls)]


def company_document(session, user: User, company: Company) -> dict:
    """Everything about ``company`` that ``user`` may see, as plain JSON-ready data."""
    from .companies import contacts_visible_to
    orgs = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    doc = {"format": "volgende-deur/company", "version": 1,
           "company": _columns(company, skip=("sort_name", "search_text", "version")),
           "contact_persons": [], "interventions": [], "referrals": [], "consents": []}
    doc["company"]["municipality"] = company.municipality.name if company.municipality else None
    doc["company"]["province"] = company.province.name if company.province else None
    for contact in session.scalars(contacts_visible_to(user, company)):
        entry = _columns(contact, skip=("company_id",))
        entry["organisation"] = orgs.get(contact.organisation_id)
        doc["contact_persons"].append(entry)
    for item in session.scalars(select(Intervention).where(
            Intervention.company_id == company.id, intervention_filter(user))
            .order_by(Intervention.occurred_on, Intervention.id)):
        entry = _columns(item, skip=("company_id",))
        if not may(user, "view-internal-note", item):
            entry.pop("internal_note", None)
        entry.update(organisation=orgs.get(item.organisation_id), bottlenecks=item.bottlenecks,
                     topics=item.topics)
        doc["interventions"].append(entry)
    for referral in session.scalars(select(Referral).where(Referral.company_id == company.id)
                                    .order_by(Referral.created_at, Referral.id)):
        if may(user, VIEW, referral):
            entry = _columns(referral, skip=("company_id", "version", "overdue_notified_at"))
            entry["steps"] = [_columns(s, skip=("referral_id",)) for s in session.scalars(
                select(ReferralStep).where(ReferralStep.referral_id == referral.id)
                .order_by(ReferralStep.at, ReferralStep.id))]
        elif may(user, "view-route", referral):
            entry = {k: _plain(getattr(referral, k)) for k in (
                "id", "from_organisation_id", "to_organisation_id", "status", "created_at",
                "accepted_at", "closed_at")}
        else:
            continue
        entry["from_organisation"] = orgs.get(referral.from_organisation_id)
        entry["to_organisation"] = orgs.get(referral.to_organisation_id)
        doc["referrals"].append(entry)
    for consent in session.scalars(select(Consent).where(Consent.company_id == company.id)
                                   .order_by(Consent.given_at)):
        entry = _columns(consent, skip=("company_id",))
        entry["organisation"] = orgs.get(consent.organisation_id)
        doc["consents"].append(entry)
    for key, model in _optional_models():
        rows = session.scalars(select(model).where(model.company_id == company.id)).all()
        doc[key] = [_columns(r, skip=("token_nonce", "company_id")) for r in rows
                    if may(user, VIEW, r)]
    return doc
