"""The SQL of company search, built once per *shape* of query and reused with new parameters.

Building a union of a dozen selects and computing its cache key costs more Python time than
the database needs to answer it (1–3 ms against 0.1–1 ms), so each shape — which tiers
apply, which filters are set, how many places the text names, the backend — is built once
(:func:`union_statement`, :func:`substring_statement`) with bind parameters for every value:

``kvk``, ``kvk_upper`` (KVK number or its start, and the bound above that start); ``name``,
``name_upper`` (the name prefix and its bound); ``section``, ``size``, ``province`` (filters);
``place_0`` … (municipality ids); ``contains`` (SQLite: the key, checked with instr);
``fts_query`` (SQLite: the FTS5 query); ``like`` (PostgreSQL: the LIKE pattern);
``tier_limit``, ``scan_limit``, ``scan_limit_1``, ``substring_limit`` (the bounds).

Each union member returns (tier, id, key, hit): the tier it belongs to, the company, its sort
key within the tier, and whether it passes the filters (substring candidates are checked
here rather than in the index). Tier + 10 members count how far a filtered range scan went.
"""
import functools
from dataclasses import dataclass

from sqlalchemy import (Integer, Select, String, and_, bindparam, cast, column, func, literal,
                        null, select, text, union_all)

from ..models import Company

_companies = Company.__table__


@dataclass(frozen=True)
class Shape:
    """What a search statement looks like, apart from its parameter values."""
    dialect: str
    #: "exact" (8 digits), "prefix" (1–7 digits) or None.
    kvk: str | None = None
    #: The name prefix has an upper bound (false only for a prefix of maximal code points).
    name_bounded: bool = True
    section: bool = False
    size: bool = False
    province: bool = False
    #: SQLite: the substring tier is a member of the union (PostgreSQL runs it apart).
    substring: bool = False
    #: Number of municipalities the text names (each a tier 5 member).
    places: int = 0

    def conditions(self, columns, *, province: bool = True) -> list:
        """The filter conditions on ``columns`` (a table's or subquery's ``.c``)."""
        conditions = []
        if self.section:
            conditions.append(columns.sbi_section == bindparam("section"))
        if self.size:
            conditions.append(columns.size_class == bindparam("size"))
        if province and self.province:
            conditions.append(columns.province_id == bindparam("province"))
        return conditions

    def other_than_province(self, columns) -> list:
        return self.conditions(columns, province=False)


def _limit(name: str):
    return bindparam(name, type_=Integer)


def _range_members(tier: int, where: list, key, conditions_on) -> list[Select]:
    """Union members for one tier read from an index range in ``key`` order.

    ``conditions_on`` turns a column collection into the filter conditions. Without filters
    the range itself is limited to ``tier_limit`` rows. With them only the first
    ``scan_limit`` rows of the range are examined, so a filter that matches few rows cannot
    make the database walk hundreds of thousands of rows; a second member (tier + 10) counts
    how many rows the scan examined, to tell whether it stopped at its bound.
    """
    c = _companies.c
    if not conditions_on(c):
        ranged = (select(c.id, key.label("key")).where(*where).order_by(key)
                  .limit(_limit("tier_limit")).subquery())
        return [select(literal(tier).label("tier"), ranged.c.id, ranged.c.key,
                       literal(True).label("hit"))]
    inner = (select(c.id, key.label("key"), c.sbi_section, c.size_class, c.province_id)
             .where(*where).order_by(key).limit(_limit("scan_limit")).subquery())
    outer = (select(inner.c.id, inner.c.key).where(*conditions_on(inner.c))
             .order_by(inner.c.key).limit(_limit("tier_limit")).subquery())
    scanned = (select(c.id).where(*where).order_by(key).limit(_limit("scan_limit_1"))
               .subquery())
    return [select(literal(tier).label("tier"), outer.c.id, outer.c.key,
                   literal(True).label("hit")),
            select(literal(tier + 10).label("tier"), func.count().label("id"),
                   cast(null(), String).label("key"), literal(True).label("hit"))
            .select_from(scanned)]


def _substring_member(shape: Shape) -> Select:
    """Tier 4: the first ``substring_limit`` companies (in index order, not ranked) that may
    contain the key, with whether they do and pass the filters."""
    c = _companies.c
    if shape.dialect == "sqlite":
        matched = (text("SELECT rowid FROM company_fts WHERE company_fts MATCH :fts_query "
                        "LIMIT :substring_limit")
                   .columns(column("rowid", Integer)))
        condition = c.id.in_(matched)
        contains = func.instr(c.search_text, bindparam("contains")) > 0
        limit = _limit("substring_limit")
    else:
        # The GIN trigram index answers the LIKE; the LIMIT stops fetching rows after that.
        condition = c.search_text.like(bindparam("like", type_=String), escape="\\")
        contains = literal(True)
        limit = _limit("substring_limit")
    candidates = (select(c.id, c.sort_name, c.sbi_section, c.size_class, c.province_id,
                         contains.label("contains"))
                  .where(condition).limit(limit).subquery())
    accepted = and_(candidates.c.contains, *shape.conditions(candidates.c))
    return select(literal(4).label("tier"), candidates.c.id,
                  candidates.c.sort_name.label("key"), accepted.label("hit"))


@functools.cache
def substring_statement(shape: Shape) -> Select:
    """PostgreSQL: tier 4 on its own (it runs under a timeout)."""
    return _substring_member(shape)


@functools.cache
def union_statement(shape: Shape):
    """Tiers 1, 2, 3 and 5 (and on SQLite 4) as one UNION ALL."""
    c = _companies.c
    members: list[Select] = []
    if shape.kvk == "exact":
        members.append(select(literal(1).label("tier"), c.id, c.kvk.label("key"),
                              literal(True).label("hit"))
                       .where(c.kvk == bindparam("kvk"), *shape.conditions(c)))
    elif shape.kvk == "prefix":
        members += _range_members(
            2, [c.kvk >= bindparam("kvk"), c.kvk < bindparam("kvk_upper")], c.kvk,
            shape.conditions)
    name = bindparam("name", type_=String)
    prefix_where = [c.sort_name >= name]
    if shape.name_bounded:
        prefix_where.append(c.sort_name < bindparam("name_upper", type_=String))
    if shape.province:
        # Plain bounds, answered by the (province_id, sort_name) index. A row comparison
        # "(province_id, sort_name) >= (p, name)" next to "province_id = p" made PostgreSQL
        # start the index range at the province's first company (the equality wins as the
        # start key), walking tens of thousands of entries for a prefix late in the alphabet.
        prefix_where.append(c.province_id == bindparam("province"))
    members += _range_members(3, prefix_where, c.sort_name, shape.other_than_province)
    if shape.substring:
        members.append(_substring_member(shape))
    for i in range(shape.places):
        # Each read in order from the (municipality_id, sort_name) index.
        members += _range_members(5, [c.municipality_id == bindparam(f"place_{i}")],
                                  c.sort_name, shape.other_than_province)
    return union_all(*members)
