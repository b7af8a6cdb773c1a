"""Offerings (aanbod): maintain an organisation's offerings, and read the ecosystem map.

Data of an offering, as operations take it (a dict; the form and the API fill it)::

    name, description, archetype, cost_kind, cost_note, starts_on, ends_on (end ≥ start),
    contact_name, contact_email, contact_phone, url, takes_referrals,
    province_ids, region_ids,                              # lists of ids
    sector, size, phase, maturity, form, technology,       # lists of slugs (SBI letters for
    bottleneck, market_failure,                            #  sector), see TAG_FIELDS
    providers: [{"name", "role", "organisation_id"?}],
    organisation_id                                        # create only, coordinators/admins

Semantics of the map (:func:`offerings_matching`):

* an empty dimension means "any": an offering without sizes fits every size, one without
  provinces or regions is national and fits every province; a maturity of
  ``ongespecificeerd`` fits every maturity;
* an offering's regions imply their provinces (through the regions' municipalities);
* "active" means not withdrawn and not expired on the day (``ends_on`` before it).

Operations validate, change, flush and write an audit entry; they never commit.
"""
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, false, func, literal, not_, or_, select, union
from sqlalchemy.orm import object_session

from ..models import (Offering, OfferingProvider, OfferingTag, Organisation, Province, Region,
                      SbiSection, User, utcnow)
from ..models.offering import offering_provinces, offering_regions
from ..models.reference import Municipality, region_municipalities
from ..models.vocabulary import (ARCHETYPE_SLUGS, ARCHETYPES, COST_KINDS,
                                 OFFERING_TAG_DIMENSIONS, PROVIDER_ROLES)
from ..policy import CREATE, EDIT, may
from ..reference import normalise
from . import audit
from .clock import today
from .errors import N_, NotAllowed, ValidationFailed

#: Data key → tag dimension of the multi-valued dimensions.
TAG_FIELDS = {dim.replace("-", "_"): dim for dim in OFFERING_TAG_DIMENSIONS}
#: Scalar fields, in form order.
SCALAR_FIELDS = ("name", "description", "archetype", "cost_kind", "cost_note", "starts_on",
                 "ends_on", "contact_name", "contact_email", "contact_phone", "url",
                 "takes_referrals")
#: Size classes and maturity levels of the coverage matrix (the target groups).
COVERAGE_SIZES = ("zzp", "micro", "klein", "middelgroot")
COVERAGE_MATURITIES = ("laag", "middel", "hoog")
#: Archetype slug → (reach, effort) as the Regioscan estimates them.
ARCHETYPE_REACH_EFFORT = {a[0]: (a[2], a[3]) for a in ARCHETYPES}

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[+0-9 ()\-]{6,40}")
_URL = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(:\d+)?(/\S*)?$", re.IGNORECASE)
_LIKE_SPECIAL = re.compile(r"([\\%_])")


# --- validation -------------------------------------------------------------------------------

def _text(value, *, collapse=False) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split()) if collapse else text.strip()


def _list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v not in (None, "")]
    return [value]


def _date(value):
    if value in (None, ""):
        return None, True
    if isinstance(value, datetime):
        return value.date(), True
    if isinstance(value, date):
        return value, True
    try:
        return date.fromisoformat(str(value).strip()), True
    except ValueError:
        return None, False


def _ids(value) -> tuple[list[int], bool]:
    ids, ok = [], True
    for v in _list(value):
        try:
            number = int(v)
        except (TypeError, ValueError):
            ok = False
            continue
        if not 0 < number <= 2_147_483_647:
            ok = False
            continue
        ids.append(number)
    return sorted(set(ids)), ok


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "y", "ja")
    return bool(value)


