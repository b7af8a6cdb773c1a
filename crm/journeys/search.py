"""Company search: one box for a name fragment, a KVK number (or its start) or a place.

Results come in tiers, most relevant first, without duplicates:

1. the company with exactly that KVK number;
2. companies whose KVK number starts with the digits typed (ordered by KVK number);
3. companies whose name starts with the text (ordered by ``sort_name``);
4. companies with the text anywhere in name, trade names or KVK number (ordered by
   ``sort_name``; three characters or more, answered by a trigram index);
5. companies located in a municipality of that name (ordered by ``sort_name``).

The SBI section, size class and province filters apply to every tier; an empty query browses
all companies by name. Every tier fetches a bounded number of candidates (:data:`TIER_LIMIT`),
so the worst case stays fast however many companies match; when a bound is hit the result
says so (``capped``) and its ``total`` is unknown (``None``).
"""
import heapq
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select, text
from sqlalchemy.orm import Session, joinedload

from ..models import Company, Municipality
from ..reference import normalise

#: At most this many companies per tier (and so, per result list) are ranked.
TIER_LIMIT = 500
#: Rows of an index range examined for a tier when a filter cannot use that index.
SCAN_LIMIT = 5000
#: Substring candidates taken from the trigram index before ordering (without / with filters).
SUBSTRING_CANDIDATES = 500
SUBSTRING_CANDIDATES_FILTERED = 3000
#: Browsing without a query pages through at most this many companies.
BROWSE_LIMIT = 10_000
#: At most this many municipalities count as "the place" a query names.
MUNICIPALITY_LIMIT = 5
#: Longest query considered (longer input is cut off).
MAX_QUERY = 200
#: Shortest query answered by substring search (trigrams need three characters).
MIN_SUBSTRING = 3

_KVK_INPUT = re.compile(r"[0-9][0-9\s.]*")
_LIKE_SPECIAL = re.compile(r"([\\%_])")


@dataclass
class CompanySearchResult:
    items: list[Company]
    page: int
    per_page: int
    has_next: bool
    #: Number of matching companies when known exactly; None when a bound was hit.
    total: int | None
    #: A candidate bound was hit: more companies may match than can be paged through.
    capped: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def clean_query(q: str | None) -> str:
    """The query without control characters (NUL and the like), at most MAX_QUERY long."""
    q = "".join(c for c in (q or "")[:MAX_QUERY * 2]
                if unicodedata.category(c) not in ("Cc", "Cs", "Cn"))
    return q.strip()[:MAX_QUERY]


def kvk_digits(q: str) -> str | None:
    """The digits of ``q`` when it looks like (the start of) a KVK number: '12.34 56' → '123456'."""
    if not _KVK_INPUT.fullmatch(q):
        return None
    digits = re.sub(r"[\s.]", "", q)
    return digits if 1 <= len(digits) <= 8 else None


def like_escape(value: str) -> str:
    """``value`` with LIKE wildcards escaped (escape character: backslash)."""
    return _LIKE_SPECIAL.sub(r"\\\1", value)


def fts5_phrase(value: str) -> str:
    """``value`` as one FTS5 phrase (a string), so no input is read as query syntax."""
    return '"' + value.replace('"', '""') + '"'


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string starting with ``prefix`` (code point order)."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def _starts_with(column, prefix: str):
    """``column`` starts with ``prefix``, as an index range (byte order on both backends)."""
    upper = prefix_upper_bound(prefix)
    condition = column >= prefix
    return and_(condition, column < upper) if upper is not None else condition


class _Filters:
    """The SBI section, size class and province filters, as conditions on any column set."""

    def __init__(self, sbi_section, size_class, province_id):
        self.sbi_section = sbi_section or None
        self.size_class = size_class or None
        try:
            self.province_id = int(province_id) if province_id not in (None, "") else None
        except (TypeError, ValueError):
            self.province_id = None

    def other_than_province(self, columns) -> list:
        conditions = []
        if self.sbi_section is not None:
            conditions.append(columns.sbi_section == self.sbi_section)
        if self.size_class is not None:
            conditions.append(columns.size_class == self.size_class)
        return conditions

    def all(self, columns) -> list:
        conditions = self.other_than_province(columns)
        if self.province_id is not None:
            conditions.append(columns.province_id == self.province_id)
        return conditions


