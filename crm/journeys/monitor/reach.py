"""Reach: distinct companies next to contacts, in total and per archetype (kind of contact),
sector, size class, maturity and municipality, and how many organisations each company met.

One statement: the interventions in scope are first aggregated per company (contacts, number of
organisations, contacts per kind, with FILTER clauses) in a materialised CTE; every breakdown
then groups those per-company rows, so the interventions are read once, and the totals and all
kinds come from one pass over the per-company rows.
"""
from datetime import date

from sqlalchemy import (Date, Integer, String, case, cast, func, literal, null, select,
                        type_coerce, union_all)

from ...models import Company, Intervention, Municipality
from ...models.vocabulary import ARCHETYPE_SLUGS, INTERVENTION_KIND_SLUGS
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


def per_company(scope: MonitorScope):
    """Per company in scope with interventions in the period: its dimensions, ``contacts``,
    ``organisations``, ``k0``…``kN`` (contacts per kind, in INTERVENTION_KIND_SLUGS order) and
    ``f0``…``f11`` (first day of each archetype, in ARCHETYPE_SLUGS order, for the paths)."""
    # Conditional aggregates as FILTER clauses (SQLite ≥ 3.30, PostgreSQL): a third cheaper per
    # intervention than the equivalent CASE expressions on SQLite.
    kinds = [func.count().filter(Intervention.kind == k).label(f"k{i}")
             for i, k in enumerate(INTERVENTION_KIND_SLUGS)]
    firsts = [func.min(Intervention.occurred_on).filter(Intervention.kind == a).label(f"f{i}")
              for i, a in enumerate(ARCHETYPE_SLUGS)]
    return (select(Company.id.label("company_id"),
                   *(col.label(name) for name, col in DIMENSIONS.items()),
                   func.count().label("contacts"),
                   func.count(Intervention.organisation_id.distinct()).label("organisations"),
                   *kinds, *firsts)
            .select_from(Company)
            .join(Intervention, Intervention.company_id == Company.id)
            .where(*company_conditions(scope), *intervention_conditions(scope))
            .group_by(Company.id, *DIMENSIONS.values()))


def _branch(figure: str, key, pc, companies, contacts, group=True, extra=None):
    stmt = select(literal(figure).label("figure"), cast(key, String).label("key"),
                  companies.label("companies"), contacts.label("contacts"),
                  *(extra if extra is not None else _NO_KINDS)).select_from(pc)
    return stmt.group_by(key) if group else stmt


#: The per-kind columns of the branches that have none.
_NO_KINDS = [null() for _ in range(2 * len(INTERVENTION_KIND_SLUGS))]


def reach(session, scope: MonitorScope) -> dict:
    """``{"contacts", "companies_reached", "archetype": [...], "sector": [...], "size_class",
    "maturity", "municipality", "organisations": [...]}``; rows are ``{"key", "companies",
    "contacts"}`` (municipality rows also ``name``), suppressed in cross-organisation views."""
    pc = per_company(scope).cte("monitor_pc").prefix_with("MATERIALIZED")
    n = func.count()
    total = func.coalesce(func.sum(pc.c.contacts), 0)
    # The whole scope in one row, with per kind the companies and contacts next to it: one
    # pass over the per-company rows for all kinds.
    per_kind = []
    for i in range(len(INTERVENTION_KIND_SLUGS)):
        col = pc.c[f"k{i}"]
        per_kind += [func.count().filter(col > 0), func.coalesce(func.sum(col), 0)]
    branches = [_branch("total", literal(""), pc, n, total, group=False, extra=per_kind)]
    for name in DIMENSIONS:
        branches.append(_branch(name, pc.c[name], pc, n, total))
    bucket = case((pc.c.organisations >= 3, "3+"), else_=cast(pc.c.organisations, String))
    branches.append(_branch("organisations", bucket, pc, n, total))
    branches.append(_paths_branch(session, pc))
    rows = session.execute(union_all(*branches)).all()

    out: dict = {name: [] for name in ("archetype", *DIMENSIONS, "organisations")}
    totals = {"companies": 0, "contacts": 0}
    paths = []
    for figure, key, companies, contacts, *kinds in rows:
        # PostgreSQL sums bigints as numeric (Decimal): counts are whole numbers.
        companies, contacts = int(companies or 0), int(contacts or 0)
        if figure == "path":
            paths.append({"steps": [s for s in key.split(">") if s], "companies": companies})
        elif figure == "total":
            totals = {"companies": companies or 0, "contacts": contacts or 0}
            for i, kind in enumerate(INTERVENTION_KIND_SLUGS):
                kind_companies, kind_contacts = int(kinds[2 * i] or 0), int(kinds[2 * i + 1] or 0)
                if kind_companies:
                    out["archetype"].append({"key": kind, "companies": kind_companies,
                                             "contacts": kind_contacts})
        else:
            out[figure].append({"key": key, "companies": companies, "contacts": contacts or 0})
    _name_municipalities(session, out["municipality"])
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
    total_row = suppress_rows([{"key": "", **totals}], applies=applies)[0]
    paths.sort(key=lambda p: (-p["companies"], p["steps"]))
    result["paths"] = suppress_rows(paths[:TOP_PATHS], applies=applies)
    result["companies_reached"] = total_row["companies"]
    result["contacts"] = total_row["contacts"]
    return result


