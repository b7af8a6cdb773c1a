"""Demo impact data for ``seed-demo``: impact-survey invitations and answers, Digital Maturity
Assessment (DMA) results, saved views for the coordinators and two pairs of near-duplicate
companies, so the monitor, the timelines, the saved views and the duplicates list have
something to show on a fresh install.

Everything is written through the domain operations (``invite``/``answer``,
``record_assessment``, ``save_view``, ``create_company``, the duplicate ``scan``), so the audit
trail and the timelines are as if people did it; then the moments are moved back to when it
would have happened (before today, links expiring 30 days after they were made). Deterministic
given the random generator passed in.
"""
import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .journeys.clock import today as local_today
from .journeys.companies import create_company
from .journeys.duplicates import scan
from .journeys.interventions import log_intervention
from .journeys.maturity import record_assessment
from .journeys.saved_views import save_view
from .journeys.survey import VALID_DAYS, answer, invite
from .models import (AuditEntry, Company, Intervention, Municipality, Organisation, Referral,
                     User)
from .models.survey import SurveyInvitation, SurveyResponse
from .models.vocabulary import ARCHETYPE_SLUGS, DMA_DIMENSION_NAMES, SURVEY_QUESTION_KEYS

#: Contacts after which organisations ask for the survey (substantive ones, not a phone call).
SURVEYED_KINDS = frozenset(ARCHETYPE_SLUGS) | {"bezoek", "intake"}
#: Share of those interventions, and of completed referrals, that get a link.
INVITE_SHARE, REFERRAL_INVITE_SHARE = 0.35, 0.75
#: Chance an entrepreneur answers (recent links may still be open, so the rate ends near 60%).
ANSWER_SHARE = 0.64
#: Survey questions (1-10) each kind of activity mostly helps with.
RELEVANT = {
    "signaleren": (1, 2, 3), "netwerken": (2, 3, 8), "faciliteiten": (6, 7, 2),
    "werken-met-studenten": (3, 6, 7, 8), "onderwijs-studenten": (7, 8),
    "onderwijs-professionals": (1, 3, 7), "advisering": (1, 3, 5, 7), "subsidies": (4, 5, 9),
    "workshops": (1, 2, 3), "onderzoek": (6, 7, 8), "scans": (1, 2, 3),
    "kennisplatform": (1, 2), "bezoek": (1, 2, 3), "intake": (2, 3), None: (2, 3, 8),
}
COMMENTS = {
    "good": ("Heel praktisch, we zijn direct aan de slag gegaan.",
             "Fijn dat we zo snel geholpen werden; de adviseur dacht echt mee.",
             "De studenten hebben onze webshop flink verbeterd.",
             "Eindelijk overzicht in wat we met data kunnen."),
    "neutral": ("Nuttig, maar de vervolgstap is voor ons nog niet duidelijk.",
                "Goede informatie; voor ons bedrijf nog wat te algemeen."),
    "poor": ("Het duurde lang voordat er contact was.",
             "Niet wat we zochten; we zijn elders verder geholpen."),
}
#: Share of companies with an EDIH intervention that get DMA results, and of those a later one.
DMA_SHARE, DMA_LATER_SHARE = 0.25, 0.8
#: A coordinator's monitor shows the DMA change from 5 companies (small-cell suppression):
#: companies in their provinces are topped up to this many with two results where possible.
DMA_MIN_PER_COORDINATOR = 5
#: (name, SBI, registering user, municipality) of the deliberate near-duplicates (no KVK).
DUPLICATES = [
    ("Bakkerij Jansen", "1071", "Lotte Smit", "Hilversum"),
    ("Bakkerij Jansen B.V.", "1071", "Fatima El Amrani", "Hilversum"),
    ("Installatiebedrijf De Vries", "4322", "Mark Bakker", "Amersfoort"),
    ("De Vries Installatiebedrijf V.O.F.", "4322", "Sanne de Vries", "Amersfoort"),
]


def seed_insight(session: Session, rng: random.Random) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    users = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
    staff: dict[int, list[User]] = {}
    for user in users:
        if user.role in ("staff", "account_manager"):
            staff.setdefault(user.organisation_id, []).append(user)
    if not staff:
        return
    by_id = {u.id: u for u in users}
    if session.scalar(select(func.count()).select_from(Company)):  # not with --companies 0
        _duplicates(session, rng, {u.name: u for u in users}, now)
    _surveys(session, rng, staff, by_id, now)
    _maturity(session, rng, staff, users, now)
    _saved_views(session, users, now)
    session.flush()


def _backdate_audit(session: Session, record_type: str, record_id: int, at: datetime) -> None:
    """Move the (not yet flushed) audit entry of a record just written to ``at``."""
    for entry in session.new:
        if isinstance(entry, AuditEntry) and entry.record_type == record_type \
                and entry.record_id == record_id:
            entry.at = at


def _moment(rng: random.Random, day: date, now: datetime) -> datetime:
    """A moment in office hours on ``day`` (07:00-15:59 UTC), never later than an hour ago."""
    at = datetime.combine(day, time(rng.randint(7, 15), rng.randint(0, 59)), timezone.utc)
    return min(at, now - timedelta(hours=1))