def _bounded_range(session: Session, base: Select, key, conditions, limit: int):
    """At most ``limit`` (id, key) rows of ``base`` that meet ``conditions``, ordered by ``key``.

    ``base`` selects ``Company.id`` from an index range that ``key`` orders. Without conditions
    the range itself is limited. With conditions only the first SCAN_LIMIT rows of the range
    are examined, so a filter that matches few rows cannot make the database walk a range of
    hundreds of thousands of rows. Returns (rows, capped).
    """
    if not conditions:
        rows = session.execute(base.add_columns(key).order_by(key).limit(limit)).all()
        return rows, len(rows) >= limit
    inner = (base.add_columns(key.label("key"), Company.sbi_section, Company.size_class,
                              Company.province_id)
             .order_by(key).limit(SCAN_LIMIT).subquery())
    rows = session.execute(select(inner.c.id, inner.c.key).where(*conditions(inner.c))
                           .order_by(inner.c.key).limit(limit)).all()
    if len(rows) >= limit:
        return rows, True
    # Fewer matches than the limit: complete unless the scan stopped at its bound.
    scanned = session.scalar(select(func.count()).select_from(
        base.order_by(key).limit(SCAN_LIMIT + 1).subquery()))
    return rows, scanned > SCAN_LIMIT


def _kvk_tiers(session, digits: str, filters: _Filters):
    if len(digits) == 8:
        ids = list(session.scalars(select(Company.id).where(Company.kvk == digits,
                                                            *filters.all(Company))))
        return [("kvk", ids, False)]
    base = select(Company.id).where(_starts_with(Company.kvk, digits))
    rows, capped = _bounded_range(session, base, Company.kvk, filters.all, TIER_LIMIT)
    return [("kvk_prefix", [r[0] for r in rows], capped)]


def _name_prefix_tier(session, key: str, filters: _Filters):
    base = select(Company.id).where(_starts_with(Company.sort_name, key))
    if filters.province_id is not None:
        # Answered by the (province_id, sort_name) index.
        base = base.where(Company.province_id == filters.province_id)
    rows, capped = _bounded_range(session, base, Company.sort_name,
                                  filters.other_than_province, TIER_LIMIT)
    return [r[0] for r in rows], capped


def substring_searchable(key: str) -> bool:
    """Whether substring search applies: three letters or digits in a row.

    Trigram indexes need three characters; PostgreSQL's pg_trgm moreover only takes trigrams
    from letters and digits, so a query of punctuation would scan every row. The same rule
    holds on both backends so they give the same answers.
    """
    return re.search(r"[^\W_]{3}", key) is not None


def _substring_tier(session, key: str, filters: _Filters):
    any_filter = bool(filters.all(Company))
    candidates = SUBSTRING_CANDIDATES_FILTERED if any_filter else SUBSTRING_CANDIDATES
    if session.get_bind().dialect.name == "sqlite":
        matched = list(session.scalars(
            text("SELECT rowid FROM company_fts WHERE company_fts MATCH :phrase LIMIT :n"),
            {"phrase": fts5_phrase(key), "n": candidates}))
        capped = len(matched) >= candidates
        if not matched:
            return [], False
        ids_json = "[" + ",".join(map(str, matched)) + "]"
        listed = select(text("value")).select_from(func.json_each(ids_json))
        rows = session.execute(
            select(Company.id, Company.sort_name)
            .where(Company.id.in_(listed), *filters.all(Company))).all()
    else:
        # The GIN trigram index answers the LIKE; the LIMIT stops fetching rows after that.
        rows = session.execute(
            select(Company.id, Company.sort_name)
            .where(Company.search_text.like(f"%{like_escape(key)}%", escape="\\"),
                   *filters.all(Company))
            .limit(candidates)).all()
        capped = len(rows) >= candidates
    rows.sort(key=lambda r: (r[1], r[0]))
    if len(rows) > TIER_LIMIT:
        rows, capped = rows[:TIER_LIMIT], True
    return [r[0] for r in rows], capped