def validate_offering(data: dict, session) -> dict:
    """Check and normalise offering data; returns the values or raises ValidationFailed.

    Only the keys present in ``data`` are checked and returned (``name`` and ``archetype``
    are required when creating: see :func:`create_offering`). Lists come back sorted;
    providers as ``[{"name", "role", "organisation_id"}]``.
    """
    errors: dict[str, list] = {}
    values: dict[str, Any] = {}

    def fail(field, message, **params):
        errors.setdefault(field, []).append((message, params))

    if "name" in data:
        name = _text(data["name"], collapse=True)
        if not name:
            fail("name", N_("Enter the name of the offering."))
        elif len(name) > 200:
            fail("name", N_("The name may be at most %(max)d characters."), max=200)
        values["name"] = name
    if "description" in data:
        description = _text(data["description"])
        if len(description) > 8000:
            fail("description", N_("The description may be at most %(max)d characters."),
                 max=8000)
        values["description"] = description
    if "archetype" in data:
        archetype = _text(data["archetype"])
        if archetype not in ARCHETYPE_SLUGS:
            fail("archetype", N_("Choose an archetype from the list."))
        values["archetype"] = archetype
    if "cost_kind" in data:
        cost_kind = _text(data["cost_kind"]) or "gratis"
        if cost_kind not in {c for c, _ in COST_KINDS}:
            fail("cost_kind", N_("Choose what it costs from the list."))
        values["cost_kind"] = cost_kind
    for field, limit in (("cost_note", 300), ("contact_name", 200)):
        if field in data:
            text = _text(data[field], collapse=True)
            if len(text) > limit:
                fail(field, N_("This may be at most %(max)d characters."), max=limit)
            values[field] = text
    for field in ("starts_on", "ends_on"):
        if field in data:
            day, ok = _date(data[field])
            if not ok:
                fail(field, N_("Enter a date such as 2026-03-31."))
            values[field] = day
    if "starts_on" in values or "ends_on" in values:
        start, end = values.get("starts_on"), values.get("ends_on")
        if start and end and end < start:
            fail("ends_on", N_("The end date cannot be before the start date."))
    if "contact_email" in data:
        email = _text(data["contact_email"]).lower()
        if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
            fail("contact_email", N_("Enter an e-mail address such as naam@bedrijf.nl."))
        values["contact_email"] = email
    if "contact_phone" in data:
        phone = _text(data["contact_phone"], collapse=True)
        if phone and not _PHONE.fullmatch(phone):
            fail("contact_phone",
                 N_("Enter a phone number of digits, spaces, +, - and brackets."))
        values["contact_phone"] = phone
    if "url" in data:
        url = _text(data["url"])
        if url:
            if len(url) > 300 or not _URL.match(url):
                fail("url", N_("Enter a web address such as https://www.example.nl."))
            elif not url.lower().startswith(("http://", "https://")):
                url = "https://" + url
        values["url"] = url
    if "takes_referrals" in data:
        values["takes_referrals"] = _bool(data["takes_referrals"])

    if "province_ids" in data:
        ids, ok = _ids(data["province_ids"])
        known = set(session.scalars(select(Province.id).where(Province.id.in_(ids)))) if ids \
            else set()
        if not ok or known != set(ids):
            fail("province_ids", N_("Choose provinces from the list."))
        values["province_ids"] = sorted(known)
    if "region_ids" in data:
        ids, ok = _ids(data["region_ids"])
        known = set(session.scalars(select(Region.id).where(Region.id.in_(ids)))) if ids \
            else set()
        if not ok or known != set(ids):
            fail("region_ids", N_("Choose regions from the list."))
        values["region_ids"] = sorted(known)

    for field, dimension in TAG_FIELDS.items():
        if field not in data:
            continue
        chosen = sorted({_text(v) for v in _list(data[field])})
        allowed = OFFERING_TAG_DIMENSIONS[dimension]
        if allowed is None:  # sector: SBI section letters
            chosen = sorted({v.upper() for v in chosen})
            allowed = set(session.scalars(
                select(SbiSection.letter).where(SbiSection.letter.in_(chosen)))) if chosen \
                else set()
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            fail(field, N_("Choose values from the list (unknown: %(values)s)."),
                 values=", ".join(unknown[:5]))
        values[field] = [v for v in chosen if v in allowed]

    if "providers" in data:
        values["providers"] = _validate_providers(data["providers"], session, fail)

    if errors:
        raise ValidationFailed(errors)
    return values


def _validate_providers(rows, session, fail) -> list[dict]:
    if not isinstance(rows, (list, tuple)):
        fail("providers", N_("Providers are a list of names and roles."))
        return []
    roles = {r for r, _ in PROVIDER_ROLES}
    providers, seen = [], set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            fail("providers", N_("Providers are a list of names and roles."))
            continue
        name = _text(row.get("name"), collapse=True)
        role = _text(row.get("role"))
        org_id = row.get("organisation_id")
        organisation = None
        if org_id not in (None, ""):
            ids, ok = _ids([org_id])
            organisation = session.get(Organisation, ids[0]) if ok and ids else None
            if organisation is None:
                fail(f"providers-{index}-organisation_id",
                     N_("Choose an organisation from the list."))
                continue
        if not name and organisation is None:
            continue  # an empty row
        name = name or organisation.name
        if len(name) > 200:
            fail(f"providers-{index}-name", N_("The name may be at most %(max)d characters."),
                 max=200)
        if role not in roles:
            fail(f"providers-{index}-role", N_("Choose the provider's role."))
            continue
        key = (organisation.id if organisation else None, normalise(name), role)
        if key in seen:
            continue
        seen.add(key)
        providers.append({"name": name, "role": role,
                          "organisation_id": organisation.id if organisation else None})
    return providers