# --- the impact survey ------------------------------------------------------------------------

def _answers(rng: random.Random, archetype: str | None) -> tuple[dict, str | None]:
    """Plausible answers on the six-point scale: the questions the activity is about get an
    extent that follows the entrepreneur's mood; the others are often "not applicable"."""
    mood = rng.choices(("good", "neutral", "poor"), weights=(60, 28, 12))[0]
    extent = {"good": (1, 4, 12, 14), "neutral": (3, 9, 8, 2), "poor": (9, 6, 2, 0)}[mood]
    relevant = RELEVANT.get(archetype, RELEVANT[None])
    values = {}
    for number, key in enumerate(SURVEY_QUESTION_KEYS, start=1):
        if number in relevant:
            values[key] = rng.choices((1, 2, 3, 4, 5), weights=(*extent, 1))[0]
        elif number in (9, 10) and archetype != "subsidies":  # financing, regulations
            values[key] = rng.choices((6, 1, 5, None), weights=(12, 3, 2, 1))[0]
        else:
            values[key] = rng.choices((1, 2, 3, 4, 5, 6, None),
                                      weights=(5, *extent[1:], 3, 6, 2))[0]
    comment = rng.choice(COMMENTS[mood]) if rng.random() < 0.3 else None
    return values, comment


def _send(session, rng, subject, sender: User, sent: datetime, archetype, now,
          moved: dict) -> None:
    """Invite (and maybe answer) now, through the operations; the moments to move back in
    time are collected in ``moved`` and written in bulk at the end (fewer round trips)."""
    invitation = invite(subject, by=sender)
    _backdate_audit(session, "survey_invitation", invitation.id, sent)
    row = {"id": invitation.id, "created_at": sent,
           "expires_at": sent + timedelta(days=VALID_DAYS), "used_at": None}
    answered = sent + timedelta(hours=rng.randint(2, 24 * 12))
    if rng.random() < ANSWER_SHARE and answered < now - timedelta(hours=1):
        values, comment = _answers(rng, archetype)
        response = answer(invitation, values, comment)
        _backdate_audit(session, "survey_response", response.id, answered)
        row["used_at"] = answered
        moved[SurveyResponse].append({"id": response.id, "answered_at": answered})
    moved[SurveyInvitation].append(row)


def _surveys(session, rng, staff, by_id, now: datetime) -> None:
    moved: dict = {SurveyInvitation: [], SurveyResponse: []}
    since = (now - timedelta(days=420)).date()
    interventions = session.scalars(
        select(Intervention).where(Intervention.occurred_on >= since,
                                   Intervention.kind.in_(sorted(SURVEYED_KINDS)))
        .order_by(Intervention.id)).all()
    for intervention in interventions:
        if rng.random() >= INVITE_SHARE or intervention.organisation_id not in staff:
            continue
        sender = by_id.get(intervention.user_id) or by_id.get(intervention.created_by_id)
        if sender is None or sender.organisation_id != intervention.organisation_id:
            sender = rng.choice(staff[intervention.organisation_id])
        sent = _moment(rng, intervention.occurred_on + timedelta(days=rng.randint(0, 4)), now)
        _send(session, rng, intervention, sender, sent, intervention.kind, now, moved)
    referrals = session.scalars(select(Referral).where(Referral.status == "completed")
                                .order_by(Referral.id)).all()
    for referral in referrals:
        if rng.random() >= REFERRAL_INVITE_SHARE or referral.to_organisation_id not in staff \
                or referral.closed_at is None:
            continue
        sent = min(referral.closed_at.replace(microsecond=0)
                   + timedelta(days=rng.randint(0, 3), hours=2), now - timedelta(hours=1))
        archetype = referral.offering.archetype if referral.offering else None
        _send(session, rng, referral, rng.choice(staff[referral.to_organisation_id]), sent,
              archetype, now, moved)
    session.flush()
    for model, rows in moved.items():
        if rows:  # ORM bulk UPDATE by primary key: one executemany per table
            session.execute(update(model), rows)


# --- Digital Maturity Assessments ---------------------------------------------------------------

def _scores(rng: random.Random, maturity: str) -> dict[str, int]:
    low, high = {"laag": (15, 40), "middel": (35, 60), "hoog": (55, 80)}.get(maturity, (25, 55))
    base = rng.randint(low, high)
    scores = {d: base + rng.randint(-12, 12) for d in DMA_DIMENSION_NAMES}
    scores["green"] -= 8  # usually the least developed dimension
    return {d: max(0, min(100, v)) for d, v in scores.items()}


def _later(rng: random.Random, first: dict[str, int]) -> dict[str, int]:
    """A later result: mostly upward, most in automation and data; now and then a dip."""
    out = {}
    for d, value in first.items():
        step = rng.choices((rng.randint(-8, -1), 0, rng.randint(2, 8), rng.randint(8, 22)),
                           weights=(10, 15, 40, 35))[0]
        if d in ("automation_ai", "data_management", "digital_readiness") and step > 0:
            step += rng.randint(0, 6)
        out[d] = max(0, min(100, value + step))
    return out