def matching_municipalities(session, key: str, province_id=None) -> list[int]:
    """Ids of the municipalities ``key`` names: the exact name first, then names starting
    with it (or with a word starting with it, as in 's-Gravenhage); at most a few."""
    conditions = [Municipality.search_name == key]
    if len(key) >= MIN_SUBSTRING:
        escaped = like_escape(key)
        conditions += [Municipality.search_name.like(f"{escaped}%", escape="\\"),
                       Municipality.search_name.like(f"% {escaped}%", escape="\\"),
                       Municipality.search_name.like(f"%-{escaped}%", escape="\\")]
    query = (select(Municipality.id)
             .where(or_(*conditions))
             .order_by((Municipality.search_name == key).desc(), Municipality.search_name)
             .limit(MUNICIPALITY_LIMIT))
    if province_id is not None:
        query = query.where(Municipality.province_id == province_id)
    return list(session.scalars(query))


def _place_tier(session, key: str, filters: _Filters):
    municipality_ids = matching_municipalities(session, key, filters.province_id)
    per_place, capped = [], False
    for municipality_id in municipality_ids:
        # Answered by the (municipality_id, sort_name) index, in order.
        base = select(Company.id).where(Company.municipality_id == municipality_id)
        rows, hit = _bounded_range(session, base, Company.sort_name,
                                   filters.other_than_province, TIER_LIMIT)
        per_place.append([(r[1], r[0]) for r in rows])
        capped = capped or hit
    merged = list(heapq.merge(*per_place))
    if len(merged) > TIER_LIMIT:
        merged, capped = merged[:TIER_LIMIT], True
    return [company_id for _, company_id in merged], capped


def _ranked_ids(session, q: str, filters: _Filters):
    """All candidate ids in relevance order without duplicates, and whether a bound was hit."""
    key = normalise(q)[:MAX_QUERY]
    tiers = []
    digits = kvk_digits(q)
    if digits:
        tiers += _kvk_tiers(session, digits, filters)
    ids, capped = _name_prefix_tier(session, key, filters)
    tiers.append(("name_prefix", ids, capped))
    if substring_searchable(key):
        ids, capped = _substring_tier(session, key, filters)
        tiers.append(("substring", ids, capped))
    ids, capped = _place_tier(session, key, filters)
    tiers.append(("place", ids, capped))

    seen: dict[int, None] = {}
    for _, ids, _ in tiers:
        for company_id in ids:
            seen.setdefault(company_id, None)
    return list(seen), any(capped for *_, capped in tiers)


def _browse(session, filters: _Filters, page: int, per_page: int) -> CompanySearchResult:
    start = (page - 1) * per_page
    conditions = filters.all(Company)
    counted = session.scalar(select(func.count()).select_from(
        select(Company.id).where(*conditions).limit(BROWSE_LIMIT + 1).subquery()))
    capped = counted > BROWSE_LIMIT
    reachable = min(counted, BROWSE_LIMIT)
    ids = []
    if start < reachable:
        ids = list(session.scalars(select(Company.id).where(*conditions)
                                   .order_by(Company.sort_name, Company.id)
                                   .offset(start).limit(min(per_page, reachable - start))))
    return CompanySearchResult(items=_load(session, ids), page=page, per_page=per_page,
                               has_next=start + per_page < reachable,
                               total=None if capped else counted, capped=capped)


def _load(session, ids: list[int]) -> list[Company]:
    """The companies with these ids, in this order, with their municipality loaded."""
    if not ids:
        return []
    companies = session.scalars(select(Company).options(joinedload(Company.municipality))
                                .where(Company.id.in_(ids))).unique()
    by_id = {c.id: c for c in companies}
    return [by_id[i] for i in ids if i in by_id]


def search_companies(session: Session, q: str | None, *, sbi_section=None, size_class=None,
                     province_id=None, page: int = 1, per_page: int = 25
                     ) -> CompanySearchResult:
    """Search companies by name fragment, KVK number (or its start) or place; see the module
    documentation for the order. An empty ``q`` browses by name. Never raises on odd input."""
    try:
        page = max(1, int(page))
    except (TypeError, ValueError):
        page = 1
    try:
        per_page = max(1, min(int(per_page), 200))
    except (TypeError, ValueError):
        per_page = 25
    filters = _Filters(sbi_section, size_class, province_id)
    q = clean_query(q)
    if not normalise(q):
        return _browse(session, filters, page, per_page)
    ids, capped = _ranked_ids(session, q, filters)
    start = (page - 1) * per_page
    return CompanySearchResult(items=_load(session, ids[start:start + per_page]), page=page,
                               per_page=per_page, has_next=len(ids) > start + per_page,
                               total=None if capped else len(ids), capped=capped)
