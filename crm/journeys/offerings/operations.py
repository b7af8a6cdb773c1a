"""Offerings: the write operations (create, update, withdraw, reactivate).

They validate, change, flush and write an audit entry; they never commit.
"""
from sqlalchemy import select
from sqlalchemy.orm import object_session

from ...models import (Offering, OfferingProvider, OfferingTag, Organisation, Province,
                       Region, User, utcnow)
from ...policy import CREATE, EDIT, may
from .. import audit
from ..errors import N_, NotAllowed, ValidationFailed
from .validation import SCALAR_FIELDS, TAG_FIELDS, _ids, validate_offering


def _snapshot(offering: Offering) -> dict:
    snap = {f: getattr(offering, f) for f in SCALAR_FIELDS}
    snap["organisation_id"] = offering.organisation_id
    snap["province_ids"] = sorted(p.id for p in offering.provinces)
    snap["region_ids"] = sorted(r.id for r in offering.regions)
    for field, dimension in TAG_FIELDS.items():
        snap[field] = sorted(offering.values(dimension))
    snap["providers"] = [{"name": p.name, "role": p.role, "organisation_id": p.organisation_id}
                         for p in offering.providers]
    return snap


def _apply(offering: Offering, values: dict, session) -> None:
    for field in SCALAR_FIELDS:
        if field in values:
            setattr(offering, field, values[field])
    if "province_ids" in values:
        offering.provinces = list(session.scalars(
            select(Province).where(Province.id.in_(values["province_ids"])))) \
            if values["province_ids"] else []
    if "region_ids" in values:
        offering.regions = list(session.scalars(
            select(Region).where(Region.id.in_(values["region_ids"])))) \
            if values["region_ids"] else []
    if any(field in values for field in TAG_FIELDS):
        keep = [t for t in offering.tags
                if next(f for f, d in TAG_FIELDS.items() if d == t.dimension) not in values]
        wanted = {(t.dimension, t.value) for t in keep}
        current = {(t.dimension, t.value): t for t in offering.tags}
        for field, dimension in TAG_FIELDS.items():
            if field in values:
                wanted |= {(dimension, v) for v in values[field]}
        offering.tags = [current.get(k) or OfferingTag(dimension=k[0], value=k[1])
                         for k in sorted(wanted)]
    if "providers" in values:
        current = {(p.organisation_id, p.name, p.role): p for p in offering.providers}
        offering.providers = [
            current.get((p["organisation_id"], p["name"], p["role"]))
            or OfferingProvider(name=p["name"], role=p["role"],
                                organisation_id=p["organisation_id"])
            for p in values["providers"]]


def _may_maintain_for(by: User, organisation_id: int) -> bool:
    return may(by, EDIT, Offering(organisation_id=organisation_id))


def create_offering(data: dict, *, by: User) -> Offering:
    """Register an offering of the user's organisation (coordinators and administrators may
    name another one with ``organisation_id``)."""
    session = object_session(by)
    if not may(by, CREATE, Offering):
        raise NotAllowed()
    organisation_id = by.organisation_id
    errors = {}
    if data.get("organisation_id") not in (None, ""):
        ids, ok = _ids([data["organisation_id"]])
        organisation = session.get(Organisation, ids[0]) if ok and ids else None
        if organisation is None or not organisation.active:
            errors["organisation_id"] = [(N_("Choose an active organisation."), {})]
        else:
            organisation_id = organisation.id
    if not _may_maintain_for(by, organisation_id):
        raise NotAllowed()
    full = {"name": "", "archetype": "", **{k: v for k, v in data.items()
                                             if k != "organisation_id"}}
    try:
        values = validate_offering(full, session)
    except ValidationFailed as exc:
        exc.errors.update(errors)
        raise
    if errors:
        raise ValidationFailed(errors)
    offering = Offering(organisation_id=organisation_id, created_at=utcnow(), tags=[],
                        providers=[], provinces=[], regions=[])
    with session.no_autoflush:
        _apply(offering, values, session)
    session.add(offering)
    session.flush()
    changes = {k: [None, v] for k, v in _snapshot(offering).items() if v not in (None, "", [])}
    audit.record(by, "create", "offering", offering.id, changes=changes, session=session)
    session.flush()
    return offering


def update_offering(offering: Offering, data: dict, *, by: User) -> Offering:
    """Change an offering; only the keys present in ``data`` change."""
    session = object_session(by)
    if not may(by, EDIT, offering):
        raise NotAllowed()
    errors = {}
    new_org = None
    if data.get("organisation_id") not in (None, ""):
        ids, ok = _ids([data["organisation_id"]])
        organisation = session.get(Organisation, ids[0]) if ok and ids else None
        if organisation is None:
            errors["organisation_id"] = [(N_("Choose an active organisation."), {})]
        elif organisation.id != offering.organisation_id:
            if not organisation.active:
                errors["organisation_id"] = [(N_("Choose an active organisation."), {})]
            elif not _may_maintain_for(by, organisation.id):
                raise NotAllowed()
            else:
                new_org = organisation.id
    try:
        values = validate_offering({k: v for k, v in data.items() if k != "organisation_id"},
                                   session)
    except ValidationFailed as exc:
        exc.errors.update(errors)
        raise
    # The period as a whole: a new end before the stored start (or the reverse) is refused.
    start = values.get("starts_on", offering.starts_on)
    end = values.get("ends_on", offering.ends_on)
    if start and end and end < start:
        errors.setdefault("ends_on", []).append(
            (N_("The end date cannot be before the start date."), {}))
    if errors:
        raise ValidationFailed(errors)
    with session.no_autoflush:
        before = _snapshot(offering)
        _apply(offering, values, session)
        if new_org is not None:
            offering.organisation_id = new_org
        after = _snapshot(offering)
        changes = audit.diff(before, after)
        if changes:
            offering.updated_at = utcnow()
    session.flush()
    if changes:
        audit.record(by, "update", "offering", offering.id, changes=changes, session=session)
        session.flush()
    return offering


def _set_active(offering: Offering, active: bool, action: str, by: User) -> Offering:
    session = object_session(by)
    if not may(by, EDIT, offering):
        raise NotAllowed()
    if offering.active == active:
        return offering
    offering.active = active
    offering.updated_at = utcnow()
    session.flush()
    audit.record(by, action, "offering", offering.id, changes={"active": [not active, active]},
                 session=session)
    session.flush()
    return offering


def withdraw_offering(offering: Offering, *, by: User) -> Offering:
    """Take an offering off the map (it stays on record and can be reactivated)."""
    return _set_active(offering, False, "withdraw", by)


def reactivate(offering: Offering, *, by: User) -> Offering:
    """Put a withdrawn offering back on the map."""
    return _set_active(offering, True, "reactivate", by)
