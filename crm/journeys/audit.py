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


#: Columns whose values never enter the trail (only that they changed).
SECRET_FIELDS = {"password_hash": "password", "token_hash": "token"}


def _readable(value):
    if isinstance(value, (list, tuple, set)):
        return sorted(str(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool, date, datetime)):
        return _plain(value)
    return str(value)


def pending_changes(obj, *, created: bool) -> dict:
    """``{field: [before, after]}`` of an ORM object's unsaved changes, from SQLAlchemy's
    attribute history (columns and collections; secrets only as "changed")."""
    from sqlalchemy import inspect
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.attrs:
        key = attr.key
        if key in ("id", "version"):
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        if hasattr(attr, "columns"):
            after = history.added[0] if history.added else None
            before = None if created else (history.deleted[0] if history.deleted else None)
            if before == after:
                continue
        elif not attr.uselist:  # many-to-one: the related record's name
            after = history.added[0] if history.added else None
            before = None if created else (history.deleted[0] if history.deleted else None)
            if before is after:
                continue
        else:  # a collection: the related records before and after
            after = list(history.unchanged) + list(history.added)
            before = [] if created else list(history.unchanged) + list(history.deleted)
        if key in SECRET_FIELDS:
            changes[SECRET_FIELDS[key]] = ["…", "…"]
        else:
            changes[key] = [_readable(before), _readable(after)]
    return changes
