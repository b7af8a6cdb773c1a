"""Reach: distinct companies next to contacts, in total and per archetype (kind of contact),
sector, size class, maturity and municipality, and how many organisations each company met.

One statement: the interventions in scope are first aggregated per company (contacts, number of
organisations, the first day of each archetype, whether it had each other kind, with FILTER
clauses) in a materialised CTE; the breakdowns then group those per-company rows (sector, size
class, maturity and number of organisations together, the cells added up per breakdown in
Python; municipalities apart), so the
interventions are read once, and the totals and the companies per kind come from one pass over
the per-company rows. The contacts per kind need no per-company pass: one plain count per kind
(:func:`contacts_per_kind`), which the dashboard runs on its other connection.
"""
from datetime import date

from sqlalchemy import (Date, Integer, String, case, cast, func, literal, null, select,
                        type_coerce, union_all)

from ...models import Company, Intervention, Municipality
from ...models.vocabulary import ARCHETYPE_SLUGS, INTERVENTION_KIND_SLUGS, KIND_CODES
from .scope import MonitorScope, company_conditions, intervention_conditions
from .suppress import suppress_rows

#: Steps of a path, and how many paths are listed.
PATH_STEPS = 3
TOP_PATHS = 10

#: Company breakdowns: figure name → Company column.
DIMENSIONS = {
    "sector": Company.sbi_section,
    "size_class": Company.size_class,
    "maturity": Company.digital_maturity,
    "municipality": Company.municipality_id,
}


#: Kinds that are no archetype (no path step): per company only whether it had them.
OTHER_KINDS = [k for k in INTERVENTION_KIND_SLUGS if k not in ARCHETYPE_SLUGS]


def per_company(session, scope: MonitorScope):
    """Per company in scope with interventions in the period: its dimensions, ``contacts``,
    ``organisations``, ``k0``…``kN`` (1 if it had that kind of :data:`OTHER_KINDS`, else
    NULL: the companies per kind are then a plain ``count(k)``) and
    ``x0``…``x11`` (the step key of each archetype's first day, in ARCHETYPE_SLUGS order, for
    the paths and the companies per archetype; see :func:`_paths_branch`)."""
    # Conditional aggregates as FILTER clauses (SQLite ≥ 3.30, PostgreSQL): a third cheaper per
    # intervention than the equivalent CASE expressions on SQLite. Every FILTER is evaluated for
    # every intervention, so there are as few as the figures need (an archetype's step key says
    # whether the company had it, and the contacts per kind are counted without the
    # companies), and each compares the kind as :func:`kind_key` gives it.
    code, value = kind_key(session)
    kinds = [func.max(literal(1)).filter(code == value[k]).label(f"k{i}")
             for i, k in enumerate(OTHER_KINDS)]
    # Each intervention passes one archetype's filter, so its key is computed once.
    day = day_number(session, Intervention.occurred_on)
    firsts = [_or_no_step(session, func.min(day * 100 + _RANK[a]).filter(code == value[a]))
              for a in ARCHETYPE_SLUGS]
    ends = []
    if session.get_bind().dialect.name != "sqlite":
        # The first and the last step key (see :func:`_paths_branch`) from the same
        # aggregates: PostgreSQL computes identical aggregates of a statement once (SQLite
        # would compute each FILTERed one again: there they are a level further).
        ends = [_least(session, firsts).label("s0"), _greatest(session, firsts).label("last")]
    # Grouped by the company alone: its other columns depend on it (PostgreSQL: on the primary
    # key; SQLite takes them from the group's rows), and comparing one integer per contact
    # instead of five values is cheaper (SQLite: 115 → 89 ms of the pass).
    return _read_by_company(scope, select(
        Company.id.label("company_id"), *(col.label(name) for name, col in DIMENSIONS.items()),
        func.count().label("contacts"),
        func.count(Intervention.organisation_id.distinct()).label("organisations"),
        *kinds, *(key.label(f"x{i}") for i, key in enumerate(firsts)), *ends)
        .select_from(Company)
        .join(Intervention, Intervention.company_id == Company.id)
        .where(*company_conditions(scope), *intervention_conditions(scope))
        .group_by(Company.id))


def contacts_per_kind(session, scope: MonitorScope) -> dict[str, int]:
    """``{kind: contacts}`` of the interventions in scope (kinds without any left out)."""
    code, value = kind_key(session)
    kind_of = {v: kind for kind, v in value.items()}
    return {kind_of[key]: int(n) for key, n in session.execute(_read_by_company(scope, (
        select(code, func.count())
        .select_from(Company).join(Intervention, Intervention.company_id == Company.id)
        .where(*company_conditions(scope), *intervention_conditions(scope))
        .group_by(code))))}


