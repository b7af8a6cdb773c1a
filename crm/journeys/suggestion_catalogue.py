"""The offerings as the next-door suggestions see them, kept in memory per process.

Ranking reads every offering that could fit a company: on a catalogue of 5,000 offerings,
reading and string-testing them took most of a suggestion's time. The catalogue is therefore
read once into plain objects, indexed by province and region, with each offering's profile
parsed and its keywords found; every use first reads the token of
:class:`~crm.models.offering.CatalogueMarker`, which database triggers renew on any change to
the offerings or to an organisation's active flag (migration 0020), and reads the catalogue
again when the token differs. Nothing in it is needed by another process: each keeps its own
copy, and a copy can never be used once the database has changed.

When the token is missing (a database emptied with TRUNCATE of the markers), nothing is kept:
the catalogue is read for that use only.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from itertools import chain

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Offering, Organisation
from ..models.offering import CatalogueMarker


@dataclass(slots=True)
class Entry:
    """One offering: what the ranking needs, nothing it must load again."""
    id: int
    organisation_id: int
    archetype: str
    #: Active, taking referrals, and of an active organisation.
    open: bool
    ends_on: date | None
    #: ``{dimension: [values]}`` of the target group and content tags.
    dims: dict[str, list[str]]
    #: The tags as ``dimension:value`` tokens.
    tag_pairs: list[str]
    provinces: frozenset[int]
    regions: frozenset[int]
    name: str
    description: str
    #: The keyword stems of name, description, archetype and tags (found on first use).
    stems: frozenset | None = None

    @property
    def national(self) -> bool:
        return not self.provinces and not self.regions

    def current(self, on: date) -> bool:
        return self.open and (self.ends_on is None or self.ends_on >= on)


@dataclass
class Catalogue:
    token: str | None
    entries: list[Entry]
    by_province: dict[int, list[Entry]] = field(default_factory=dict)
    by_region: dict[int, list[Entry]] = field(default_factory=dict)
    national: list[Entry] = field(default_factory=list)

    def __post_init__(self):
        for entry in self.entries:
            for province_id in entry.provinces:
                self.by_province.setdefault(province_id, []).append(entry)
            for region_id in entry.regions:
                self.by_region.setdefault(region_id, []).append(entry)
            if entry.national:
                self.national.append(entry)

    def reaching(self, province_id: int | None, region_ids) -> list[Entry]:
        """The offerings whose area takes in a company of this province and these regions:
        the province's, the regions', and the national ones (every offering for a company
        without a known province)."""
        if not province_id:
            return self.entries
        seen: set[int] = set()
        found = []
        for entry in chain(self.by_province.get(province_id, ()), self.national,
                           *(self.by_region.get(r, ()) for r in region_ids)):
            if entry.id not in seen:
                seen.add(entry.id)
                found.append(entry)
        return found


def parse_profile(profile: str | None) -> tuple[dict, list, list, list]:
    """``(dims, tag_pairs, provinces, regions)`` of an offering's profile string."""
    dims: dict[str, list[str]] = {}
    tag_pairs, provinces, regions = [], [], []
    for token in (profile or "").split():
        d, _, v = token.partition(":")
        if d == "province":
            provinces.append(int(v))
        elif d == "region":
            regions.append(int(v))
        else:
            dims.setdefault(d, []).append(v)
            tag_pairs.append(token)
    return dims, tag_pairs, provinces, regions


def _read(session: Session, token: str | None) -> Catalogue:
    entries = []
    for (oid, organisation_id, archetype, active, takes_referrals, ends_on, profile, name,
         description, organisation_active) in session.connection().execute(
            select(Offering.id, Offering.organisation_id, Offering.archetype, Offering.active,
                   Offering.takes_referrals, Offering.ends_on, Offering.profile, Offering.name,
                   Offering.description, Organisation.active)
            .join(Organisation, Organisation.id == Offering.organisation_id)
            .order_by(Offering.id)).all():
        dims, tag_pairs, provinces, regions = parse_profile(profile)
        entries.append(Entry(oid, organisation_id, archetype,
                             bool(active and takes_referrals and organisation_active), ends_on,
                             dims, tag_pairs, frozenset(provinces), frozenset(regions),
                             name or "", description or ""))
    return Catalogue(token, entries)


_cache: dict[int, tuple[object, Catalogue]] = {}
_lock = threading.Lock()


def catalogue(session: Session) -> Catalogue:
    """The current catalogue for the session's database (read again when it changed)."""
    bind = session.get_bind()
    token = session.connection().execute(
        select(CatalogueMarker.token).where(CatalogueMarker.name == "offerings")).scalar()
    cached = _cache.get(id(bind))
    if token is not None and cached is not None and cached[0] is bind \
            and cached[1].token == token:
        return cached[1]
    fresh = _read(session, token)
    if token is not None:
        with _lock:
            _cache[id(bind)] = (bind, fresh)
    return fresh
