"""Audit entries, written by operations in the same transaction as the change."""
from datetime import date, datetime

from sqlalchemy.orm import object_session

from ..models import AuditEntry, User, utcnow


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def diff(before: dict, after: dict) -> dict:
    """``{field: [before, after]}`` for the fields whose value changed."""
    return {k: [_plain(before.get(k)), _plain(v)] for k, v in after.items()
            if before.get(k) != v}


def record(by: User | None, action: str, record_type: str, record_id: int, *,
           company_id: int | None = None, changes: dict | None = None, session=None) -> None:
    session = session or object_session(by)
    session.add(AuditEntry(
        at=utcnow(), user_id=by.id if by else None,
        organisation_id=by.organisation_id if by else None, action=action,
        record_type=record_type, record_id=record_id, company_id=company_id,
        changes={k: [_plain(a) for a in v] for k, v in (changes or {}).items()}))