#: Archetypes in the order a same-day tie is broken (alphabetical), and their rank.
_RANK = {a: r for r, a in enumerate(sorted(ARCHETYPE_SLUGS))}
#: A missing step: larger than every step key (and no rank of :data:`_RANK` modulo 100).
_NO_STEP = 2_147_483_647


def _least(session, values):
    """The smallest of ``values`` (none NULL): ``min(a, b, …)`` on SQLite, ``least`` elsewhere."""
    if session.get_bind().dialect.name == "sqlite":
        return func.min(*values)
    return func.least(*values)


#: Day numbers on PostgreSQL count from here (date minus date is a number of days there). Well
#: before any period the monitor accepts, so a step key is never negative (``% 100`` is its
#: rank), and a key in 2100 is about 7.3 million: far below :data:`_NO_STEP`.
_EPOCH = date(1900, 1, 1)


def _day_number(session, day):
    """A day as an integer that sorts like the day: days since :data:`_EPOCH` on PostgreSQL
    (integer arithmetic), YYYYMMDD from the ISO text on SQLite (which keeps dates as text)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.replace(cast(day, String), "-", ""), Integer)
    return type_coerce(day - literal(_EPOCH, Date), Integer)


def _paths_branch(session, pc):
    """Companies per path (the first :data:`PATH_STEPS` archetypes in order of first
    occurrence, same day alphabetical), from the per-company first days: the path is the key,
    ``scans>workshops>``.

    Per company, each archetype met is a step key day number × 100 + its alphabetical rank, so
    the keys sort by day, then archetype; the first step is the smallest key, each next one the
    smallest key above the one before. Integers per company row: no unpivot, no sort. Each
    level is materialised, so no step expression is repeated inside the next."""
    keys = [case((pc.c[f"f{i}"].is_(None), literal(_NO_STEP)),
                 else_=_day_number(session, pc.c[f"f{i}"]) * 100 + _RANK[a]).label(f"x{i}")
            for i, a in enumerate(ARCHETYPE_SLUGS)]
    level = (select(*keys, _least(session, keys).label("s0")).select_from(pc)
             .cte("monitor_path_1").prefix_with("MATERIALIZED"))
    for n in range(1, PATH_STEPS):
        x = [level.c[f"x{i}"] for i in range(len(ARCHETYPE_SLUGS))]
        before = level.c[f"s{n - 1}"]
        step = _least(session, [case((k > before, k), else_=literal(_NO_STEP)) for k in x])
        stmt = select(*x, *(level.c[f"s{m}"] for m in range(n)), step.label(f"s{n}"))
        level = (stmt.cte(f"monitor_path_{n + 1}").prefix_with("MATERIALIZED")
                 if n < PATH_STEPS - 1 else stmt.subquery())
    names = {r: a for a, r in _RANK.items()}
    kinds = [case(names, value=level.c[f"s{n}"] % 100, else_=literal(""))
             for n in range(PATH_STEPS)]
    key = kinds[0]
    for kind in kinds[1:]:
        key = key + literal(">") + kind
    return (select(literal("path"), key, func.count(), literal(0), *_NO_KINDS)
            .select_from(level).where(level.c.s0 != _NO_STEP).group_by(key))


def _name_municipalities(session, rows: list[dict]) -> None:
    ids = [int(r["key"]) for r in rows if r["key"] is not None]
    names = dict(session.execute(select(Municipality.id, Municipality.name)
                                 .where(Municipality.id.in_(ids))).all()) if ids else {}
    for r in rows:
        r["name"] = names.get(int(r["key"])) if r["key"] is not None else None