# --- operations -------------------------------------------------------------------------------

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


# --- free text --------------------------------------------------------------------------------

def _text_condition(q: str):
    """Every word (case and accents ignored) in the name, description, organisation or a
    provider's name: a LIKE on the normalised ``search_text`` column."""
    words = normalise(q or "")[:200].split()[:6]
    conditions = [Offering.search_text.like("%" + _LIKE_SPECIAL.sub(r"\\\1", word) + "%",
                                            escape="\\")
                  for word in words]
    return and_(*conditions) if conditions else None


# --- reads ------------------------------------------------------------------------------------

def is_current(on: date):
    """SQL: active and not expired on ``on``."""
    return and_(Offering.active.is_(True),
                or_(Offering.ends_on.is_(None), Offering.ends_on >= on))


def _padded():
    """SQL: the offering's profile between spaces, so every token is `` token ``."""
    return literal(" ") + func.coalesce(Offering.profile, "") + literal(" ")


def _has_token(token: str):
    """SQL: the profile holds ``token`` (a cheap string test, no subquery)."""
    return _padded().like("% " + _LIKE_SPECIAL.sub(r"\\\1", token) + " %", escape="\\")


def _names(prefix: str):
    """SQL: the profile holds a token of ``prefix`` (such as ``size`` or ``province``)."""
    return _padded().like("% " + _LIKE_SPECIAL.sub(r"\\\1", prefix) + ":%", escape="\\")


def national():
    """SQL: the offering has no provinces and no regions (it runs nationally)."""
    return and_(not_(_names("province")), not_(_names("region")))


def _regions_in(province_ids):
    """SQL (uncorrelated, evaluated once): offerings with a region in one of the provinces."""
    return (select(offering_regions.c.offering_id)
            .join(region_municipalities,
                  region_municipalities.c.region_id == offering_regions.c.region_id)
            .join(Municipality, Municipality.id == region_municipalities.c.municipality_id)
            .where(Municipality.province_id.in_(list(province_ids))))


def in_province(province_id: int):
    """SQL: the offering runs in the province: nationally, there, or in a region there."""
    return _in_provinces([province_id])


def _in_provinces(province_ids):
    province_ids = list(province_ids)
    if not province_ids:
        return false()
    return or_(
        *[_has_token(f"province:{int(i)}") for i in province_ids],
        national(),
        and_(_names("region"), Offering.id.in_(_regions_in(province_ids))))


def fits(dimension: str, wanted):
    """SQL: no value in ``dimension`` (any), or one of ``wanted``. An offering's maturity
    ``ongespecificeerd`` fits every maturity."""
    wanted = list(dict.fromkeys(str(w) for w in _list(wanted)))
    if dimension == "maturity":
        wanted.append("ongespecificeerd")
    return or_(not_(_names(dimension)),
               *[_has_token(f"{dimension}:{value}") for value in wanted])


_FILTER_ALIASES = {"size_class": "size", "province": "province_id",
                   "organisation": "organisation_id", "market-failure": "market_failure"}


