"""The rows of one page of the journey list: for the given companies, their organisations
visited, last step and open referrals as the viewer may see them — a handful of statements
(window functions over ``IN`` the page's ids), whatever the number of companies in scope.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from ...models import (Company, Consent, Intervention, Municipality, Organisation, Province,
                       Referral, ReferralStep, User)
from ...models.vocabulary import OPEN_REFERRAL_STATUSES
from ..clock import AMSTERDAM
from .filters import Scope
from .visibility import FAILED, _consented, visible_interventions, visible_referrals, visits


@dataclass
class Step:
    type: str  # intervention or referral-step
    at: date | datetime
    organisation: str
    kind: str | None = None  # intervention kind, or referral action
    status: str | None = None
    actor: str | None = None
    from_organisation: str | None = None
    to_organisation: str | None = None
    referral_id: int | None = None

    @property
    def moment(self) -> datetime:
        at = self.at
        return at if isinstance(at, datetime) else datetime.combine(at, time.min, AMSTERDAM)

    @property
    def failed(self) -> bool:
        return self.type == "referral-step" and self.status in FAILED


@dataclass
class JourneyRow:
    id: int
    kvk: str | None
    name: str
    municipality: str | None
    province: str | None
    sector: str | None
    size_class: str | None
    phase: str | None
    maturity: str | None
    has_consent: bool = False
    organisations: list[str] = field(default_factory=list)
    last: Step | None = None
    open_referrals: int = 0


def rows(session: Session, scope: Scope, ids: list[int]) -> list[JourneyRow]:
    """The rows of the given companies, in the given order (a few statements in all)."""
    if not ids:
        return []
    found = {r.id: r for r in (JourneyRow(*row) for row in session.execute(
        select(Company.id, Company.kvk, Company.name, Municipality.name, Province.name,
               Company.sbi_section, Company.size_class, Company.phase, Company.digital_maturity)
        .outerjoin(Municipality, Municipality.id == Company.municipality_id)
        .outerjoin(Province, Province.id == Company.province_id)
        .where(Company.id.in_(ids))))}
    for cid in session.scalars(_consented().where(Consent.company_id.in_(ids))):
        found[cid].has_consent = True
    v = visits(scope, company_ids=ids)
    for cid, name in session.execute(select(v.c.company_id, Organisation.name)
                                     .join(Organisation, Organisation.id == v.c.organisation_id)
                                     .order_by(Organisation.name)):
        found[cid].organisations.append(name)
    for cid, n in session.execute(
            select(Referral.company_id, func.count())
            .where(Referral.company_id.in_(ids), visible_referrals(scope),
                   Referral.status.in_(OPEN_REFERRAL_STATUSES)).group_by(Referral.company_id)):
        found[cid].open_referrals = n
    for cid, step in _last_interventions(session, scope, ids) + _last_steps(session, scope, ids):
        row = found[cid]
        if row.last is None or step.moment >= row.last.moment:
            row.last = step
    return [found[i] for i in ids if i in found]


def _last_interventions(session, scope, ids):
    ranked = (select(Intervention.company_id, Intervention.occurred_on, Intervention.kind,
                     Intervention.organisation_id, Intervention.user_id,
                     func.row_number().over(partition_by=Intervention.company_id,
                                            order_by=(Intervention.occurred_on.desc(),
                                                      Intervention.id.desc())).label("rn"))
              .where(Intervention.company_id.in_(ids), visible_interventions(scope))
              .subquery())
    stmt = (select(ranked.c.company_id, ranked.c.occurred_on, ranked.c.kind, Organisation.name,
                   User.name)
            .join(Organisation, Organisation.id == ranked.c.organisation_id)
            .outerjoin(User, User.id == ranked.c.user_id).where(ranked.c.rn == 1))
    return [(cid, Step("intervention", on, org, kind=kind, actor=actor))
            for cid, on, kind, org, actor in session.execute(stmt)]


def _last_steps(session, scope, ids):
    own = scope.user.organisation_id
    ranked = (select(Referral.company_id, ReferralStep.at, ReferralStep.action,
                     ReferralStep.to_status, ReferralStep.organisation_id,
                     ReferralStep.actor_id, Referral.id.label("referral_id"),
                     Referral.from_organisation_id, Referral.to_organisation_id,
                     func.row_number().over(partition_by=Referral.company_id,
                                            order_by=(ReferralStep.at.desc(),
                                                      ReferralStep.id.desc())).label("rn"))
              .join(Referral, Referral.id == ReferralStep.referral_id)
              .where(Referral.company_id.in_(ids), visible_referrals(scope)).subquery())
    actor_org, sender, receiver = aliased(Organisation), aliased(Organisation), \
        aliased(Organisation)
    stmt = (select(ranked.c.company_id, ranked.c.at, ranked.c.action, ranked.c.to_status,
                   actor_org.name, User.name, ranked.c.referral_id, sender.name, receiver.name,
                   or_(ranked.c.from_organisation_id == own,
                       ranked.c.to_organisation_id == own))
            .join(actor_org, actor_org.id == ranked.c.organisation_id)
            .join(sender, sender.id == ranked.c.from_organisation_id)
            .join(receiver, receiver.id == ranked.c.to_organisation_id)
            .outerjoin(User, User.id == ranked.c.actor_id).where(ranked.c.rn == 1))
    return [(cid, Step("referral-step", at, org, kind=action, status=status,
                       actor=actor if party else None, from_organisation=frm,
                       to_organisation=to, referral_id=rid))
            for cid, at, action, status, org, actor, rid, frm, to, party
            in session.execute(stmt)]
