"""Referrals: how many per state, the funnel sent → accepted → completed, the share closed
without follow-up, median days to accept and to complete, overdue ones, per sending and per
receiving organisation, and the flows between organisations (who refers to whom, how well).

Overdue: still ``requested`` after its accept-by date (working days, see
:mod:`crm.journeys.referrals`). "Accepted" in the funnel counts every referral that was ever
accepted (it may have moved on to in-progress, completed or failed since).
"""
from sqlalchemy import (Float, Integer, String, and_, case, cast, func, literal, null, select,
                        union_all)

from ...models import Organisation, Referral
from .scope import MonitorScope, in_scope_companies, referral_conditions
from .statements import kept
from .suppress import SUPPRESSED, suppress, suppress_rows

#: API names of the states (``in-progress`` → ``in_progress``).
STATES = ("requested", "accepted", "rejected", "in-progress", "on-hold", "completed", "failed",
          "cancelled")
#: Most flows listed (largest first).
TOP_FLOWS = 25


def scoped_referrals(scope: MonitorScope):
    """Referrals in scope with flags: ``ever_accepted``, ``overdue``."""
    return in_scope_companies(
        select(Referral.id, Referral.company_id, Referral.from_organisation_id,
               Referral.to_organisation_id, Referral.status,
               case((Referral.accepted_at.is_not(None), 1), else_=0).label("ever_accepted"),
               case((and_(Referral.status == "requested",
                          Referral.accept_due_on < scope.today), 1),
                    else_=0).label("overdue"),
               Referral.created_at, Referral.accepted_at, Referral.closed_at),
        Referral.company_id, scope).where(*referral_conditions(scope))


