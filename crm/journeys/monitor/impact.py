"""Impact: the survey (mean and distribution per question, per archetype and organisation,
response rate) and the change in Digital Maturity Assessment scores per dimension.

Means count only the answers 1–4 (the extent); 5 "don't know" and 6 "not applicable" are in the
distribution but not in the means (see ``SURVEY_SCORED_VALUES``). A company's DMA change is its
last assessment in the period minus its first assessment up to the end of the period (companies
with at least two assessments).
"""
from sqlalchemy import Float, String, cast, func, literal, select, union_all

from ...models import Intervention, Organisation
from ...models.survey import DmaAssessment, SurveyInvitation, SurveyResponse
from ...models.vocabulary import ARCHETYPE_SLUGS, DMA_DIMENSION_NAMES, SURVEY_QUESTION_KEYS
from .step_keys import day_number
from .scope import MonitorScope, in_scope_companies, moment_bounds
from .statements import kept
from .suppress import suppress, suppress_rows

SCALE = range(1, 7)


def _response_conditions(scope: MonitorScope) -> list:
    start, end = moment_bounds(scope)
    conditions = [SurveyResponse.answered_at >= start, SurveyResponse.answered_at < end]
    if scope.acting_organisation_id is not None:
        conditions.append(SurveyResponse.organisation_id == scope.acting_organisation_id)
    if scope.archetype:
        conditions.append(SurveyResponse.archetype == scope.archetype)
    return conditions


def _means(counts: dict) -> tuple[float | None, int]:
    """Mean of the scored answers (1–4) from a distribution ``{value: n}``, and their number."""
    scored = {v: n for v, n in counts.items() if v in (1, 2, 3, 4)}
    total = sum(scored.values())
    return (None if not total else round(sum(v * n for v, n in scored.items()) / total, 2)), total


def survey(session, scope: MonitorScope) -> dict:
    """``{"responses", "invitations", "response_rate", "questions": [...], "by_archetype":
    [...], "by_organisation": [...]}``.

    The answers are counted per question and answer value in SQL (one FILTER count per pair),
    overall, per archetype and per organisation, in one pass over the responses per grouping;
    means follow from those counts."""
    rows = session.execute(kept(session, scope, _survey_statement)).all()
    dist: dict = {}
    heads = []
    for figure, key, count, companies_n, *values in rows:
        heads.append((figure, key, count, companies_n))
        per_q = dist.setdefault((figure, key), {})
        for (k, v), n in zip(_PAIRS, values):
            if n:
                per_q.setdefault(k, {})[v] = n
    responses, companies = 0, 0
    groups: dict = {"archetype": [], "organisation": []}
    for figure, key, count, distinct in heads:
        if figure == "all":
            responses, companies = count, distinct
            continue
        per_q = dist.get((figure, key), {})
        row = {"key": key, "responses": count, "companies": distinct}
        merged: dict = {}
        for k in SURVEY_QUESTION_KEYS:
            row[k] = _means(per_q.get(k, {}))[0]
            for value, c in per_q.get(k, {}).items():
                merged[value] = merged.get(value, 0) + c
        row["mean"] = _means(merged)[0]
        groups[figure].append(row)
    overall = dist.get(("all", None), {})
    questions = []
    for k in SURVEY_QUESTION_KEYS:
        counts = overall.get(k, {})
        mean, answered = _means(counts)
        questions.append({"key": k, "companies": companies, "mean": mean, "answered": answered,
                          **{f"n{v}": counts.get(v, 0) for v in SCALE}})
    names = _org_names(session, [int(r["key"]) for r in groups["organisation"]])
    for r in groups["organisation"]:
        r["name"] = names.get(int(r["key"]), "")
    for rows_ in groups.values():
        rows_.sort(key=lambda r: (-r["responses"], str(r["key"])))

    invitations, answered = _invitations(session, scope)
    applies = scope.cross_organisation
    return {
        "responses": suppress(responses, companies=companies, applies=applies),
        "invitations": invitations,
        "answered_invitations": answered,
        "response_rate": None if not invitations else round(100.0 * answered / invitations, 1),
        "questions": suppress_rows(questions, applies=applies),
        "by_archetype": suppress_rows(groups["archetype"], applies=applies),
        "by_organisation": suppress_rows(groups["organisation"], applies=applies),
    }