def offerings_matching(filters: dict | None = None, on: date | None = None) -> Select:
    """Offerings matching ``filters``, ordered by name. Filters (all optional):

    ``q`` free text (every word in name, description, organisation or a provider's name;
    case and accents ignored); ``archetype`` (a slug or list); ``organisation_id``;
    ``province_id``; ``region_id``; ``cost_kind``; each of :data:`TAG_FIELDS` (a value or a
    list: the offering has none in that dimension, or one of them); ``takes_referrals``
    (True/False); ``active`` (True: active and not expired on ``on``; False: withdrawn or
    expired); ``expired`` (True: only offerings ended before ``on``; False: none of those);
    ``withdrawn`` (True: only withdrawn ones; False: none).
    """
    on = on or today()
    filters = {_FILTER_ALIASES.get(k, k): v for k, v in (filters or {}).items()
               if v not in (None, "", [])}
    stmt = select(Offering)
    conditions = []
    if filters.get("q"):
        condition = _text_condition(str(filters["q"]))
        if condition is not None:
            conditions.append(condition)
    if "archetype" in filters:
        conditions.append(Offering.archetype.in_(_list(filters["archetype"])))
    if "cost_kind" in filters:
        conditions.append(Offering.cost_kind.in_(_list(filters["cost_kind"])))
    if "organisation_id" in filters:
        ids, _ok = _ids(filters["organisation_id"])
        conditions.append(Offering.organisation_id.in_(ids))
    if "province_id" in filters:
        ids, _ok = _ids(filters["province_id"])
        conditions.append(_in_provinces(ids))
    if "region_id" in filters:
        ids, _ok = _ids(filters["region_id"])
        region_provinces = (select(Municipality.province_id)
                            .join(region_municipalities,
                                  region_municipalities.c.municipality_id == Municipality.id)
                            .where(region_municipalities.c.region_id.in_(ids)))
        conditions.append(or_(
            *[_has_token(f"region:{i}") for i in ids],
            and_(_names("province"),
                 Offering.id.in_(select(offering_provinces.c.offering_id)
                                 .where(offering_provinces.c.province_id.in_(region_provinces)))),
            national()))
    for field, dimension in TAG_FIELDS.items():
        if field in filters:
            conditions.append(fits(dimension, filters[field]))
    if "takes_referrals" in filters:
        conditions.append(Offering.takes_referrals.is_(_bool(filters["takes_referrals"])))
    if "active" in filters:
        current = is_current(on)
        conditions.append(current if _bool(filters["active"]) else not_(current))
    if "expired" in filters:
        ended = and_(Offering.ends_on.is_not(None), Offering.ends_on < on)
        conditions.append(ended if _bool(filters["expired"]) else not_(ended))
    if "withdrawn" in filters:
        conditions.append(Offering.active.is_(not _bool(filters["withdrawn"])))
    return stmt.where(*conditions).order_by(func.lower(Offering.name), Offering.id)


def tags_by_offering(session, offering_ids) -> dict[int, dict[str, list[str]]]:
    """``{offering_id: {dimension: [values]}}`` for a page of offerings, in one query."""
    result: dict[int, dict[str, list[str]]] = {i: {} for i in offering_ids}
    if not offering_ids:
        return result
    rows = session.execute(
        select(OfferingTag.offering_id, OfferingTag.dimension, OfferingTag.value)
        .where(OfferingTag.offering_id.in_(list(offering_ids)))
        .order_by(OfferingTag.offering_id, OfferingTag.dimension, OfferingTag.value))
    for offering_id, dimension, value in rows:
        result[offering_id].setdefault(dimension, []).append(value)
    return result


def _pairs():
    """(offering_id, province_id) of offerings with provinces, or regions (their provinces)."""
    explicit = select(offering_provinces.c.offering_id, offering_provinces.c.province_id)
    via_regions = (select(offering_regions.c.offering_id, Municipality.province_id)
                   .join(region_municipalities,
                         region_municipalities.c.region_id == offering_regions.c.region_id)
                   .join(Municipality, Municipality.id == region_municipalities.c.municipality_id))
    return union(explicit, via_regions).cte("pairs")


def _signature(dimension: str):
    """SQL: an offering's values in ``dimension``, as one comma-separated string."""
    return (select(func.aggregate_strings(OfferingTag.value, ","))
            .where(OfferingTag.offering_id == Offering.id, OfferingTag.dimension == dimension)
            .scalar_subquery())


