"""Reach: distinct companies next to contacts, in total and per archetype (kind of contact),
sector, size class, maturity and municipality, and how many organisations each company met.

One statement: the interventions in scope are first aggregated per company (contacts, number of
organisations, the first day of each archetype, which other kinds it had); those per-company
rows are then grouped per figure (sector, size class, maturity and number of organisations
together, the cells added up per breakdown in Python; municipalities; paths; the kinds met), so
the interventions are read once. PostgreSQL groups them with grouping sets in one pass; SQLite,
which has none, keeps them in a materialised CTE read by the branches of a UNION ALL. The
contacts per kind need no per-company pass: one plain count per kind
(:func:`contacts_per_kind`), which the dashboard runs on its other connection.
"""
from sqlalchemy import Integer, String, case, cast, func, literal, select, tuple_, union_all

from ...models import Company, Intervention, Municipality
from ...models.vocabulary import ARCHETYPE_SLUGS, INTERVENTION_KIND_SLUGS, KIND_CODES
from .scope import MonitorScope, company_conditions, intervention_conditions
from .statements import kept
from .step_keys import (NO_STEP, RANK, day_number, greatest, least, or_no_step, path_key,
                        path_steps)
from .suppress import suppress_rows

#: How many paths are listed (see :mod:`.step_keys`).
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
    ``organisations``, the kinds it had, and ``x0``…``x11`` (the step key of each
    archetype's first day, in ARCHETYPE_SLUGS order, for the paths; see
    :mod:`.step_keys`). The kinds: on PostgreSQL ``kinds``, a bit per kind
    (:func:`kinds_of`); SQLite has no ``bit_or``: there ``k0``…``kN`` (1 if it had that kind
    of :data:`OTHER_KINDS`, else NULL, so that the companies per kind are a plain
    ``count(k)``) and the archetypes' step keys."""
    # Conditional aggregates as FILTER clauses (SQLite ≥ 3.30, PostgreSQL): a third cheaper per
    # intervention than the equivalent CASE expressions on SQLite. Every FILTER is evaluated for
    # every intervention, so there are as few as the figures need (an archetype's step key says
    # whether the company had it, and the contacts per kind are counted without the
    # companies), and each compares the kind as :func:`kind_key` gives it.
    code, value = kind_key(session)
    if session.get_bind().dialect.name == "sqlite":
        kinds = [func.max(literal(1)).filter(code == value[k]).label(f"k{i}")
                 for i, k in enumerate(OTHER_KINDS)]
    else:
        # PostgreSQL: every kind the company had as a bit (1 << kind_code) of one integer, one
        # aggregate without a FILTER for all sixteen kinds (see :func:`kinds_of`).
        kinds = [func.bit_or(literal(1, Integer).op("<<")(code)).label("kinds")]
    # Each intervention passes one archetype's filter, so its key is computed once.
    day = day_number(session, Intervention.occurred_on)
    firsts = [or_no_step(session, func.min(day * 100 + RANK[a]).filter(code == value[a]))
              for a in ARCHETYPE_SLUGS]
    ends = []
    if session.get_bind().dialect.name != "sqlite":
        # The first and the last step key (see :mod:`.step_keys`) from the same
        # aggregates: PostgreSQL computes identical aggregates of a statement once (SQLite
        # would compute each FILTERed one again: there they are a level further).
        ends = [least(session, firsts).label("s0"), greatest(session, firsts).label("last")]
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
    """``{kind: contacts}`` of the interventions in scope (kinds without any left out). Without
    conditions on the companies (an organisation's own work, unfiltered) the contacts alone
    (see :func:`.scope.in_scope_companies`)."""
    kind_of = {v: kind for kind, v in kind_key(session)[1].items()}
    return {kind_of[key]: int(n)
            for key, n in session.execute(kept(session, scope, _kinds_statement))}


