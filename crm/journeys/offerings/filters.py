"""Offerings: the SQL filters of the ecosystem map (:func:`offerings_matching`).

Most filters test the offering's denormalised ``profile`` (space-separated tokens such as
``size:micro`` or ``province:3``) or its normalised ``search_text``, so no subquery per row.
"""
import re
from datetime import date

from sqlalchemy import Select, and_, false, func, literal, not_, or_, select

from ...models import Offering, OfferingTag
from ...models.offering import offering_provinces, offering_regions
from ...models.reference import Municipality, region_municipalities
from ...reference import normalise
from ..clock import today
from .validation import TAG_FIELDS, _bool, _ids, _list

_LIKE_SPECIAL = re.compile(r"([\\%_])")


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