def _weighted_sample(rng, items, weights, k):
    """``k`` items without replacement, likelier with a higher weight (Efraimidis–Spirakis)."""
    keyed = sorted(((rng.random() ** (1 / w), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _, i in keyed[:k]]


def _maturity(session, rng, staff, users, now: datetime) -> None:
    edihs = {o.id: o for o in session.scalars(select(Organisation).where(
        Organisation.kind == "edih", Organisation.id.in_(list(staff))).order_by(Organisation.id))}
    if not edihs:
        return
    rows = session.execute(
        select(Intervention.company_id, Intervention.organisation_id,
               func.min(Intervention.occurred_on))
        .where(Intervention.organisation_id.in_(list(edihs)))
        .group_by(Intervention.company_id, Intervention.organisation_id)
        .order_by(Intervention.company_id, Intervention.organisation_id)).all()
    first_seen = {}
    for company_id, org_id, day in rows:
        first_seen.setdefault(company_id, (org_id, day))
    companies = {c.id: c for c in session.scalars(
        select(Company).where(Company.id.in_(list(first_seen))))}
    candidates = sorted(first_seen)
    today = local_today()
    # An EDIH assesses mostly companies in its own region.
    weights = [4 if companies[c].province_id in {p.id for p in edihs[first_seen[c][0]].provinces}
               else 1 for c in candidates]
    chosen = _weighted_sample(rng, candidates, weights, round(DMA_SHARE * len(candidates)))
    later = {c: rng.random() < DMA_LATER_SHARE for c in chosen}

    def can_move(c):  # a first result at least two months ago leaves room for a later one
        return first_seen[c][1] <= today - timedelta(days=60)

    for coordinator in (u for u in users if u.role == "coordinator" and u.provinces):
        area = {p.id for p in coordinator.provinces}
        moving = [c for c in chosen
                  if later[c] and can_move(c) and companies[c].province_id in area]
        spare = [c for c in candidates
                 if c not in later and can_move(c) and companies[c].province_id in area]
        for c in rng.sample(spare, max(0, min(len(spare), DMA_MIN_PER_COORDINATOR - len(moving)))):
            chosen.append(c)
            later[c] = True
    for company_id in sorted(chosen):
        company = companies[company_id]
        org_id, day = first_seen[company_id]
        assessor = rng.choice(staff[org_id])
        first_on = min(day + timedelta(days=rng.randint(0, 10)), today - timedelta(days=1))
        scores = _scores(rng, company.digital_maturity)
        dates = [(first_on, scores)]
        if later[company_id] and can_move(company_id):
            start = max(first_on + timedelta(days=45), today - timedelta(days=300))
            span = (today - timedelta(days=2) - start).days
            if span >= 0:
                dates.append((start + timedelta(days=rng.randint(0, span)), _later(rng, scores)))
        for assessed_on, values in dates:
            result = record_assessment(company, values, assessed_on, by=assessor)
            at = _moment(rng, assessed_on, now)
            result.created_at = at
            _backdate_audit(session, "dma_assessment", result.id, at)


# --- saved views and near-duplicates ----------------------------------------------------------

def _saved_views(session, users, now: datetime) -> None:
    for user in (u for u in users if u.role == "coordinator" and u.provinces):
        province = sorted(user.provinces, key=lambda p: p.name)[-1]
        views = [("journeys", f"Open doorverwijzingen {province.name}",
                  f"province={province.id}&open_referral=1&sort=-last_step"),
                 ("dashboard", f"{province.name} sinds 1 januari",
                  f"province={province.name}&from={now.year}-01-01")]
        for kind, name, query in views:
            view = save_view(kind, name, query, by=user)
            at = now - timedelta(days=14, hours=user.id)
            view.created_at = at
            _backdate_audit(session, "saved_view", view.id, at)


def _duplicates(session, rng, users_by_name: dict, now: datetime) -> None:
    """Companies entered twice without a KVK number by two organisations, each with a contact,
    and the duplicate look-up for them (the pairs appear on the duplicates list)."""
    added = []
    for name, sbi, user_name, place in DUPLICATES:
        user = users_by_name.get(user_name)
        municipality = session.scalars(select(Municipality).where(Municipality.name == place)
                                       .order_by(Municipality.id)).first()
        if user is None or municipality is None:
            continue
        company = create_company({"name": name, "sbi_code": sbi, "municipality_id":
                                  municipality.id, "employees": rng.randint(3, 12)}, by=user)
        at = now - timedelta(days=rng.randint(40, 200))
        company.created_at = at
        _backdate_audit(session, "company", company.id, at)
        log_intervention(company, {
            "kind": rng.choice(("intake", "bezoek", "workshops")),
            "occurred_on": (at + timedelta(days=rng.randint(1, 20))).date(),
            "bottlenecks": ["weten"], "topics": [],
            "summary": "Kennismaking; bedrijf bleek nog niet geregistreerd met KVK-nummer.",
            "internal_note": ""}, by=user)
        added.append(company)
    if added:
        session.flush()
        scan(session, newest=len(added))