def _days(session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return cast(func.julianday(later) - func.julianday(earlier), Float)


def _median(session, durations):
    """The median of a one-column select of numbers (the mean of the middle two of an even
    number), as a scalar subquery: PostgreSQL's ``percentile_cont`` (one sort), elsewhere the
    mean of the rows numbered ⌊(n + 1) / 2⌋ and ⌊(n + 2) / 2⌋ (window functions)."""
    d = durations.subquery()
    if session.get_bind().dialect.name == "postgresql":
        return select(func.percentile_cont(0.5).within_group(d.c.days)).scalar_subquery()
    ranked = select(d.c.days, func.row_number().over(order_by=d.c.days).label("rn"),
                    func.count().over().label("cnt")).subquery()
    return (select(func.avg(ranked.c.days))
            .where(ranked.c.rn.in_([(ranked.c.cnt + 1) // 2, (ranked.c.cnt + 2) // 2]))
            .scalar_subquery())


def _days_value(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _counts(sr, whole: bool = False):
    """The counts of a row; the distinct companies among the accepted and the overdue ones
    only for the whole scope (the funnel's suppression needs them; each is a sort per group
    on PostgreSQL, so the per-state, per-organisation and flow rows leave them empty)."""
    if not whole:
        return [*_plain_counts(sr), *(cast(null(), Integer) for _ in range(2))]
    return [*_plain_counts(sr),
            func.count(case((sr.c.ever_accepted == 1, sr.c.company_id)).distinct())
            .label("accepted_companies"),
            func.count(case((sr.c.overdue == 1, sr.c.company_id)).distinct())
            .label("overdue_companies")]


def _plain_counts(sr):
    return [func.count().label("referrals"),
            func.count(sr.c.company_id.distinct()).label("companies"),
            func.sum(sr.c.ever_accepted).label("accepted"),
            func.sum(case((sr.c.status == "completed", 1), else_=0)).label("completed"),
            func.sum(case((sr.c.status == "rejected", 1), else_=0)).label("rejected"),
            func.sum(case((sr.c.status == "failed", 1), else_=0)).label("failed"),
            func.sum(sr.c.overdue).label("overdue")]


def referrals(session, scope: MonitorScope) -> dict:
    """``{"states": {...}, "funnel": {...}, "by_sender": [...], "by_receiver": [...],
    "flows": [...]}``; per-organisation rows and flows are suppressed in cross-organisation
    views when fewer than 5 companies are behind them."""
    applies = scope.cross_organisation
    rows = session.execute(kept(session, scope, _referrals_statement)).all()
    states = {s: 0 for s in STATES}
    state_companies = {s: 0 for s in STATES}
    totals = {"referrals": 0, "accepted": 0, "overdue": 0}
    senders, receivers, flows = [], [], []
    whole = None
    for figure, key, to_key, n, companies, accepted, completed, rejected, failed, overdue, \
            accepted_companies, overdue_companies, median_accept, median_complete in rows:
        if figure == "whole":
            whole = {"companies": companies, "accepted_companies": accepted_companies,
                     "overdue_companies": overdue_companies,
                     "median_accept": median_accept, "median_complete": median_complete}
            continue
        row = {"companies": companies, "referrals": n, "accepted": accepted or 0,
               "completed": completed or 0, "rejected": rejected or 0, "failed": failed or 0,
               "overdue": overdue or 0}
        if figure == "status":
            states[key] = n
            state_companies[key] = companies
            totals["referrals"] += n
            totals["accepted"] += accepted or 0
            totals["overdue"] += overdue or 0
        elif figure == "flow":
            flows.append({"from_key": int(key), "to_key": int(to_key), **row})
        else:
            (senders if figure == "sender" else receivers).append({"key": int(key), **row})
    names = _organisation_names(session, senders + receivers, flows)
    for r in senders + receivers:
        r["name"] = names.get(r["key"], "")
    for r in flows:
        r["from_name"], r["to_name"] = names.get(r["from_key"], ""), names.get(r["to_key"], "")
    for r in senders + receivers + flows:
        r["acceptance_rate"] = _rate(r["accepted"], r["referrals"])
        r["completion_rate"] = _rate(r["completed"], r["referrals"])
    senders.sort(key=lambda r: (-r["referrals"], r["name"]))
    receivers.sort(key=lambda r: (-r["referrals"], r["name"]))
    flows.sort(key=lambda r: (-r["referrals"], r["from_name"], r["to_name"]))

    sent = totals["referrals"]
    funnel = {
        "sent": sent,
        "accepted": totals["accepted"],
        "completed": states["completed"],
        "closed_without_follow_up": states["failed"],
        "closed_without_follow_up_share": _rate(states["failed"], sent),
        "median_days_to_accept": _days_value(whole["median_accept"]),
        "median_days_to_complete": _days_value(whole["median_complete"]),
    }
    if applies:
        small = suppress(1, companies=whole["companies"]) != 1
        basis = {"sent": whole["companies"], "accepted": whole["accepted_companies"],
                 "completed": state_companies["completed"],
                 "closed_without_follow_up": state_companies["failed"]}
        funnel = {k: (SUPPRESSED if small and k not in basis else
                      suppress(v, companies=basis.get(k, whole["companies"])))
                  for k, v in funnel.items()}
    api_states = {s.replace("-", "_"): suppress(v, companies=state_companies[s], applies=applies)
                  for s, v in states.items()}
    api_states["overdue"] = suppress(totals["overdue"], companies=whole["overdue_companies"],
                                     applies=applies)
    return {
        "states": api_states,
        "funnel": funnel,
        "by_sender": suppress_rows(senders, applies=applies),
        "by_receiver": suppress_rows(receivers, applies=applies),
        "flows": suppress_rows(flows[:TOP_FLOWS], applies=applies),
        "flow_count": len(flows),
    }


def _referrals_statement(session, scope: MonitorScope):
    """:func:`referrals`' statement: a row per state, sender, receiver and flow, and one for
    the whole scope with the medians."""
    sr = scoped_referrals(scope).cte("monitor_referrals").prefix_with("MATERIALIZED")
    blank, none = literal(None, String), cast(null(), Float)
    accept_days = _days(session, sr.c.accepted_at, sr.c.created_at)
    complete_days = _days(session, sr.c.closed_at, sr.c.created_at)
    medians = [
        _median(session, select(accept_days.label("days"))
                .where(sr.c.accepted_at.is_not(None))),
        _median(session, select(complete_days.label("days")).where(
            sr.c.status == "completed", sr.c.closed_at.is_not(None)))]
    branches = [
        select(literal("status"), sr.c.status, blank, *_counts(sr), none, none)
        .group_by(sr.c.status),
        select(literal("sender"), cast(sr.c.from_organisation_id, String), blank, *_counts(sr),
               none, none).group_by(sr.c.from_organisation_id),
        select(literal("receiver"), cast(sr.c.to_organisation_id, String), blank, *_counts(sr),
               none, none).group_by(sr.c.to_organisation_id),
        select(literal("flow"), cast(sr.c.from_organisation_id, String),
               cast(sr.c.to_organisation_id, String), *_counts(sr), none, none)
        .group_by(sr.c.from_organisation_id, sr.c.to_organisation_id),
        # The whole scope in one row, with the medians: the CTE is evaluated once.
        select(literal("whole"), blank, blank, *_counts(sr, whole=True), *medians),
    ]
    return union_all(*branches)


def _rate(part, whole) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def _organisation_names(session, rows, flows) -> dict[int, str]:
    ids = {r["key"] for r in rows} | {r["from_key"] for r in flows} | {r["to_key"] for r in flows}
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name)
                                .where(Organisation.id.in_(ids))).all())
