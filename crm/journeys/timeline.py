"""One timeline per company: every intervention, referral step and consent change the viewer
may see, in time order, with the open referrals (the *next door*) apart.

Built with a fixed number of queries whatever the number of events — consents, interventions
(with the lists of bottlenecks and topics the database keeps on each), referral steps joined to
their referral, survey answers and links, DMA results — selecting columns rather than ORM
objects, so a long journey stays fast (see ``bench/timeline.py``).
"""
import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session, aliased, object_session

from ..models import (Company, Consent, Event, Intervention, Organisation, Referral,
                      ReferralStep, User)
from ..models.vocabulary import OPEN_REFERRAL_STATUSES
from ..policy import _active, coordinates
from .clock import AMSTERDAM, today
from .timeline_extras import timeline_extras


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
    #: The viewer's own organisation's interventions only ('' when empty); None otherwise.
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
    #: survey: [(question key, answer 1–6 or None)]
    answers: list | None = None
    #: dma: [(dimension, score)] and ("average", average) last
    scores: list | None = None

    @property
    def own(self) -> bool:
        """An intervention of the viewer's own organisation (editable, with its note)."""
        return self.type == "intervention" and self.internal_note is not None

    @property
    def sort_key(self):
        """(moment as a POSIX timestamp, interventions first on a tie, id): plain numbers, so
        sorting a long journey compares no time zones (a date counts as its Amsterdam
        midnight)."""
        at = self.occurred_at
        if type(at) is not datetime:
            at = datetime.combine(at, time.min, AMSTERDAM)
        return (at.timestamp(), 0 if self.type == "intervention" else 1, self.id)


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


@dataclass(slots=True)
class CurrentConsent:
    id: int
    given_at: datetime
    organisation: str
    basis: str


@dataclass
class Timeline:
    company_id: int
    has_consent: bool
    #: In time order: every item, or the latest ones when the timeline was asked for those.
    items: list[TimelineItem]
    open_referrals: list[OpenReferral]
    consent: CurrentConsent | None = None
    #: How many items the whole timeline has (``len(items)`` unless only the latest were read).
    total: int | None = None
    #: Every DMA result the viewer may see, oldest first (also when ``items`` holds only the
    #: latest): the company page's maturity panel is drawn from them.
    dma: list[TimelineItem] = field(default_factory=list)

    def __post_init__(self):
        if self.total is None:
            self.total = len(self.items)


@functools.cache
def _statements(consent: bool, whole_route: bool, latest: bool = False):
    """The timeline's statements, built once per variant: building a select() costs more than
    running it from SQLAlchemy's compiled cache. Parameters: ``company_id`` and ``own``, and
    ``latest`` for the variant that reads only the latest interventions (newest first, with
    the number of all of them in every row)."""
    company_id, own = bindparam("company_id"), bindparam("own")
    consents = (select(Consent.id, Consent.given_at, Consent.withdrawn_at, Consent.basis,
                       Consent.organisation_id, Organisation.name)
                .join(Organisation, Organisation.id == Consent.organisation_id)
                .where(Consent.company_id == company_id))

    # interventions with their tags (never another organisation's internal note); the tags
    # from the lists the database keeps on each intervention (migration 0021)
    interventions = (
        select(Intervention.id, Intervention.occurred_on, Intervention.kind,
               Intervention.summary,
               case((Intervention.organisation_id == own, Intervention.internal_note),
                    else_=None),
               Intervention.organisation_id, Organisation.name, User.name, Event.title,
               Intervention.bottleneck_list, Intervention.topic_list)
        .join(Organisation, Organisation.id == Intervention.organisation_id)
        .outerjoin(User, User.id == Intervention.user_id)
        .outerjoin(Event, Event.id == Intervention.event_id)
        .where(Intervention.company_id == company_id))
    if not consent:
        interventions = interventions.where(Intervention.organisation_id == own)
    if latest:
        # The count is a subquery run once (an InitPlan), not a window over the rows.
        counted = select(func.count()).select_from(Intervention).where(
            Intervention.company_id == company_id)
        if not consent:
            counted = counted.where(Intervention.organisation_id == own)
        interventions = (interventions.add_columns(counted.scalar_subquery())
                         .order_by(Intervention.occurred_on.desc(), Intervention.id.desc())
                         .limit(bindparam("latest")))

    # referral steps with their referral: the sending step carries the referral itself
    sender, receiver, actor_org = aliased(Organisation), aliased(Organisation), \
        aliased(Organisation)
    steps = (select(ReferralStep.id, ReferralStep.at, ReferralStep.action,
                    ReferralStep.to_status, ReferralStep.reason, ReferralStep.note,
                    ReferralStep.organisation_id, actor_org.name, User.name,
                    Referral.id, Referral.status, Referral.question, Referral.context,
                    Referral.from_organisation_id, Referral.to_organisation_id,
                    Referral.accept_due_on, sender.name, receiver.name)
             .join(Referral, Referral.id == ReferralStep.referral_id)
             .join(actor_org, actor_org.id == ReferralStep.organisation_id)
             .join(sender, sender.id == Referral.from_organisation_id)
             .join(receiver, receiver.id == Referral.to_organisation_id)
             .outerjoin(User, User.id == ReferralStep.actor_id)
             .where(Referral.company_id == company_id))
    if not whole_route:
        steps = steps.where((Referral.from_organisation_id == own)
                            | (Referral.to_organisation_id == own))
    return consents, interventions, steps