def _kinds_statement(session, scope: MonitorScope):
    code, _value = kind_key(session)
    statement = select(code, func.count())
    if conditions := company_conditions(scope):
        statement = (statement.select_from(Company)
                     .join(Intervention, Intervention.company_id == Company.id)
                     .where(*conditions))
    else:
        statement = statement.select_from(Intervention)
    return _read_by_company(scope, statement.where(*intervention_conditions(scope))
                            .group_by(code))


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
    suppressed (:func:`finish_reach`): one pass over the interventions in scope, per company
    (:func:`per_company`), then the per-company rows grouped per figure — with grouping sets
    on PostgreSQL (:func:`_count_by_grouping_sets`), in the branches of a UNION ALL over a
    materialised CTE on SQLite, which has none (:func:`_count_by_branches`)."""
    tally = _Tally()
    if session.get_bind().dialect.name == "sqlite":
        _count_by_branches(session, scope, tally)
    else:
        _count_by_grouping_sets(session, scope, tally)
    out = tally.result()
    _name_municipalities(session, out["municipality"])
    return out


class _Tally:
    """The reach statement's rows added up per figure."""

    def __init__(self):
        self.total = {"companies": 0, "contacts": 0}
        self.per_kind = dict.fromkeys(INTERVENTION_KIND_SLUGS, 0)
        self.cells: dict = {name: {} for name in _CELL_FIGURES}
        self.municipality: list[dict] = []
        self.paths: list[dict] = []

    def add_cell(self, values, companies: int, contacts: int) -> None:
        """A cell of the grouping by :data:`_CELL_FIGURES` (values: text or ``None``)."""
        for name, value in zip(_CELL_FIGURES, values):
            counted = self.cells[name].setdefault(value, [0, 0])
            counted[0] += companies
            counted[1] += contacts

    def result(self) -> dict:
        out = {name: [{"key": key, "companies": companies, "contacts": contacts}
                      for key, (companies, contacts) in counted.items()]
               for name, counted in self.cells.items()}
        out["archetype"] = [{"key": kind, "companies": companies}
                            for kind, companies in self.per_kind.items() if companies]
        out.update(total=self.total, municipality=self.municipality, paths=self.paths)
        return out


#: The breakdowns counted in one grouping (a few hundred cells), added up per breakdown.
_CELL_FIGURES = ("sector", "size_class", "maturity", "organisations")


def _organisations_bucket(organisations):
    return case((organisations >= 3, "3+"), else_=cast(organisations, String))


#: GROUPING(municipality, path, kinds) of each grouping set of
#: :func:`_count_by_grouping_sets` (a bit for each of them the row is not grouped by).
_CELL_ROWS, _MUNICIPALITY_ROWS, _PATH_ROWS, _KINDS_ROWS = 0b111, 0b011, 0b101, 0b110


def _count_by_grouping_sets(session, scope: MonitorScope, tally: _Tally) -> None:
    """PostgreSQL: the per-company rows grouped four ways in one pass, with no materialised
    CTE to write and read four times (the benchmark region, 12 months: 416 → 330 ms): by
    sector, size class, maturity and number of organisations; by municipality; by path; and
    by the combination of kinds met (a few thousand), whose bits give the companies per kind
    and whose sums the total."""
    for grouping, *values, municipality, path, kinds, companies, contacts in \
            session.execute(kept(session, scope, _grouped_statement)):
        companies, contacts = int(companies), int(contacts)  # (the sum is a numeric)
        if grouping == _CELL_ROWS:
            tally.add_cell([value or None for value in values], companies, contacts)
        elif grouping == _MUNICIPALITY_ROWS:
            tally.municipality.append({"key": None if municipality is None else str(municipality),
                                       "companies": companies, "contacts": contacts})
        elif grouping == _PATH_ROWS and path is not None:
            tally.paths.append({"steps": path_steps(path), "companies": companies})
        elif grouping == _KINDS_ROWS:
            tally.total["companies"] += companies
            tally.total["contacts"] += contacts
            for kind in kinds_of(kinds):
                tally.per_kind[kind] += companies