def coverage_by_province(on: date | None = None, *, session) -> list[dict]:
    """For each of the 12 provinces: which archetypes and target groups (size × maturity)
    have at least one current offering, and the white spots (those with none).

    Returns ``[{"province": Province, "archetypes": {slug: bool}, "missing_archetypes":
    [slug], "matrix": {(size, maturity): offerings}, "white_spots": [(size, maturity)]}]``
    in CBS province order. An offering without sizes counts for every size, one without a
    maturity level (or only ``ongespecificeerd``) for every level, a national one in every
    province. One aggregate query groups the current offerings by province, archetype and
    their sizes and levels; the few groups are spread over the matrix here.
    """
    on = on or today()
    offers = (select(Offering.id, Offering.archetype,
                     _signature("size").label("sizes"),
                     _signature("maturity").label("levels"))
              .where(is_current(on)).cte("offers").prefix_with("MATERIALIZED"))
    pairs = _pairs()
    groups = session.execute(
        select(pairs.c.province_id, offers.c.archetype, offers.c.sizes, offers.c.levels,
               func.count())
        .select_from(offers).outerjoin(pairs, pairs.c.offering_id == offers.c.id)
        .group_by(pairs.c.province_id, offers.c.archetype, offers.c.sizes, offers.c.levels)
    ).all()
    provinces = session.scalars(select(Province).order_by(Province.code)).all()
    matrices = {p.id: {(s, m): 0 for s in COVERAGE_SIZES for m in COVERAGE_MATURITIES}
                for p in provinces}
    covered: dict[int, set] = {p.id: set() for p in provinces}
    national_archetypes = set()
    counts: dict[tuple, int] = {}  # (province_id or None, sizes, levels) → offerings
    for province_id, archetype, sizes, levels, n in groups:
        (covered[province_id] if province_id is not None else national_archetypes).add(archetype)
        key = (province_id, sizes, levels)
        counts[key] = counts.get(key, 0) + n
    for archetypes in covered.values():
        archetypes |= national_archetypes
    for (province_id, sizes, levels), n in counts.items():
        sizes = [s for s in (sizes or "").split(",") if s in COVERAGE_SIZES] or COVERAGE_SIZES
        levels = [m for m in (levels or "").split(",")
                  if m in COVERAGE_MATURITIES] or COVERAGE_MATURITIES
        cells = [(size, level) for size in sizes for level in levels]
        # No province: national, so in every province.
        for matrix in ([matrices[province_id]] if province_id is not None
                       else matrices.values()):
            for cell in cells:
                matrix[cell] += n
    result = []
    for province in provinces:
        matrix = matrices[province.id]
        result.append({
            "province": province,
            "archetypes": {a: a in covered[province.id] for a in ARCHETYPE_SLUGS},
            "missing_archetypes": [a for a in ARCHETYPE_SLUGS if a not in covered[province.id]],
            "matrix": matrix,
            "white_spots": [cell for cell, n in matrix.items() if not n],
        })
    return result


def provider_name():
    """SQL: a provider's display name: its organisation's name, else the name given."""
    return func.coalesce(Organisation.name, OfferingProvider.name)


def provider_network(*, province_id: int | None = None, on: date | None = None,
                     current_only: bool = True) -> Select:
    """One row per provider (an organisation in the CRM, or a free name): ``name``,
    ``organisation_id``, ``offerings`` (how many it takes part in), ordered by name.
    Use :func:`provider_memberships` for the offerings and roles of a page of them."""
    on = on or today()
    name = provider_name().label("name")
    stmt = (select(name, OfferingProvider.organisation_id,
                   func.count(func.distinct(OfferingProvider.offering_id)).label("offerings"))
            .select_from(OfferingProvider)
            .join(Offering, Offering.id == OfferingProvider.offering_id)
            .outerjoin(Organisation, Organisation.id == OfferingProvider.organisation_id)
            .group_by(provider_name(), OfferingProvider.organisation_id)
            .order_by(func.lower(provider_name()), OfferingProvider.organisation_id))
    if current_only:
        stmt = stmt.where(is_current(on))
    if province_id:
        stmt = stmt.where(in_province(province_id))
    return stmt


def provider_memberships(providers, *, province_id: int | None = None, on: date | None = None,
                         current_only: bool = True) -> Select:
    """``(provider name, organisation_id, OfferingProvider, Offering)`` rows for the given
    provider rows of :func:`provider_network`, ordered by provider and offering name."""
    on = on or today()
    org_ids = [p.organisation_id for p in providers if p.organisation_id is not None]
    names = [p.name for p in providers if p.organisation_id is None]
    stmt = (select(provider_name().label("name"), OfferingProvider.organisation_id,
                   OfferingProvider, Offering)
            .select_from(OfferingProvider)
            .join(Offering, Offering.id == OfferingProvider.offering_id)
            .outerjoin(Organisation, Organisation.id == OfferingProvider.organisation_id)
            .where(or_(OfferingProvider.organisation_id.in_(org_ids),
                       and_(OfferingProvider.organisation_id.is_(None),
                            OfferingProvider.name.in_(names))))
            .order_by(func.lower(provider_name()), OfferingProvider.organisation_id,
                      func.lower(Offering.name), Offering.id, OfferingProvider.role))
    if current_only:
        stmt = stmt.where(is_current(on))
    if province_id:
        stmt = stmt.where(in_province(province_id))
    return stmt
