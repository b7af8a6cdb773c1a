"""The journey list: whose list it is (:class:`Scope`) and what it is filtered and sorted on
(:class:`Filters`, read from the query string by :func:`parse_filters`)."""
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Municipality, Organisation, Province, Region, Role, SbiSection, User
from ...models.reference import region_municipalities
from ...reference import parse_id
from ..errors import N_

SORTS = ("name", "last_step", "organisations", "open_referrals")
SIZES = ("zzp", "micro", "klein", "middelgroot", "groot")
PHASES = ("starter", "scale-up", "overig")
MATURITIES = ("laag", "middel", "hoog", "onbekend")
#: Query-string keys of the filters (also what a saved view keeps).
FILTER_KEYS = ("province", "region", "municipality", "sector", "size", "phase", "maturity",
               "organisation", "open_referral", "failed_last", "sort")


@dataclass
class Filters:
    province: int | None = None
    region: int | None = None
    municipality: int | None = None
    sector: str | None = None
    size: str | None = None
    phase: str | None = None
    maturity: str | None = None
    organisation: int | None = None
    open_referral: bool = False
    failed_last: bool = False
    #: A key of :data:`SORTS`, with a leading ``-`` for descending.
    sort: str = "name"

    def args(self) -> dict:
        """The filters as query arguments (only those set; the default sort left out)."""
        out = {}
        for key in FILTER_KEYS:
            value = getattr(self, key)
            if key == "sort":
                if value != "name":
                    out[key] = value
            elif value is True:
                out[key] = "1"
            elif value not in (None, False):
                out[key] = value
        return out


@dataclass
class Scope:
    user: User
    #: The provinces a coordinator coordinates; ``None``: the own organisation's companies.
    province_ids: list[int] | None

    @property
    def regional(self) -> bool:
        return self.province_ids is not None


def scope_for(user: User) -> Scope:
    if user.role == Role.coordinator.value and user.provinces:
        return Scope(user, [p.id for p in user.provinces])
    return Scope(user, None)


def options(session: Session, scope: Scope) -> dict:
    """The choices of each filter in this scope (ids/slugs with names)."""
    provinces = select(Province.id, Province.name).order_by(Province.name)
    municipalities = select(Municipality.id, Municipality.name).order_by(Municipality.search_name)
    regions = select(Region.id, Region.name).order_by(Region.name)
    if scope.regional:
        provinces = provinces.where(Province.id.in_(scope.province_ids))
        municipalities = municipalities.where(Municipality.province_id.in_(scope.province_ids))
        regions = regions.where(Region.id.in_(
            select(region_municipalities.c.region_id)
            .join(Municipality, Municipality.id == region_municipalities.c.municipality_id)
            .where(Municipality.province_id.in_(scope.province_ids))))
    return {
        "provinces": session.execute(provinces).all(),
        "regions": session.execute(regions).all(),
        "municipalities": session.execute(municipalities).all(),
        "sectors": session.execute(select(SbiSection.letter, SbiSection.name_nl)
                                   .order_by(SbiSection.letter)).all(),
        "organisations": session.execute(select(Organisation.id, Organisation.name)
                                         .order_by(Organisation.name)).all(),
    }


def parse_filters(args: Mapping, opts: dict) -> tuple[Filters, list[tuple[str, dict]]]:
    """Filters from query arguments; unknown values are dropped and reported (msgids)."""
    f, problems = Filters(), []

    def choice(key, allowed):
        raw = (args.get(key) or "").strip()[:40]
        if not raw:
            return None
        if allowed is int:
            return raw
        if raw in allowed:
            return raw
        problems.append((N_("Unknown value for the filter “%(filter)s” was ignored."),
                         {"filter": key}))
        return None

    def ident(key, rows):
        raw = choice(key, int)
        if raw is None:
            return None
        if (ident_ := parse_id(raw)) is not None and ident_ in {r[0] for r in rows}:
            return ident_
        problems.append((N_("Unknown value for the filter “%(filter)s” was ignored."),
                         {"filter": key}))
        return None

    f.province = ident("province", opts["provinces"])
    f.region = ident("region", opts["regions"])
    f.municipality = ident("municipality", opts["municipalities"])
    f.organisation = ident("organisation", opts["organisations"])
    f.sector = choice("sector", {r[0] for r in opts["sectors"]})
    f.size = choice("size", SIZES)
    f.phase = choice("phase", PHASES)
    f.maturity = choice("maturity", MATURITIES)
    f.open_referral = args.get("open_referral") in ("1", "on", "true")
    f.failed_last = args.get("failed_last") in ("1", "on", "true")
    f.sort = choice("sort", SORTS + tuple("-" + s for s in SORTS)) or "name"
    return f, problems
