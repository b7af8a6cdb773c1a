"""One timeline per company: every intervention, referral step and consent change the viewer
may see, in time order, with the open referrals (the *next door*) apart.

Built with a constant number of queries whatever the number of events (six), selecting
columns rather than ORM objects, so a long journey stays fast (see ``bench/timeline.py``).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import case, literal, select
from sqlalchemy.orm import Session, aliased, object_session

from ..models import (Company, Consent, Event, Intervention, Organisation, Referral,
                      ReferralStep, User)
from ..models.intervention import intervention_bottlenecks, intervention_topics
from ..models.vocabulary import OPEN_REFERRAL_STATUSES
from ..policy import _active, consent_current, coordinates
from .clock import AMSTERDAM, today


@dataclass(slots=True)
class TimelineItem:
    #: intervention, referral (sent), referral-step (a later status change), consent
    type: str
    #: When: a date for interventions, a moment for the others.
    occurred_at: date | datetime
    organisation_id: int | None
    organisation: str
    id: int
    kind: str | None = None
    summary: str = ""
    #: Only for the viewer's own organisation's interventions.
    internal_note: str | None = None
    actor: str | None = None
    bottlenecks: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    event: str | None = None
    # referrals and their steps
    referral_id: int | None = None
    status: str | None = None
    from_organisation: str | None = None
    to_organisation: str | None = None
    #: Whether the viewer sees the referral in full (question, context, outcome).
    full: bool = False
    question: str | None = None
    context: str | None = None
    reason: str | None = None
    note: str | None = None
    # consent
    withdrawn: bool = False

    @property
    def sort_key(self):
        at = self.occurred_at
        if not isinstance(at, datetime):
            at = datetime.combine(at, time.min, AMSTERDAM)
        return (at, 0 if self.type == "intervention" else 1, self.id)


@dataclass(slots=True)
class OpenReferral:
    id: int
    status: str
    from_organisation: str
    to_organisation: str
    created_at: datetime
    accept_due_on: date
    overdue: bool
    full: bool
    question: str | None


@dataclass
class Timeline:
    company_id: int
    has_consent: bool
    items: list[TimelineItem]
    open_referrals: list[OpenReferral]


def timeline_for(company: Company, viewer: User, *, session: Session | None = None) -> Timeline:
    session = session or object_session(company)
    if not _active(viewer):
        return Timeline(company.id, False, [], [])
    own = viewer.organisation_id
    consent = bool(session.scalar(select(consent_current(company.id))))
    coordinator = coordinates(viewer, company)
    items: list[TimelineItem] = []

    # 1. interventions (never another organisation's internal note)
    visible = Intervention.organisation_id == own
    if consent:
        visible = literal(True)
    rows = session.execute(
        select(Intervention.id, Intervention.occurred_on, Intervention.kind,
               Intervention.summary,
               case((Intervention.organisation_id == own, Intervention.internal_note),
                    else_=None).label("note"),
               Intervention.organisation_id, Organisation.name, User.name, Event.title)
        .join(Organisation, Organisation.id == Intervention.organisation_id)
        .outerjoin(User, User.id == Intervention.user_id)
        .outerjoin(Event, Event.id == Intervention.event_id)
        .where(Intervention.company_id == company.id, visible)).all()
    by_id = {}
    for (iid, on, kind, summary, note, org_id, org_name, actor, event) in rows:
        item = TimelineItem("intervention", on, org_id, org_name, iid, kind=kind,
                            summary=summary or "", internal_note=note, actor=actor,
                            event=event)
        by_id[iid] = item
        items.append(item)
    if by_id:
        # 2. their bottlenecks and topics, one query for both
        tags = session.execute(
            select(intervention_bottlenecks.c.intervention_id,
                   intervention_bottlenecks.c.bottleneck, literal("b"))
            .join(Intervention, Intervention.id == intervention_bottlenecks.c.intervention_id)
            .where(Intervention.company_id == company.id)
            .union_all(
                select(intervention_topics.c.intervention_id, intervention_topics.c.topic,
                       literal("t"))
                .join(Intervention, Intervention.id == intervention_topics.c.intervention_id)
                .where(Intervention.company_id == company.id))).all()
        for iid, value, which in tags:
            item = by_id.get(iid)
            if item is not None:
                (item.bottlenecks if which == "b" else item.topics).append(value)

    # 3. referrals whose route the viewer may see
    sender, receiver = aliased(Organisation), aliased(Organisation)
    route = (Referral.from_organisation_id == own) | (Referral.to_organisation_id == own)
    if consent or coordinator:
        route = literal(True)
    refs = session.execute(
        select(Referral.id, Referral.created_at, Referral.status, Referral.question,
               Referral.context, Referral.outcome, Referral.reason, Referral.reason_text,
               Referral.from_organisation_id, Referral.to_organisation_id,
               Referral.accept_due_on, sender.name, receiver.name, User.name)
        .join(sender, sender.id == Referral.from_organisation_id)
        .join(receiver, receiver.id == Referral.to_organisation_id)
        .outerjoin(User, User.id == Referral.created_by_id)
        .where(Referral.company_id == company.id, route)).all()
    referrals = {}
    open_referrals = []
    now = today()
    for (rid, created, status, question, context, outcome, reason, reason_text, from_id, to_id,
         due, from_name, to_name, actor) in refs:
        full = own in (from_id, to_id)
        referrals[rid] = (full, from_name, to_name)
        items.append(TimelineItem(
            "referral", created, from_id, from_name, rid, kind="send", referral_id=rid,
            status=status, from_organisation=from_name, to_organisation=to_name, full=full,
            actor=actor if full else None, question=question if full else None,
            context=context if full else None))
        if status in OPEN_REFERRAL_STATUSES:
            open_referrals.append(OpenReferral(
                rid, status, from_name, to_name, created, due,
                status == "requested" and due < now, full, question if full else None))

    # 4. the later steps of those referrals
    if referrals:
        steps = session.execute(
            select(ReferralStep.id, ReferralStep.referral_id, ReferralStep.at,
                   ReferralStep.action, ReferralStep.to_status, ReferralStep.reason,
                   ReferralStep.note, ReferralStep.organisation_id, Organisation.name,
                   User.name)
            .join(Referral, Referral.id == ReferralStep.referral_id)
            .join(Organisation, Organisation.id == ReferralStep.organisation_id)
            .outerjoin(User, User.id == ReferralStep.actor_id)
            .where(Referral.company_id == company.id, ReferralStep.action != "send")).all()
        for sid, rid, at, action, to_status, reason, note, org_id, org_name, actor in steps:
            if rid not in referrals:
                continue
            full, from_name, to_name = referrals[rid]
            items.append(TimelineItem(
                "referral-step", at, org_id, org_name, sid, kind=action, referral_id=rid,
                status=to_status, from_organisation=from_name, to_organisation=to_name,
                full=full, actor=actor if full else None, reason=reason,
                note=note if full else None))

    # 5. consent given and withdrawn
    for cid, given, withdrawn, basis, org_id, org_name in session.execute(
            select(Consent.id, Consent.given_at, Consent.withdrawn_at, Consent.basis,
                   Consent.organisation_id, Organisation.name)
            .join(Organisation, Organisation.id == Consent.organisation_id)
            .where(Consent.company_id == company.id)).all():
        items.append(TimelineItem("consent", given, org_id, org_name, cid, kind="given",
                                  summary=basis))
        if withdrawn is not None:
            items.append(TimelineItem("consent", withdrawn, org_id, org_name, cid,
                                      kind="withdrawn", withdrawn=True))

    items.sort(key=lambda i: i.sort_key)
    open_referrals.sort(key=lambda r: r.created_at)
    return Timeline(company.id, consent, items, open_referrals)


