"""Impact: the survey (mean and distribution per question, per archetype and organisation,
response rate) and the change in Digital Maturity Assessment scores per dimension.

Means count only the answers 1–4 (the extent); 5 "don't know" and 6 "not applicable" are in the
distribution but not in the means (see ``SURVEY_SCORED_VALUES``). A company's DMA change is its
last assessment in the period minus its first assessment up to the end of the period (companies
with at least two assessments).
"""
from sqlalchemy import Float, Integer, String, case, cast, func, literal, select, union_all

from ...models import Company, Intervention, Organisation
from ...models.survey import DmaAssessment, SurveyInvitation, SurveyResponse
from ...models.vocabulary import ARCHETYPE_SLUGS, DMA_DIMENSION_NAMES, SURVEY_QUESTION_KEYS
from .scope import MonitorScope, company_conditions, moment_bounds
from .suppress import suppress, suppress_rows

SCALE = range(1, 7)


def _response_conditions(scope: MonitorScope) -> list:
    start, end = moment_bounds(scope)
    conditions = [SurveyResponse.answered_at >= start, SurveyResponse.answered_at < end,
                  *company_conditions(scope)]
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

    The answers are unpivoted (one row per response and question) and counted per answer value
    in SQL, overall, per archetype and per organisation; means follow from those counts."""
    t = SurveyResponse.__table__.c
    responses_cte = (select(t.archetype, t.organisation_id, t.company_id,
                            *(t[k] for k in SURVEY_QUESTION_KEYS))
                     .join(Company, Company.id == t.company_id)
                     .where(*_response_conditions(scope))
                     .cte("monitor_responses").prefix_with("MATERIALIZED"))
    r = responses_cte.c
    answers = union_all(*(
        select(r.archetype.label("archetype"), r.organisation_id.label("organisation_id"),
               literal(k).label("q"), r[k].label("v")).where(r[k].is_not(None))
        for k in SURVEY_QUESTION_KEYS)).cte("monitor_answers")
    a = answers.c
    n, no_text, no_int = func.count(), literal(None, String), literal(None, Integer)
    distinct = func.count(r.company_id.distinct())
    rows = session.execute(union_all(
        select(literal("all"), no_text, a.q, a.v, n, literal(0)).group_by(a.q, a.v),
        select(literal("archetype"), a.archetype, a.q, a.v, n, literal(0))
        .group_by(a.archetype, a.q, a.v),
        select(literal("organisation"), cast(a.organisation_id, String), a.q, a.v, n,
               literal(0)).group_by(a.organisation_id, a.q, a.v),
        select(literal("head-all"), no_text, no_text, no_int, n, distinct),
        select(literal("head-archetype"), r.archetype, no_text, no_int, n, distinct)
        .group_by(r.archetype),
        select(literal("head-organisation"), cast(r.organisation_id, String), no_text, no_int,
               n, distinct).group_by(r.organisation_id))).all()
    dist: dict = {}
    heads = []
    for figure, key, q, value, count, companies_n in rows:
        if figure.startswith("head-"):
            heads.append((figure[5:], key, count, companies_n))
        else:
            dist.setdefault((figure, key), {}).setdefault(q, {})[value] = count
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


def _invitations(session, scope: MonitorScope) -> tuple[int, int]:
    """Invitations sent in the period, and how many of them were answered."""
    start, end = moment_bounds(scope)
    conditions = [SurveyInvitation.created_at >= start, SurveyInvitation.created_at < end,
                  *company_conditions(scope)]
    if scope.acting_organisation_id is not None:
        conditions.append(SurveyInvitation.organisation_id == scope.acting_organisation_id)
    row = session.execute(
        select(func.count(), func.count(SurveyResponse.id))
        .select_from(SurveyInvitation)
        .join(Company, Company.id == SurveyInvitation.company_id)
        .outerjoin(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
        .where(*conditions)).one()
    return row[0], row[1]


def dma(session, scope: MonitorScope) -> dict:
    """``{"companies", "dimensions": [{"key", "companies", "first", "last", "change"}],
    "by_organisation": [{"key", "name", "companies", "change"}], "by_archetype": [{"key",
    "companies", "change"}]}`` (the organisation and archetype rows: change of the average)."""
    conditions = [DmaAssessment.assessed_on <= scope.date_to, *company_conditions(scope)]
    if scope.acting_organisation_id is not None:
        conditions.append(DmaAssessment.organisation_id == scope.acting_organisation_id)
    t = DmaAssessment.__table__.c
    dims = [*DMA_DIMENSION_NAMES, "average"]
    order = (t.assessed_on, t.id)
    ranked = (select(t.company_id, t.organisation_id, t.assessed_on, *(t[d] for d in dims),
                     func.row_number().over(partition_by=t.company_id, order_by=order)
                     .label("up"),
                     # The last one is number ``n``: one sort for both ends.
                     func.count().over(partition_by=t.company_id).label("n"))
              .join(Company, Company.id == t.company_id).where(*conditions)
              .cte("monitor_dma"))
    # One row per company: its first and its last assessment side by side (no self-join).
    first, last = ranked.c.up == 1, ranked.c.up == ranked.c.n

    def at(is_row, col):
        return func.max(case((is_row, col)))
    pairs = (select(ranked.c.company_id,
                    at(first, ranked.c.assessed_on).label("first_on"),
                    at(last, ranked.c.assessed_on).label("last_on"),
                    at(last, ranked.c.organisation_id).label("organisation_id"),
                    *(at(first, ranked.c[d]).label(f"f_{d}") for d in dims),
                    *(at(last, ranked.c[d]).label(f"l_{d}") for d in dims))
             .group_by(ranked.c.company_id)
             .having(func.count() > 1,
                     at(last, ranked.c.assessed_on) >= scope.date_from)
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
    kind_conditions = [i.occurred_on >= pairs.c.first_on, i.occurred_on <= pairs.c.last_on,
                       i.kind.in_(ARCHETYPE_SLUGS)]
    if scope.acting_organisation_id is not None:
        kind_conditions.append(i.organisation_id == scope.acting_organisation_id)
    kinds = (select(pairs.c.company_id, i.kind).distinct()
             .join(Intervention.__table__, i.company_id == pairs.c.company_id)
             .where(*kind_conditions).subquery())
    branches.append(select(literal("archetype"), cast(kinds.c.kind, String), func.count(),
                           avg(pairs.c.f_average), avg(pairs.c.l_average),
                           avg(pairs.c.l_average - pairs.c.f_average))
                    .join(pairs, pairs.c.company_id == kinds.c.company_id)
                    .group_by(kinds.c.kind))
    rows = session.execute(union_all(*branches)).all()
    dimensions, orgs, archetypes = [], [], []
    lists = {"dimension": dimensions, "organisation": orgs, "archetype": archetypes}
    for figure, key, n, f, l_, change in rows:
        row = {"key": key, "companies": n, "first": _round(f, 1), "last": _round(l_, 1),
               "change": _round(change, 1)}
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


def _round(value, digits: int = 2):
    return None if value is None else round(float(value), digits)


def _org_names(session, ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name)
                                .where(Organisation.id.in_(ids))).all())
