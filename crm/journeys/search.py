"""Company search: one box for a name fragment, a KVK number (or its start) or a place.

Results come in tiers, most relevant first, without duplicates:

1. the company with exactly that KVK number;
2. companies whose KVK number starts with the digits typed (ordered by KVK number);
3. companies whose name starts with the text (ordered by ``sort_name``);
4. companies with the text anywhere in their name or trade names (ordered by
   ``sort_name``; three characters or more, answered by a trigram index);
5. companies located in a municipality of that name (ordered by ``sort_name``).

The SBI section, size class and province filters apply to every tier; an empty query browses
all companies by name. Every tier fetches a bounded number of candidates (:data:`TIER_LIMIT`),
so the worst case stays fast however many companies match; when a bound is hit the result
says so (``capped``) and its ``total`` is unknown (``None``).
"""
import logging
import re
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, joinedload

from ..models import Company, Municipality
from ..reference import normalise, parse_id
from .search_statements import Shape, substring_statement, union_statement

log = logging.getLogger(__name__)

#: At most this many companies per tier (and so, per result list) are ranked.
TIER_LIMIT = 500
#: Rows of an index range examined for a tier when a filter cannot use that index.
SCAN_LIMIT = 5000
#: Substring candidates taken from the trigram index before ordering (without / with filters).
SUBSTRING_CANDIDATES = 500
SUBSTRING_CANDIDATES_FILTERED = 500
#: SQLite: keys up to this long are one FTS5 phrase; longer ones a few trigrams, then checked.
FTS5_PHRASE_MAX = 8
FTS5_MAX_TRIGRAMS = 6
#: PostgreSQL: the substring candidate query gives up after this long (0: never).
SUBSTRING_TIMEOUT_MS = 10
#: Browsing without a query pages through at most this many companies.
BROWSE_LIMIT = 10_000
#: At most this many municipalities count as "the place" a query names.
MUNICIPALITY_LIMIT = 5
#: How long the municipality names are kept in memory.
MUNICIPALITY_CACHE_SECONDS = 300
#: Longest query considered (longer input is cut off).
MAX_QUERY = 200
#: Shortest query answered by substring search (trigrams need three characters).
MIN_SUBSTRING = 3

#: The tables, for the id-only queries (plain Core: less overhead than ORM statements).
_companies = Company.__table__
_municipalities = Municipality.__table__

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


class _Filters:
    """The SBI section, size class and province filters."""

    def __init__(self, sbi_section, size_class, province_id):
        self.sbi_section = sbi_section or None
        self.size_class = size_class or None
        self.province_id = (parse_id(str(province_id).strip())
                            if isinstance(province_id, (int, str)) else None)

    def other_than_province(self, columns) -> list:
        """Section and size class conditions on ``columns`` (a table's or subquery's .c)."""
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

    def accepts(self, sbi_section, size_class, province_id) -> bool:
        return ((self.sbi_section is None or sbi_section == self.sbi_section)
                and (self.size_class is None or size_class == self.size_class)
                and (self.province_id is None or province_id == self.province_id))

    def __bool__(self) -> bool:
        return not (self.sbi_section is None and self.size_class is None
                    and self.province_id is None)


def substring_searchable(key: str) -> bool:
    """Whether substring search applies: three letters or digits in a row.

    Trigram indexes need three characters; PostgreSQL's pg_trgm moreover only takes trigrams
    from letters and digits, so a query of punctuation would scan every row. The same rule
    holds on both backends so they give the same answers.
    """
    return re.search(r"[^\W_]{3}", key) is not None


def fts5_trigram_query(key: str) -> str:
    """An FTS5 (trigram) query for the rows that may contain ``key``.

    Up to FTS5_PHRASE_MAX characters: the whole key as one phrase (exact). A longer key made
    of common trigrams ("van den berg installatietechniek") makes a phrase query walk the
    long lists of every trigram, so instead at most FTS5_MAX_TRIGRAMS non-overlapping
    trigrams spread over the key must all occur; the caller checks the key itself.
    """
    if len(key) <= FTS5_PHRASE_MAX:
        return fts5_phrase(key)
    starts = list(range(0, len(key) - 2, 3))
    if starts[-1] != len(key) - 3:
        starts.append(len(key) - 3)
    if len(starts) > FTS5_MAX_TRIGRAMS:
        step = (len(starts) - 1) / (FTS5_MAX_TRIGRAMS - 1)
        starts = [starts[round(i * step)] for i in range(FTS5_MAX_TRIGRAMS)]
    return " AND ".join(fts5_phrase(key[i:i + 3]) for i in dict.fromkeys(starts))


def _substring_rows(session, shape: Shape, params: dict):
    """PostgreSQL: tier 4 on its own, under a timeout; None when it ran out of time.

    A trigram index scan must build its whole bitmap before the LIMIT counts, and a
    fragment of very common trigrams ("n van de") can take tens of milliseconds, so the
    statement runs under ``statement_timeout`` inside a savepoint (SQLite's FTS5 query stops
    at its LIMIT and needs no guard). A fragment that runs out of time matches thousands of
    companies (7,000–20,000 of a million), of which only ``substring_limit`` would have been
    looked at anyway: the result says it is capped and asks for a narrower search.
    """
    statement = substring_statement(shape)
    connection = session.connection()
    if not SUBSTRING_TIMEOUT_MS:
        return connection.execute(statement, params).all()
    connection.exec_driver_sql(
        f"SAVEPOINT company_search; SET LOCAL statement_timeout = {int(SUBSTRING_TIMEOUT_MS)}")
    try:
        rows = connection.execute(statement, params).all()
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != "57014":  # query_canceled
            raise
        rows = None
        log.info("substring search timed out after %d ms", SUBSTRING_TIMEOUT_MS)
    # The rows are read; rolling back to the savepoint undoes the SET LOCAL as well (a plain
    # "SET … TO DEFAULT" would itself run under the short timeout and could be cancelled).
    for attempt in range(3):
        try:
            connection.exec_driver_sql(
                "ROLLBACK TO SAVEPOINT company_search; RELEASE SAVEPOINT company_search")
            break
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != "57014" or attempt == 2:
                raise
    return rows