#: The (question, answer value) pairs counted by :func:`survey`, in its statement's order.
_PAIRS = [(k, v) for k in SURVEY_QUESTION_KEYS for v in SCALE]


def _survey_statement(session, scope: MonitorScope):
    """:func:`survey`'s statement: the answers counted per :data:`_PAIRS`, overall, per
    archetype and per organisation."""
    t = SurveyResponse.__table__.c
    responses_cte = (in_scope_companies(select(t.archetype, t.organisation_id, t.company_id,
                                               *(t[k] for k in SURVEY_QUESTION_KEYS)),
                                        t.company_id, scope)
                     .where(*_response_conditions(scope))
                     .cte("monitor_responses").prefix_with("MATERIALIZED"))
    r = responses_cte.c
    counts = [func.count().filter(r[k] == v) for k, v in _PAIRS]
    totals = [func.count(), func.count(r.company_id.distinct())]
    no_text = literal(None, String)
    return union_all(
        select(literal("all"), no_text, *totals, *counts),
        select(literal("archetype"), r.archetype, *totals, *counts).group_by(r.archetype),
        select(literal("organisation"), cast(r.organisation_id, String), *totals, *counts)
        .group_by(r.organisation_id))


def _invitations(session, scope: MonitorScope) -> tuple[int, int]:
    """Invitations sent in the period, and how many of them were answered."""
    row = session.execute(kept(session, scope, _invitations_statement)).one()
    return row[0], row[1]