def _grouped_statement(session, scope: MonitorScope):
    """:func:`_count_by_grouping_sets`'s statement."""
    carry = ("sector", "size_class", "maturity", "municipality", "contacts", "organisations",
             "kinds")
    level, key, has_path = path_key(session, per_company(session, scope).subquery("monitor_pc"),
                                    carry)
    rows = select(*(level.c[name] for name in carry),
                  _organisations_bucket(level.c.organisations).label("bucket"),
                  case((has_path, key)).label("path")).subquery("monitor_companies")
    r = rows.c
    cell = (r.sector, r.size_class, r.maturity, r.bucket)
    return (select(func.grouping(r.municipality, r.path, r.kinds), *cell, r.municipality,
                   r.path, r.kinds, func.count(), func.sum(r.contacts))
            .group_by(func.grouping_sets(tuple_(*cell), tuple_(r.municipality),
                                         tuple_(r.path), tuple_(r.kinds))))


def kinds_of(bits: int) -> list[str]:
    """The kinds whose bit (``1 << kind_code``) is set in ``bits``."""
    return [kind for kind, code in KIND_CODES.items() if bits >> code & 1]


def _count_by_branches(session, scope: MonitorScope, tally: _Tally) -> None:
    """SQLite: the per-company rows in a materialised CTE, read by the branches of a UNION
    ALL: the whole scope in one row, with the companies per kind in its key (one text, so
    that the other rows need no empty columns for them); the grouping by sector, size class,
    maturity and number of organisations together; the municipalities; the paths."""
    for figure, key, companies, contacts in \
            session.execute(kept(session, scope, _branches_statement)):
        companies, contacts = int(companies or 0), int(contacts or 0)
        if figure == "path":
            tally.paths.append({"steps": path_steps(key), "companies": companies})
        elif figure == "total":
            tally.total = {"companies": companies, "contacts": contacts}
            for kind, kind_companies in zip(INTERVENTION_KIND_SLUGS, key.split(",")):
                tally.per_kind[kind] = int(kind_companies)
        elif figure == "municipality":
            tally.municipality.append({"key": key, "companies": companies,
                                       "contacts": contacts})
        else:
            tally.add_cell([value or None for value in key.split(_CELL)], companies, contacts)


def _branches_statement(session, scope: MonitorScope):
    """:func:`_count_by_branches`'s statement."""
    pc = per_company(session, scope).cte("monitor_pc").prefix_with("MATERIALIZED")
    n = func.count()
    total = func.coalesce(func.sum(pc.c.contacts), 0)
    per_kind = []
    for kind in INTERVENTION_KIND_SLUGS:
        if kind in ARCHETYPE_SLUGS:
            # (a step key of NO_STEP: no such step, see step_keys.or_no_step)
            per_kind.append(func.count().filter(
                pc.c[f"x{ARCHETYPE_SLUGS.index(kind)}"] != literal(NO_STEP)))
        else:
            per_kind.append(func.count(pc.c[f"k{OTHER_KINDS.index(kind)}"]))
    kinds = cast(per_kind[0], String)
    for value in per_kind[1:]:
        kinds = kinds + literal(",") + cast(value, String)
    groups = [pc.c.sector, pc.c.size_class, pc.c.maturity,
              _organisations_bucket(pc.c.organisations)]
    cell = func.coalesce(cast(groups[0], String), "")
    for column in groups[1:]:
        cell = cell + literal(_CELL) + func.coalesce(cast(column, String), "")
    municipality = cast(pc.c.municipality, String)
    level, key, has_path = path_key(session, pc)
    branches = [select(literal("total").label("figure"), cast(kinds, String).label("key"),
                       n.label("companies"), total.label("contacts")).select_from(pc),
                select(literal("cell"), cell, n, total).select_from(pc).group_by(*groups),
                select(literal("municipality"), municipality, n, total).select_from(pc)
                .group_by(municipality),
                select(literal("path"), key, n, literal(0)).select_from(level)
                .where(has_path).group_by(key)]
    return union_all(*branches)


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


def _name_municipalities(session, rows: list[dict]) -> None:
    ids = [int(r["key"]) for r in rows if r["key"] is not None]
    names = dict(session.execute(select(Municipality.id, Municipality.name)
                                 .where(Municipality.id.in_(ids))).all()) if ids else {}
    for r in rows:
        r["name"] = names.get(int(r["key"])) if r["key"] is not None else None