#: The index a place's companies' contacts are read from on SQLite (see
#: :func:`_read_by_company`).
MONITOR_INDEX_HINT = "INDEXED BY ix_interventions_company_monitor"


def _read_by_company(scope: MonitorScope, statement):
    """``statement`` (companies joined to their interventions), on SQLite told to read each
    company's contacts of the period from the covering :data:`MONITOR_INDEX_HINT` when the
    scope is a place (its companies lead; an organisation's own work starts from the
    organisation's contacts instead). With the statistics of a database with few
    organisations (after ``ANALYZE``) SQLite's planner skipped through
    ``ix_interventions_organisation_occurred`` and looked up each contact's company instead
    (the contacts per kind of the benchmark region, 12 months: 170 → 985 ms)."""
    if scope.organisation_id is not None:
        return statement
    return statement.with_hint(Intervention, MONITOR_INDEX_HINT, dialect_name="sqlite")


def kind_key(session):
    """The kind as the monitor compares and groups it, and each kind's value of it: its number
    (``kind_code``, :data:`KIND_CODES`) on PostgreSQL, where integers compare cheaper than
    text; its text on SQLite. SQLite (3.40) reads no column from an index alone once a
    statement names a generated column (it then counts every column of the table as used):
    ``kind_code`` there fetched every contact's table row (the 12-month dashboard 0.9 → 2.2 s
    on the benchmark region)."""
    if session.get_bind().dialect.name == "sqlite":
        return Intervention.kind, {kind: kind for kind in KIND_CODES}
    return Intervention.kind_code, KIND_CODES


#: Between the values of a cell's key (no sector, size class, maturity or number of
#: organisations contains it; an empty value stands for none).
_CELL = "|"


def reach(session, scope: MonitorScope) -> dict:
    """``{"contacts", "companies_reached", "archetype": [...], "sector": [...], "size_class",
    "maturity", "municipality", "organisations": [...], "paths": [...]}``; rows are ``{"key",
    "companies", "contacts"}`` (municipality rows also ``name``), suppressed in
    cross-organisation views."""
    return finish_reach(count_reach(session, scope), contacts_per_kind(session, scope), scope)


def count_reach(session, scope: MonitorScope) -> dict:
    """The reach statement's counts, before the contacts per kind are added and small cells
    suppressed (:func:`finish_reach`)."""
    pc = per_company(session, scope).cte("monitor_pc").prefix_with("MATERIALIZED")
    n = func.count()
    total = func.coalesce(func.sum(pc.c.contacts), 0)
    # The whole scope in one row, with the companies per kind in its key (one text, so that
    # the other rows need no empty columns for them): one pass over the per-company rows.
    per_kind = []
    for kind in INTERVENTION_KIND_SLUGS:
        if kind in ARCHETYPE_SLUGS:
            per_kind.append(_companies_with_step(
                session, pc.c[f"x{ARCHETYPE_SLUGS.index(kind)}"]))
        else:
            per_kind.append(func.count(pc.c[f"k{OTHER_KINDS.index(kind)}"]))
    kinds = cast(per_kind[0], String)
    for value in per_kind[1:]:
        kinds = kinds + literal(",") + cast(value, String)
    # The breakdowns by sector, size class, maturity and number of organisations from one
    # grouping by all four (a few hundred cells), added up per breakdown here; the
    # municipalities (hundreds in a national organisation's work) apart: two passes over the
    # per-company rows instead of five.
    bucket = case((pc.c.organisations >= 3, "3+"), else_=cast(pc.c.organisations, String))
    groups = [pc.c.sector, pc.c.size_class, pc.c.maturity, bucket]
    cell = func.coalesce(cast(groups[0], String), "")
    for column in groups[1:]:
        cell = cell + literal(_CELL) + func.coalesce(cast(column, String), "")
    municipality = cast(pc.c.municipality, String)
    branches = [select(literal("total").label("figure"), cast(kinds, String).label("key"),
                       n.label("companies"), total.label("contacts")).select_from(pc),
                select(literal("cell"), cell, n, total).select_from(pc).group_by(*groups),
                select(literal("municipality"), municipality, n, total).select_from(pc)
                .group_by(municipality),
                _paths_branch(session, pc)]
    out: dict = {name: [] for name in ("archetype", "municipality", "paths")}
    out["total"] = {"companies": 0, "contacts": 0}
    cells: dict = {name: {} for name in ("sector", "size_class", "maturity", "organisations")}
    # PostgreSQL sums bigints as numeric (Decimal): counts are whole numbers.
    for figure, key, companies, contacts in session.execute(union_all(*branches)):
        companies, contacts = int(companies or 0), int(contacts or 0)
        if figure == "path":
            out["paths"].append({"steps": _path_steps(key), "companies": companies})
        elif figure == "total":
            out["total"] = {"companies": companies, "contacts": contacts}
            for kind, kind_companies in zip(INTERVENTION_KIND_SLUGS, key.split(",")):
                if int(kind_companies):
                    out["archetype"].append({"key": kind, "companies": int(kind_companies)})
        elif figure == "municipality":
            out[figure].append({"key": key, "companies": companies, "contacts": contacts})
        else:
            for name, value in zip(cells, key.split(_CELL)):
                counted = cells[name].setdefault(value or None, [0, 0])
                counted[0] += companies
                counted[1] += contacts
    for name, counted in cells.items():
        out[name] = [{"key": key, "companies": companies, "contacts": contacts}
                     for key, (companies, contacts) in counted.items()]
    _name_municipalities(session, out["municipality"])
    return out


