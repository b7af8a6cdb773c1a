"""Demo journeys for ``seed-demo``: contacts, events, referrals in every state, consents and
follow-up tasks, spread over the last 18 months, written through the real operations."""
import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .journeys.consent import give_consent
from .journeys.interventions import log_intervention
from .journeys.referrals import refer, transition
from .journeys.tasks import add_task
from .models import Company, Organisation, Referral, ReferralStep, User, utcnow
from .models.vocabulary import ARCHETYPE_SLUGS, BOTTLENECK_SLUGS, TOPIC_SLUGS

SUMMARIES = {
    "intake": "Kennismaking; ondernemer wil online meer klanten bereiken.",
    "telefoon": "Telefonisch doorgesproken welke stappen haalbaar zijn.",
    "e-mail": "Informatie over de digitaliseringsscan gestuurd.",
    "bezoek": "Bedrijfsbezoek: processen en systemen bekeken.",
    "scans": "Digitale scan ingevuld; grootste kansen in data en automatisering.",
    "workshops": "Deelgenomen aan de workshop 'Aan de slag met AI'.",
    "advisering": "Adviestraject gestart rond cybersecurity en back-ups.",
    "werken-met-studenten": "Studententeam maakt een plan voor de webshop.",
    "subsidies": "Gewezen op de MIT-regeling en de SLIM-subsidie.",
}
QUESTIONS = [
    "Hoe kan ik mijn voorraadbeheer automatiseren?",
    "Ik wil een webshop, maar weet niet waar te beginnen.",
    "Welke subsidie past bij onze investering in robotisering?",
    "Hoe maken we ons bedrijf weerbaar tegen cyberaanvallen?",
    "Kan een student ons helpen met online marketing?",
    "We willen met data onze planning verbeteren.",
]
OUTCOMES = ["Plan van aanpak opgesteld en uitgevoerd.", "Subsidieaanvraag ingediend.",
            "Webshop live; ondernemer tevreden.", "Advies opgeleverd; vervolg bij eigen IT-partner."]


def seed_journeys(session: Session, rng: random.Random, *, journeys: int = 150) -> None:
    users = list(session.scalars(select(User).where(User.role != "admin").order_by(User.id)))
    staff_by_org = {}
    for user in users:
        staff_by_org.setdefault(user.organisation_id, []).append(user)
    orgs = list(session.scalars(select(Organisation).where(Organisation.active.is_(True))
                                .order_by(Organisation.id)))
    companies = list(session.scalars(select(Company).order_by(Company.id)))
    if not companies or len(staff_by_org) < 2:
        return
    today = utcnow()
    for company in rng.sample(companies, min(journeys, len(companies))):
        org_ids = rng.sample(sorted(staff_by_org), rng.choice((1, 1, 2, 2, 3)))
        start = today - timedelta(days=rng.randint(20, 540))
        for step, org_id in enumerate(org_ids):
            actor = rng.choice(staff_by_org[org_id])
            for _ in range(rng.choice((1, 1, 2, 3))):
                kind = rng.choice(("intake", "telefoon", "e-mail", "bezoek", *ARCHETYPE_SLUGS))
                when = (start + timedelta(days=30 * step + rng.randint(0, 25))).date()
                log_intervention(company, {
                    "kind": kind, "occurred_on": min(when, today.date()),
                    "bottlenecks": rng.sample(BOTTLENECK_SLUGS, rng.choice((0, 1, 1, 2))),
                    "topics": rng.sample(TOPIC_SLUGS, rng.choice((0, 1, 2))),
                    "summary": SUMMARIES.get(kind, "Contact over de digitale ambities."),
                    "internal_note": "Interne notitie: ondernemer is enthousiast."
                    if rng.random() < 0.3 else ""}, by=actor)
        if rng.random() < 0.45:
            give_consent(company, rng.choice(("mondeling bij intake", "getekend formulier",
                                              "per e-mail bevestigd")),
                         by=rng.choice(staff_by_org[org_ids[0]]))
        if rng.random() < 0.6:
            sender = rng.choice(staff_by_org[org_ids[0]])
            staffed = [o for o in orgs if o.id != sender.organisation_id and o.id in staff_by_org]
            others = [o for o in orgs if o.id != sender.organisation_id]
            to_org = rng.choice(staffed if rng.random() < 0.85 else others)
            referral = refer(company, to_org, rng.choice(QUESTIONS), by=sender,
                             context="Ondernemer is gemotiveerd; eerder een scan gedaan.",
                             entrepreneur_agrees=True)
            sent_at = start + timedelta(days=rng.randint(5, 60))
            referral.created_at = min(sent_at, today)
            referral.accept_due_on = (referral.created_at + timedelta(days=7)).date()
            _advance(session, rng, referral, staff_by_org.get(to_org.id), sender)
    session.flush()


def _advance(session, rng, referral: Referral, receivers, sender) -> None:
    """Move the referral along a plausible path; leave some open or overdue."""
    path = rng.choices(
        (["cancel"], [], ["reject"], ["accept"], ["accept", "start"],
         ["accept", "start", "hold"], ["accept", "start", "complete"], ["accept", "complete"],
         ["accept", "start", "fail"]),
        weights=(3, 12, 6, 6, 8, 3, 30, 10, 6))[0]
    if path and path[0] != "cancel" and not receivers:
        return
    for action in path:
        actor = sender if action == "cancel" else rng.choice(receivers)
        transition(referral, action, by=actor,
                   reason=rng.choice(("geen-capaciteit", "past-niet", "niet-bereikbaar",
                                      "ziet-ervan-af", "elders-geholpen"))
                   if action in ("reject", "fail") else None,
                   outcome=rng.choice(OUTCOMES) if action == "complete" else None)
    # Spread the steps out in time after the sending, as if they happened then.
    moment = referral.created_at
    for step in session.scalars(select(ReferralStep).where(
            ReferralStep.referral_id == referral.id).order_by(ReferralStep.id)):
        step.at = moment
        moment = min(moment + timedelta(days=rng.randint(1, 12)), utcnow())
    if referral.accepted_at:
        referral.accepted_at = referral.created_at + timedelta(days=rng.randint(1, 6))
    if referral.closed_at:
        referral.closed_at = moment
    if referral.status in ("accepted", "in-progress") and rng.random() < 0.5 and receivers:
        add_task(referral, {"kind": "evaluatie", "title": "Evaluatiegesprek plannen",
                            "due_on": (utcnow() + timedelta(days=rng.randint(-5, 20))).date(),
                            "owner": rng.choice(receivers)}, by=rng.choice(receivers))
