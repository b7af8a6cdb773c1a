"""Reading the audit trail: a record's history, a company's history, and the admin search.

Lists of audit entries can be long (every change of every record), so pages are fetched as
``per_page + 1`` rows ordered by the ``at`` indexes instead of counting all matches.
"""
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, Text, cast, func, or_, select

from ..models import AuditEntry, User
from .clock import AMSTERDAM

#: The record types the trail knows, in the order the search form lists them.
RECORD_TYPES = ("company", "contact", "intervention", "event", "referral", "consent", "task",
                "offering", "intake", "survey", "organisation", "user", "api_token", "export",
                "person")
#: The actions the trail knows, in the order the search form lists them.
ACTIONS = ("create", "update", "delete", "accept", "reject", "start", "hold", "complete",
           "fail", "cancel", "withdraw", "link", "spam", "merge", "unmerge", "revoke",
           "sign-in", "sign-in-failed", "sign-in-blocked", "sign-out", "token-use", "export",
           "access-report", "erase", "retention", "mfa-setup-started", "mfa-enabled",
           "mfa-verified", "mfa-failed", "mfa-codes-renewed", "mfa-disabled", "mfa-reset")


@dataclass
class AuditFilter:
    """What the admin search filters on; every part is optional."""

    user_id: int | None = None
    organisation_id: int | None = None
    record_type: str | None = None
    action: str | None = None
    record_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None


@dataclass
class AuditPage:
    items: list = field(default_factory=list)
    page: int = 1
    has_next: bool = False


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def changes_contain(term: str):
    """The entries whose field values (the JSON ``changes``) contain ``term``, ignoring case.

    JSON is stored with non-ASCII characters escaped (``é`` as ``\\u00e9``), so both the
    plain and the escaped spelling are looked for; an escaped letter only matches in its own
    case, so the term is also tried as typed, in capitals and capitalised per word ("josé
    ñúñez" finds "José Ñúñez")."""
    text = func.lower(cast(AuditEntry.changes, Text))
    escaped = {json.dumps(v)[1:-1] for v in spellings(term)}
    patterns = {_like(v) for v in lowered(spellings(term) | escaped)}
    return or_(*(text.like(p, escape="\\") for p in sorted(patterns)))


def spellings(term: str) -> set[str]:
    """The term as typed, in capitals and capitalised per word."""
    return {term, term.lower(), term.upper(), term.title()}


def lowered(values) -> set[str]:
    """What ``lower()`` makes of each value in the database: PostgreSQL lowers every letter,
    SQLite only A to Z."""
    return ({v.lower() for v in values}
            | {"".join(c.lower() if c.isascii() else c for c in v) for v in values})


def search(f: AuditFilter) -> Select:
    """The entries matching ``f``, newest first."""
    stmt = select(AuditEntry)
    if f.user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == f.user_id)
    if f.organisation_id is not None:
        stmt = stmt.where(AuditEntry.organisation_id == f.organisation_id)
    if f.record_type:
        stmt = stmt.where(AuditEntry.record_type == f.record_type)
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.record_id is not None:
        stmt = stmt.where(AuditEntry.record_id == f.record_id)
    if f.date_from is not None:
        stmt = stmt.where(AuditEntry.at >= _start_of(f.date_from))
    if f.date_to is not None:
        stmt = stmt.where(AuditEntry.at < _start_of(f.date_to + timedelta(days=1)))
    if f.text:
        stmt = stmt.where(changes_contain(f.text))
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def record_history(record_type: str, record_id: int) -> Select:
    """Every entry about one record, newest first."""
    return (select(AuditEntry)
            .where(AuditEntry.record_type == record_type, AuditEntry.record_id == record_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def company_history(user: User, company_id: int) -> Select:
    """The entries about a company and the records under it that ``user`` may see, newest
    first (see :func:`crm.policy.audit_entry_filter`)."""
    from ..policy import audit_entry_filter
    return (select(AuditEntry)
            .where(AuditEntry.company_id == company_id, audit_entry_filter(user, company_id))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def paginate(session, stmt: Select, page: int, per_page: int = 50) -> AuditPage:
    """One page of ``stmt`` without counting every match."""
    page = max(1, page)
    rows = session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)).all()
    return AuditPage(items=rows[:per_page], page=page, has_next=len(rows) > per_page)