def finish_reach(counted: dict, kind_contacts: dict[str, int], scope: MonitorScope) -> dict:
    """The figures of :func:`reach` from :func:`count_reach`'s counts and
    :func:`contacts_per_kind` (computed on another connection by the dashboard)."""
    out = {name: counted[name] for name in ("archetype", *DIMENSIONS, "organisations")}
    out["archetype"] = [{**r, "contacts": kind_contacts.get(r["key"], 0)}
                        for r in out["archetype"]]
    for name in ("archetype", *DIMENSIONS):
        out[name].sort(key=lambda r: (-r["companies"], r["key"] or "~"))
    order = {"1": 1, "2": 2, "3+": 3}
    out["organisations"] = [r for r in out["organisations"] if r["key"] in order]
    present = {r["key"] for r in out["organisations"]}
    out["organisations"] += [{"key": k, "companies": 0, "contacts": 0}
                             for k in order if k not in present]
    out["organisations"].sort(key=lambda r: order[r["key"]])
    applies = scope.cross_organisation
    result = {name: suppress_rows(rows_, applies=applies) for name, rows_ in out.items()}
    total_row = suppress_rows([{"key": "", **counted["total"]}], applies=applies)[0]
    paths = sorted(counted["paths"], key=lambda p: (-p["companies"], p["steps"]))
    result["paths"] = suppress_rows(paths[:TOP_PATHS], applies=applies)
    result["companies_reached"] = total_row["companies"]
    result["contacts"] = total_row["contacts"]
    return result


#: Archetypes in the order a same-day tie is broken (alphabetical), and their rank: their
#: ``kind_code`` (0–11, alphabetical too).
_RANK = {a: KIND_CODES[a] for a in ARCHETYPE_SLUGS}
#: Rank → archetype.
_BY_RANK = {r: a for a, r in _RANK.items()}
#: A missing step: larger than every step key (and no rank of :data:`_RANK` modulo 100).
_NO_STEP = 2_147_483_647


def _least(session, values):
    """The smallest of ``values``: ``min(a, b, …)`` on SQLite (NULL when any is, so give it
    none), ``least`` elsewhere (which skips NULLs)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.min(*values)
    return func.least(*values)


#: Day numbers on PostgreSQL count from here (date minus date is a number of days there). Well
#: before any period the monitor accepts, so a step key is never negative (``% 100`` is its
#: rank), and a key in 2100 is about 7.3 million: far below :data:`_NO_STEP`.
_EPOCH = date(1900, 1, 1)


def day_number(session, day):
    """A day as an integer that sorts like the day: days since :data:`_EPOCH` on PostgreSQL
    (integer arithmetic), YYYYMMDD from the ISO text on SQLite (which keeps dates as text)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.replace(cast(day, String), "-", ""), Integer)
    return type_coerce(day - literal(_EPOCH, Date), Integer)


def _or_no_step(session, key):
    """A step key, or :data:`_NO_STEP` on SQLite for none (its ``min(a, b, …)`` is NULL when
    any argument is; PostgreSQL's ``least`` skips NULLs, so there it stays NULL)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.coalesce(key, literal(_NO_STEP))
    return key


def _companies_with_step(session, key):
    """How many per-company step keys stand for a step (see :func:`_or_no_step`): on
    PostgreSQL those that are not NULL, a plain ``count(key)`` (no FILTER to evaluate)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.count().filter(key != literal(_NO_STEP))
    return func.count(key)


