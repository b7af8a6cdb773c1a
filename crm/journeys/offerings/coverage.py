"""Offerings: coverage per province (archetypes and target groups; the white spots)."""
from datetime import date

from sqlalchemy import func, select, union

from ...models import Offering, OfferingTag, Province
from ...models.offering import offering_provinces, offering_regions
from ...models.reference import Municipality, region_municipalities
from ...models.vocabulary import ARCHETYPE_SLUGS, ARCHETYPES
from ..clock import today
from .filters import is_current

#: Size classes and maturity levels of the coverage matrix (the target groups).
COVERAGE_SIZES = ("zzp", "micro", "klein", "middelgroot")
COVERAGE_MATURITIES = ("laag", "middel", "hoog")
#: Archetype slug → (reach, effort) as the Regioscan estimates them.
ARCHETYPE_REACH_EFFORT = {a[0]: (a[2], a[3]) for a in ARCHETYPES}


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
