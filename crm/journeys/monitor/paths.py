"""Journeys: the most common paths (the order in which companies met the archetypes) and the
companies whose last step was a referral that went nowhere.

A company's *path* is the sequence of distinct archetypes (the 12 Regioscan activities, not the
plain contacts) of its interventions in the period, in order of first occurrence (same day:
alphabetical), cut at :data:`PATH_STEPS` steps. How many organisations each company met is part
of :func:`crm.journeys.monitor.reach.reach` (``organisations``).
"""
from sqlalchemy import Date, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import aliased

from ...models import Company, Intervention, Organisation, Referral
from ...models.vocabulary import ARCHETYPE_SLUGS
from ...policy import referral_route_filter
from .scope import (MonitorScope, company_conditions, in_scope_companies,
                    intervention_conditions, referral_conditions)
from .step_keys import PATH_STEPS
from .suppress import suppress, suppress_rows

TOP_PATHS = 10
#: Most stalled referrals listed by name.
STALLED_LIMIT = 200
#: A referral "went nowhere": declined, closed without follow-up, or not accepted in time.
DEAD_END = ("rejected", "failed")


def top_paths(session, scope: MonitorScope, limit: int = TOP_PATHS) -> list[dict]:
    """``[{"steps": [archetype, …], "companies": n}]``, most companies first."""
    first = (select(Intervention.company_id, Intervention.kind,
                    func.min(Intervention.occurred_on).label("first_on"))
             .join(Company, Company.id == Intervention.company_id)
             .where(*company_conditions(scope), *intervention_conditions(scope),
                    Intervention.kind.in_(ARCHETYPE_SLUGS))
             .group_by(Intervention.company_id, Intervention.kind).subquery())
    ranked = select(first.c.company_id, first.c.kind, func.row_number().over(
        partition_by=first.c.company_id, order_by=(first.c.first_on, first.c.kind)
    ).label("rn")).subquery()
    steps = [func.max(case((ranked.c.rn == i, ranked.c.kind))).label(f"s{i}")
             for i in range(1, PATH_STEPS + 1)]
    per_company = (select(*steps).where(ranked.c.rn <= PATH_STEPS)
                   .group_by(ranked.c.company_id).subquery())
    cols = [per_company.c[f"s{i}"] for i in range(1, PATH_STEPS + 1)]
    n = func.count().label("companies")
    rows = session.execute(select(*cols, n).group_by(*cols)
                           .order_by(n.desc(), *cols).limit(limit)).all()
    result = [{"steps": [s for s in row[:-1] if s], "companies": row[-1]} for row in rows]
    return suppress_rows(result, applies=scope.cross_organisation)


def _day_of(session, moment):
    """The (UTC) day of a timestamp column, portably."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(moment, Date)
    return func.date(moment)


def _stalled_condition(session, scope: MonitorScope):
    later = aliased(Referral)
    return and_(
        or_(Referral.status.in_(DEAD_END),
            and_(Referral.status == "requested", Referral.accept_due_on < scope.today)),
        ~exists().where(later.company_id == Referral.company_id,
                        later.created_at > Referral.created_at),
        # Nothing recorded after the day it was sent (read from the covering index).
        ~exists().where(Intervention.company_id == Referral.company_id,
                        Intervention.occurred_on > _day_of(session, Referral.created_at)))


def stalled(session, scope: MonitorScope, viewer, limit: int = STALLED_LIMIT) -> dict:
    """Companies whose last step was a referral that went nowhere: ``{"companies": n (all in
    scope, an anonymous count), "rows": [...] (only those the viewer may see, at most
    ``limit``), "visible": n}``."""
    candidates = (in_scope_companies(
        select(Referral.id.label("id"), Referral.company_id.label("company_id"),
               Referral.from_organisation_id.label("from_id"),
               Referral.to_organisation_id.label("to_id"),
               Referral.status.label("status"), Referral.created_at.label("sent_at"),
               Referral.accept_due_on.label("due")), Referral.company_id, scope)
        .where(*referral_conditions(scope), _stalled_condition(session, scope))
        .cte("monitor_stalled").prefix_with("MATERIALIZED"))
    c = candidates.c
    # The visibility rules apply to each candidate's own referral row, joined by key (an
    # IN over the candidates was planned as a nested loop over the CTE: 3,345 × 3,345), and
    # count the visible ones before the first ``limit`` of them are kept; only those are
    # joined to their company and organisations for the names. The listed company is an
    # alias, so the rules' own company condition stays theirs. The candidates come from the
    # covering ix_referrals_monitor; the reason is read from the row the rules read.
    listed = (select(c.id, c.company_id, c.from_id, c.to_id, c.status, c.sent_at, c.due,
                     Referral.reason, func.count().over().label("visible"))
              .select_from(candidates)
              .join(Referral, Referral.id == c.id)
              .where(referral_route_filter(viewer))
              .order_by(c.sent_at.desc(), c.id.desc()).limit(limit).subquery())
    v = listed.c
    shown, sender, receiver = aliased(Company), aliased(Organisation), aliased(Organisation)
    total_col = select(func.count()).select_from(candidates).scalar_subquery()
    rows = session.execute(
        select(shown.id, shown.kvk, shown.name, sender.name, receiver.name, v.status,
               v.sent_at, v.due, v.reason, v.id, v.visible, total_col)
        .select_from(listed)
        .join(shown, shown.id == v.company_id)
        .join(sender, sender.id == v.from_id)
        .join(receiver, receiver.id == v.to_id)
        .order_by(v.sent_at.desc(), v.id.desc())).all()
    if rows:
        visible_count, total = rows[0][10], rows[0][11]
    else:
        visible_count, total = 0, session.scalar(select(func.count()).select_from(candidates))
    return {
        "companies": suppress(total, applies=scope.cross_organisation),
        "visible": visible_count,
        "rows": [{"company_id": r[0], "kvk": r[1], "name": r[2], "from_name": r[3],
                  "to_name": r[4],
                  "status": "overdue" if r[5] == "requested" else r[5],
                  "sent_at": r[6], "accept_due_on": r[7], "reason": r[8], "referral_id": r[9]}
                 for r in rows],
    }