def _ranked_ids(session, q: str, filters: _Filters):
    """All candidate ids in relevance order without duplicates, and whether a bound was hit.

    The tiers go to the database as one UNION ALL (on PostgreSQL the substring tier runs
    apart, under a timeout): each member is ordered and limited on its own index, and the
    rows come back tagged with their tier and sort key, to be ranked here. The statements
    come ready-built per shape (:mod:`.search_statements`); only the parameters are new.
    """
    key = normalise(q)[:MAX_QUERY]
    digits = kvk_digits(q)
    dialect = session.get_bind().dialect.name
    postgresql = dialect == "postgresql"
    substring = substring_searchable(key)
    places = matching_municipalities(session, key, filters.province_id)
    name_upper = prefix_upper_bound(key)
    substring_limit = SUBSTRING_CANDIDATES_FILTERED if filters else SUBSTRING_CANDIDATES
    shape = Shape(dialect=dialect,
                  kvk=None if not digits else "exact" if len(digits) == 8 else "prefix",
                  name_bounded=name_upper is not None,
                  section=filters.sbi_section is not None,
                  size=filters.size_class is not None,
                  province=filters.province_id is not None,
                  substring=substring and not postgresql, places=len(places))
    params = {"name": key, "name_upper": name_upper, "section": filters.sbi_section,
              "size": filters.size_class, "province": filters.province_id,
              "tier_limit": TIER_LIMIT, "scan_limit": SCAN_LIMIT, "scan_limit_1": SCAN_LIMIT + 1,
              "substring_limit": substring_limit}
    if digits:
        params["kvk"] = digits
        params["kvk_upper"] = prefix_upper_bound(digits)
    for i, municipality_id in enumerate(places):
        params[f"place_{i}"] = municipality_id
    if substring:
        if postgresql:
            params["like"] = f"%{like_escape(key)}%"
        else:
            params["fts_query"] = fts5_trigram_query(key)
            params["contains"] = key

    rows = session.connection().execute(union_statement(shape), params).all()
    capped = False
    if substring and postgresql:
        substring_rows = _substring_rows(session, shape, params)
        if substring_rows is None:
            capped = True  # ran out of time: the other tiers still answer
        else:
            rows += substring_rows

    by_tier: dict[int, list] = {}
    for row in rows:
        by_tier.setdefault(row[0], []).append(row)
    for tier in (12, 13, 15):  # a filtered range scan stopped at its bound
        if any(r[1] > SCAN_LIMIT for r in by_tier.get(tier, ())):
            capped = True
    if len(by_tier.get(4, ())) >= substring_limit:
        capped = True  # more substring candidates than were looked at
    ranked: dict[int, None] = {}
    for tier in (1, 2, 3, 4, 5):
        tier_rows = [r for r in by_tier.get(tier, ()) if r[3]]
        tier_rows.sort(key=lambda r: (r[2], r[1]))  # code point order, as the indexes
        if tier != 4 and len(tier_rows) >= TIER_LIMIT or len(tier_rows) > TIER_LIMIT:
            capped = True
        for row in tier_rows[:TIER_LIMIT]:
            ranked.setdefault(row[1], None)
    return list(ranked), capped


_municipality_cache: dict = {}


def _municipalities_of(session) -> list[tuple[int, str, int]]:
    """(id, search name, province id) of every municipality, kept a few minutes per database
    (reference data: a few hundred rows that change with a migration, not in use)."""
    bind = session.get_bind()
    cached = _municipality_cache.get(id(bind))
    now = time.monotonic()
    if cached is None or cached[0] < now or cached[1] is not bind:
        m = _municipalities.c
        rows = [tuple(r) for r in session.execute(
            select(m.id, m.search_name, m.province_id).order_by(m.search_name))]
        cached = (now + MUNICIPALITY_CACHE_SECONDS, bind, rows)
        _municipality_cache[id(bind)] = cached
    return cached[2]


def matching_municipalities(session, key: str, province_id=None) -> list[int]:
    """Ids of the municipalities ``key`` names: the exact name first, then names starting
    with it (or with a word starting with it, as in 's-Gravenhage); at most a few."""
    exact, partial = [], []
    for municipality_id, name, municipality_province in _municipalities_of(session):
        if province_id is not None and municipality_province != province_id:
            continue
        if name == key:
            exact.append(municipality_id)
        elif len(key) >= MIN_SUBSTRING and (name.startswith(key) or f" {key}" in name
                                            or f"-{key}" in name):
            partial.append(municipality_id)
    return (exact + partial)[:MUNICIPALITY_LIMIT]


def _browse(session, filters: _Filters, page: int, per_page: int) -> CompanySearchResult:
    c = _companies.c
    start = (page - 1) * per_page
    conditions = filters.all(c)
    counted = session.scalar(select(func.count()).select_from(
        select(c.id).where(*conditions).limit(BROWSE_LIMIT + 1).subquery()))
    capped = counted > BROWSE_LIMIT
    reachable = min(counted, BROWSE_LIMIT)
    ids = []
    if start < reachable:
        ids = list(session.scalars(select(c.id).where(*conditions)
                                   .order_by(c.sort_name, c.id)
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