def _above(session, key, floor):
    """``key`` if it is larger than ``floor``, else no step (NULL on PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return case((key > floor, key), else_=literal(_NO_STEP))
    return case((key > floor, key))


def _fence(stmt):
    """``stmt`` as a subquery the database computes once per row and does not fold into the
    next level (which would repeat its expressions there): ``OFFSET 0``, a fence for both."""
    return stmt.offset(0).subquery()


def _greatest(session, keys):
    """The largest step key of ``keys`` that stands for a step, or none: ``greatest`` on
    PostgreSQL (which skips NULLs); on SQLite each key modulo :data:`_NO_STEP` (a missing
    step's key is :data:`_NO_STEP`, so it counts as 0), 0 when there is none."""
    if session.get_bind().dialect.name == "sqlite":
        return func.max(*(k % literal(_NO_STEP) for k in keys))
    return func.greatest(*keys)


def _paths_branch(session, pc):
    """Companies per path (the first :data:`PATH_STEPS` archetypes in order of first
    occurrence, same day alphabetical), from the per-company step keys: the key of the row is
    the path's ranks as digits, ``rank0 * 10000 + rank1 * 100 + rank2`` (a missing step: a
    rank of 47 or more), which :func:`_path_steps` turns into archetypes.

    Per company, each archetype met has a step key: its first day's number × 100 + its
    alphabetical rank, so the keys sort by day, then archetype; the first step is the smallest
    key, each next one the smallest key above the one before. Integers per company row: no
    unpivot, no sort, no text until the few hundred paths are counted. The largest key
    (``last``) is taken with the first: a company whose step so far is its last (half the
    companies have at most one archetype, four in five at most two) skips the twelve
    comparisons of the next step."""
    no_step = literal(_NO_STEP) if session.get_bind().dialect.name == "sqlite" else null()
    # The first step (and the last key) come with the per-company row on PostgreSQL, a level
    # further on SQLite; each next step is computed a level further, fenced where the next
    # level refers to it twelve times; on PostgreSQL the last step is only part of the path
    # key, computed in the final grouping.
    level = pc
    if "s0" not in pc.c:
        x = [pc.c[f"x{i}"] for i in range(len(ARCHETYPE_SLUGS))]
        level = _fence(select(*x, _least(session, x).label("s0"),
                              _greatest(session, x).label("last")).select_from(pc))
    steps = [level.c.s0]
    for n in range(1, PATH_STEPS):
        x = [level.c[f"x{i}"] for i in range(len(ARCHETYPE_SLUGS))]
        before = steps[-1]
        step = _or_no_step(session, _least(session, [_above(session, k, before) for k in x]))
        step = case((level.c.last > before, step), else_=no_step)
        if n == PATH_STEPS - 1 and session.get_bind().dialect.name != "sqlite":
            steps.append(step)  # (SQLite evaluates a grouping key per row twice: fenced)
            break
        level = _fence(select(*x, *(s.label(f"s{m}") for m, s in enumerate(steps)),
                              level.c.last, step.label(f"s{n}")))
        steps = [level.c[f"s{m}"] for m in range(n + 1)]
    ranks = [func.coalesce(step, literal(_NO_STEP)) % 100 for step in steps]
    key = ranks[0]
    for rank in ranks[1:]:
        key = key * 100 + rank
    key = cast(key, String)
    return (select(literal("path"), key, func.count(), literal(0))
            .select_from(level).where(steps[0].is_not(None), steps[0] != _NO_STEP)
            .group_by(key))


def _path_steps(key: str) -> list[str]:
    """The archetypes of a path key of :func:`_paths_branch`."""
    number, steps = int(key), []
    for _ in range(PATH_STEPS):
        number, rank = divmod(number, 100)
        steps.append(_BY_RANK.get(rank))
    return [s for s in reversed(steps) if s]


def _name_municipalities(session, rows: list[dict]) -> None:
    ids = [int(r["key"]) for r in rows if r["key"] is not None]
    names = dict(session.execute(select(Municipality.id, Municipality.name)
                                 .where(Municipality.id.in_(ids))).all()) if ids else {}
    for r in rows:
        r["name"] = names.get(int(r["key"])) if r["key"] is not None else None
