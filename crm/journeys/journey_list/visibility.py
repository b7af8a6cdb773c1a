"""The journey list: what the viewer may count — the visible interventions and referral
routes, the organisations visited, and the per-company summary the aggregate sorts and
filters read (one ``GROUP BY`` over index-read parts)."""
from sqlalchemy import (Date, Integer, case, cast, func, literal, null, or_, select, true,
                        union, union_all)

from ...models import Company, Consent, Intervention, Referral, ReferralStep
from ...models.base import UTCDateTime
from ...models.vocabulary import OPEN_REFERRAL_STATUSES
from .filters import Scope

#: Referral statuses that end a referral unsuccessfully.
FAILED = ("rejected", "failed")


def _consented():
    return select(Consent.company_id).where(Consent.withdrawn_at.is_(None))


def visible_interventions(scope: Scope):
    """Interventions the viewer sees: their organisation's, or shared under consent."""
    return or_(Intervention.organisation_id == scope.user.organisation_id,
               Intervention.company_id.in_(_consented()))


def visible_referrals(scope: Scope):
    """Referrals whose route the viewer sees (every company of a coordinator's list lies in
    their provinces, so the coordinator sees every route there)."""
    if scope.regional:
        return true()
    own = scope.user.organisation_id
    return or_(Referral.from_organisation_id == own, Referral.to_organisation_id == own,
               Referral.company_id.in_(_consented()))


def _intervention_parts(scope: Scope, *columns, organisation_id: int | None = None,
                        company_ids=None) -> list:
    """The visible interventions as disjoint parts, each read from an index: the viewer's own
    organisation's (``ix_interventions_organisation_company``: organisation, company, day) and,
    at companies that consent, the other organisations' (``ix_interventions_company_monitor``:
    company, day, kind, organisation). One ``OR`` of the two would read every intervention.
    ``organisation_id``: only that organisation's; ``company_ids``: only those companies'."""
    own = scope.user.organisation_id
    consented = _consented()
    if company_ids is not None:
        # The few companies drive the search, not every consent.
        consented = consented.where(Consent.company_id.in_(company_ids))
    parts = []
    if organisation_id in (None, own):
        parts.append(select(*columns).where(Intervention.organisation_id == own))
    if organisation_id != own:
        parts.append(select(*columns).where(
            Intervention.company_id.in_(consented),
            Intervention.organisation_id != own if organisation_id is None
            else Intervention.organisation_id == organisation_id))
    if company_ids is not None:
        parts = [part.where(Intervention.company_id.in_(company_ids)) for part in parts]
    return parts


def visits(scope: Scope, *, organisation_id: int | None = None, company_ids=None):
    """(company_id, organisation_id) of every organisation visited, without duplicates."""
    ints = _intervention_parts(scope, Intervention.company_id, Intervention.organisation_id,
                               organisation_id=organisation_id, company_ids=company_ids)
    refs = select(Referral.company_id, Referral.to_organisation_id).where(
        visible_referrals(scope), Referral.accepted_at.is_not(None))
    if organisation_id is not None:
        refs = refs.where(Referral.to_organisation_id == organisation_id)
    if company_ids is not None:
        refs = refs.where(Referral.company_id.in_(company_ids))
    return union(*ints, refs).subquery("visits")


def _day(column):
    return func.date(column)


def _in_scope(scope: Scope):
    """The companies of a coordinator's provinces, to aggregate over only those (``None`` for
    an organisation's list: the join to its companies restricts that)."""
    if scope.regional:
        return select(Company.id).where(Company.province_id.in_(scope.province_ids))
    return None


def _failed_candidates(scope: Scope):
    """Companies with a visible referral that was rejected or failed: the only ones whose
    last step can be such a step (both end a referral), a small part of the list."""
    stmt = select(Referral.company_id).where(visible_referrals(scope),
                                             Referral.status.in_(FAILED))
    if scope.regional:
        stmt = stmt.where(Referral.company_id.in_(_in_scope(scope)))
    return stmt


def _summary(scope: Scope, *, last: bool, orgs: bool, opened: bool, within=None,
             name: str = "summary"):
    """One row per company with what the sort and filters need — ``orgs`` (organisations
    visited), ``day`` (last visible intervention), ``at`` / ``failed_at`` (last visible referral
    step / last one that rejected or failed a referral), ``opened`` (open referrals) — from one
    ``GROUP BY`` over a ``UNION ALL`` of parts that are each read from an index (pre-aggregated
    per company where they can be), instead of several aggregates joined or a subquery per
    company. ``within``: only these companies (a coordinator's provinces, or candidates)."""
    own = scope.user.organisation_id
    null_int, null_day, null_at = (cast(null(), Integer), cast(null(), Date),
                                   cast(null(), UTCDateTime()))

    def row(company, org=null_int, day=null_day, at=null_at, failed=null_at, count=null_int):
        return (company.label("company_id"), org.label("org"), day.label("day"),
                at.label("at"), failed.label("failed_at"), count.label("opened"))

    day = func.max(Intervention.occurred_on) if last else null_day
    parts = []
    mine, shared = _intervention_parts(scope, Intervention.company_id, company_ids=within)
    if last or orgs:
        parts.append(mine.with_only_columns(*row(Intervention.company_id,
                                                 literal(own, Integer), day))
                     .group_by(Intervention.company_id))
        shared = shared.with_only_columns(*row(
            Intervention.company_id, Intervention.organisation_id if orgs else null_int, day))
        parts.append(shared.group_by(Intervention.company_id, Intervention.organisation_id)
                     if orgs else shared.group_by(Intervention.company_id))
    referrals = select().where(visible_referrals(scope))
    if within is not None:
        referrals = referrals.where(Referral.company_id.in_(within))
    if last:
        parts.append(referrals.with_only_columns(*row(
            Referral.company_id, at=func.max(ReferralStep.at),
            failed=func.max(case((ReferralStep.to_status.in_(FAILED), ReferralStep.at)))))
            .select_from(ReferralStep).join(Referral, Referral.id == ReferralStep.referral_id)
            .group_by(Referral.company_id))
    if orgs:
        parts.append(referrals.with_only_columns(*row(Referral.company_id,
                                                      Referral.to_organisation_id))
                     .where(Referral.accepted_at.is_not(None)))
    if opened:
        parts.append(referrals.with_only_columns(*row(Referral.company_id, count=func.count()))
                     .where(Referral.status.in_(OPEN_REFERRAL_STATUSES))
                     .group_by(Referral.company_id))
    u = union_all(*parts).subquery(name + "_parts")
    return (select(u.c.company_id, func.count(u.c.org.distinct()).label("orgs"),
                   func.max(u.c.day).label("day"), func.max(u.c.at).label("at"),
                   func.max(u.c.failed_at).label("failed_at"),
                   func.sum(u.c.opened).label("opened"))
            .group_by(u.c.company_id).subquery(name))