def _invitations_statement(session, scope: MonitorScope):
    start, end = moment_bounds(scope)
    conditions = [SurveyInvitation.created_at >= start, SurveyInvitation.created_at < end]
    if scope.acting_organisation_id is not None:
        conditions.append(SurveyInvitation.organisation_id == scope.acting_organisation_id)
    return (in_scope_companies(select(func.count(), func.count(SurveyResponse.id))
                               .select_from(SurveyInvitation), SurveyInvitation.company_id,
                               scope)
            .outerjoin(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
            .where(*conditions))


def dma(session, scope: MonitorScope) -> dict:
    """``{"companies", "dimensions": [{"key", "companies", "first", "last", "change"}],
    "by_organisation": [{"key", "name", "companies", "change"}], "by_archetype": [{"key",
    "companies", "change"}]}`` (the organisation and archetype rows: change of the average)."""
    rows = session.execute(kept(session, scope, _dma_statement)).all()
    dimensions, orgs, archetypes = [], [], []
    lists = {"dimension": dimensions, "organisation": orgs, "archetype": archetypes}
    for figure, key, n, f, l_, change in rows:
        row = {"key": key, "companies": n, "first": _round(f, 1), "last": _round(l_, 1),
               "change": _round(change, 1)}
        if figure != "archetype" or key in ARCHETYPE_SLUGS:
            lists[figure].append(row)
    archetypes.sort(key=lambda r: (-r["companies"], r["key"]))
    names = _org_names(session, [int(r["key"]) for r in orgs])
    for r in orgs:
        r["name"] = names.get(int(r["key"]), "")
    orgs.sort(key=lambda r: (-r["companies"], r["name"]))
    companies = dimensions[0]["companies"] if dimensions else 0
    applies = scope.cross_organisation
    return {"companies": suppress(companies, applies=applies),
            "dimensions": suppress_rows(dimensions, applies=applies),
            "by_organisation": suppress_rows(orgs, applies=applies),
            "by_archetype": suppress_rows(archetypes, applies=applies)}


def _dma_statement(session, scope: MonitorScope):
    """:func:`dma`'s statement: a row per dimension, organisation and archetype."""
    conditions = [DmaAssessment.assessed_on <= scope.date_to]
    if scope.acting_organisation_id is not None:
        conditions.append(DmaAssessment.organisation_id == scope.acting_organisation_id)
    t = DmaAssessment.__table__.c
    dims = [*DMA_DIMENSION_NAMES, "average"]
    # A company's first and last assessment (in the order of day, then id) from one pass in
    # the index's order: the smallest and largest of day number × 2³² + id, whose remainder is
    # the assessment's id (ids stay far below 2³¹). No window, no sort.
    key = day_number(session, t.assessed_on) * literal(_ID_SPAN) + t.id
    ends = (in_scope_companies(select(t.company_id, func.min(key).label("first_key"),
                                      func.max(key).label("last_key")), t.company_id, scope)
            .where(*conditions)
            .group_by(t.company_id)
            .having(func.count() > 1, func.max(t.assessed_on) >= scope.date_from)
            .cte("monitor_dma_ends"))
    first, last = DmaAssessment.__table__.alias("dma_first"), DmaAssessment.__table__.alias(
        "dma_last")
    pairs = (select(ends.c.company_id,
                    first.c.assessed_on.label("first_on"), last.c.assessed_on.label("last_on"),
                    last.c.organisation_id.label("organisation_id"),
                    *(first.c[d].label(f"f_{d}") for d in dims),
                    *(last.c[d].label(f"l_{d}") for d in dims))
             .join(first, first.c.id == ends.c.first_key % _ID_SPAN)
             .join(last, last.c.id == ends.c.last_key % _ID_SPAN)
             .cte("monitor_dma_pairs").prefix_with("MATERIALIZED"))

    def avg(col):
        return func.avg(cast(col, Float))
    branches = [select(literal("dimension"), literal(d), func.count(), avg(pairs.c[f"f_{d}"]),
                       avg(pairs.c[f"l_{d}"]), avg(pairs.c[f"l_{d}"] - pairs.c[f"f_{d}"]))
                for d in dims]
    branches.append(select(literal("organisation"), cast(pairs.c.organisation_id, String),
                           func.count(), avg(pairs.c.f_average), avg(pairs.c.l_average),
                           avg(pairs.c.l_average - pairs.c.f_average))
                    .group_by(pairs.c.organisation_id))
    # Per archetype: the companies with that kind of activity between their two assessments
    # (of the acting organisation, in an organisation's own view).
    i = Intervention.__table__.c
    # Every kind is counted, the archetypes kept below: with the kinds as an IN list here,
    # SQLite read each intervention's row instead of the covering index (277 → 118 ms).
    kind_conditions = [i.occurred_on >= pairs.c.first_on, i.occurred_on <= pairs.c.last_on]
    if scope.acting_organisation_id is not None:
        kind_conditions.append(i.organisation_id == scope.acting_organisation_id)
    # The pair's averages travel with each (company, kind) row: no second join to the pairs
    # (SQLite planned that one as a scan of the pairs per row: 6,542 × 4,473).
    kinds = (select(pairs.c.company_id, i.kind, pairs.c.f_average, pairs.c.l_average)
             .distinct()
             .join(Intervention.__table__, i.company_id == pairs.c.company_id)
             .where(*kind_conditions).subquery())
    branches.append(select(literal("archetype"), cast(kinds.c.kind, String), func.count(),
                           avg(kinds.c.f_average), avg(kinds.c.l_average),
                           avg(kinds.c.l_average - kinds.c.f_average))
                    .group_by(kinds.c.kind))
    return union_all(*branches)


#: The span of assessment ids in :func:`dma`'s first/last key.
_ID_SPAN = 2 ** 32


def _round(value, digits: int = 2):
    return None if value is None else round(float(value), digits)


def _org_names(session, ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name)
                                .where(Organisation.id.in_(ids))).all())