def timeline_for(company: Company, viewer: User, *, session: Session | None = None,
                 latest: int | None = None) -> Timeline:
    """The company's timeline as ``viewer`` may see it. With ``latest``, only the latest that
    many items (and ``total``, the number of all): interventions, the bulk of a long journey,
    are then read newest first up to that number; referral steps are read whole, because an
    open referral belongs at the top of the page however old it is."""
    session = session or object_session(company)
    if not _active(viewer):
        return Timeline(company.id, False, [], [])
    own = viewer.organisation_id
    params = {"company_id": company.id, "own": own, "latest": latest}
    # Core execution on the session's connection: the statements are plain column selects,
    # so the ORM's result handling would only add overhead (about 0.1 ms per statement).
    run = session.connection().execute
    items: list[TimelineItem] = []

    # 1. consents: their history is on the timeline, and the current one opens the journey
    current = None
    for cid, given, withdrawn, basis, org_id, org_name in run(
            _statements(False, False)[0], params).all():
        items.append(TimelineItem("consent", given, org_id, org_name, cid, kind="given",
                                  summary=basis))
        if withdrawn is None:
            current = CurrentConsent(cid, given, org_name, basis)
        else:
            items.append(TimelineItem("consent", withdrawn, org_id, org_name, cid,
                                      kind="withdrawn", withdrawn=True))
    consent = current is not None
    _, interventions, steps = _statements(consent, consent or coordinates(viewer, company),
                                          latest is not None)

    # 2. interventions with their tags
    rows = run(interventions, params).all()
    if latest is None:
        left_out = 0
    else:
        left_out = rows[0][-1] - len(rows) if rows else 0
        rows = [row[:-1] for row in rows]
    for (iid, on, kind, summary, note, org_id, org_name, actor, event, tags_b,
         tags_t) in rows:
        items.append(TimelineItem(
            "intervention", on, org_id, org_name, iid, kind=kind, summary=summary or "",
            internal_note=note if note is not None or org_id != own else "", actor=actor,
            event=event, bottlenecks=sorted(tags_b.split(",")) if tags_b else [],
            topics=sorted(tags_t.split(",")) if tags_t else []))

    # 3. referral steps
    open_referrals = []
    now = today()
    for (sid, at, action, to_status, reason, note, org_id, org_name, actor, rid, status,
         question, context, from_id, to_id, due, from_name, to_name) in run(steps, params).all():
        full = own in (from_id, to_id)
        if action == "send":
            items.append(TimelineItem(
                "referral", at, from_id, from_name, rid, kind="send", referral_id=rid,
                status=status, from_organisation=from_name, to_organisation=to_name,
                full=full, actor=actor if full else None,
                question=question if full else None, context=context if full else None))
            if status in OPEN_REFERRAL_STATUSES:
                open_referrals.append(OpenReferral(
                    rid, status, from_name, to_name, at, due,
                    status == "requested" and due < now, full, question if full else None))
        else:
            items.append(TimelineItem(
                "referral-step", at, org_id, org_name, sid, kind=action, referral_id=rid,
                status=to_status, from_organisation=from_name, to_organisation=to_name,
                full=full, actor=actor if full else None, reason=reason,
                note=note if full else None))

    # 4. survey answers (and our unanswered links) and DMA results
    surveys, dma = timeline_extras(session, company.id, own, consent)
    items.extend(surveys)
    items.extend(dma)

    items.sort(key=_sort_key)
    open_referrals.sort(key=lambda r: r.created_at)
    total = len(items) + left_out
    if latest is not None:
        # The latest ``latest`` interventions include every intervention among the latest
        # ``latest`` items: both are ordered by (date, id).
        items = items[-latest:] if latest else []
    return Timeline(company.id, consent, items, open_referrals, current, total, dma)


_sort_key = TimelineItem.sort_key.fget
