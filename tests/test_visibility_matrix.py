"""Who sees what of a company's journey: every kind of viewer against every kind of record.

Organisation A refers the company to B; C is a third organisation; D holds the regional
coordinators (one of the company's province, one of another province); E is yet another
organisation whose intervention must stay invisible without consent. Each viewer is checked
through the timeline (what a screen, export or the API shows), through ``may`` (what a detail
page or an action asks) and through the SQL filters (what a list shows), which must agree.
"""
from dataclasses import dataclass, fields
from datetime import date

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.consent import give_consent, withdraw_consent
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer, transition
from crm.journeys.timeline import timeline_for
from crm.models import Intervention, Referral
from crm.policy import (intervention_filter, may, referral_party_filter,
                        referral_route_filter)

ROLES = ("account_manager", "staff", "coordinator", "admin")

#: Text that may only reach certain viewers; each is unique so a leak anywhere is found.
NOTE = {"A": "NOTE-A-vertrouwelijk", "B": "NOTE-B-vertrouwelijk", "E": "NOTE-E-vertrouwelijk"}
QUESTIONS = ("QUESTION-open-webshop", "QUESTION-closed-ai")
CONTEXTS = ("CONTEXT-open-bakkerij", "CONTEXT-closed-drie-medewerkers")
OUTCOME = "OUTCOME-scan-uitgevoerd"

#: Viewers: (label, organisation, role). The role does not matter for A, B and C.
VIEWERS = ([(f"A-{r}", "A", r) for r in ROLES] + [(f"B-{r}", "B", r) for r in ROLES]
           + [(f"C-{r}", "C", r) for r in ROLES]
           + [("coordinator-here", "D", "coordinator"),
              ("coordinator-elsewhere", "D", "coordinator")])


@dataclass
class Journey:
    company: object
    orgs: dict
    authors: dict
    interventions: dict  # organisation letter → Intervention
    open_referral: Referral
    closed_referral: Referral


@pytest.fixture
def fast_hashing(monkeypatch):
    """These users never sign in: skip the deliberately slow scrypt hashing in ``make_user``."""
    import werkzeug.security
    real = werkzeug.security.generate_password_hash
    monkeypatch.setattr(werkzeug.security, "generate_password_hash",
                        lambda password: real(password, method="pbkdf2:sha256:1"))


@pytest.fixture
def journey(fast_hashing, make_org, make_user, make_company):
    orgs = {k: make_org(name=f"Organisatie {k}") for k in "ABCDE"}
    company = make_company(municipality="Utrecht")
    authors = {k: make_user(org=orgs[k], role="account_manager") for k in "ABE"}
    interventions = {}
    for k, kind in (("A", "intake"), ("B", "advisering"), ("E", "workshops")):
        interventions[k] = log_intervention(company, {
            "kind": kind, "occurred_on": date(2026, 3, 2), "summary": f"Gedeeld door {k}",
            "internal_note": NOTE[k], "bottlenecks": ["kunnen"], "topics": ["ai"]},
            by=authors[k])
    open_referral = refer(company, orgs["B"], QUESTIONS[0], context=CONTEXTS[0],
                          by=authors["A"], entrepreneur_agrees=True)
    closed_referral = refer(company, orgs["B"], QUESTIONS[1], context=CONTEXTS[1],
                            by=authors["A"], entrepreneur_agrees=True)
    transition(closed_referral, "accept", by=authors["B"])
    transition(closed_referral, "complete", by=authors["B"], outcome=OUTCOME)
    db.session.commit()
    return Journey(company, orgs, authors, interventions, open_referral, closed_referral)


def make_viewer(make_user, journey, org, role, label):
    provinces = {"coordinator-here": ("Utrecht",),
                 "coordinator-elsewhere": ("Groningen",)}.get(label, ())
    return make_user(org=journey.orgs[org], role=role, provinces=provinces)


def expectation(label: str, org: str, consent: bool) -> dict:
    """What the viewer should see, from the issue's rules."""
    party = org in ("A", "B")
    here = label == "coordinator-here"
    own = {org} & {"A", "B", "E"}
    return {
        # interventions: own always; everyone else's only with consent
        "interventions": {"A", "B", "E"} if consent else own,
        # internal notes: only the own organisation's
        "notes": own,
        # referral route and status
        "route": party or consent or here,
        # the referral in full (question, context, outcome)
        "full": party,
    }


def strings(timeline) -> str:
    """Every string the timeline carries, for leak hunting."""
    out = []
    for item in list(timeline.items) + list(timeline.open_referrals):
        for f in fields(item):
            value = getattr(item, f.name)
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list):
                out += [v for v in value if isinstance(v, str)]
    return "\n".join(out)


def check(journey, viewer, want):
    timeline = timeline_for(journey.company, viewer)
    by_org = {v.id: k for k, v in journey.interventions.items()}
    ivs = [i for i in timeline.items if i.type == "intervention"]
    assert {by_org[i.id] for i in ivs} == want["interventions"]
    for item in ivs:
        org = by_org[item.id]
        assert item.internal_note == (NOTE[org] if org in want["notes"] else None)
        # the shared part is there for whoever sees the intervention
        assert item.summary == f"Gedeeld door {org}"
        assert item.bottlenecks == ["kunnen"] and item.topics == ["ai"]
        assert item.organisation == f"Organisatie {org}"
    text = strings(timeline)
    for org, note in NOTE.items():
        assert (note in text) == (org in want["notes"]), note

    refs = {i.referral_id for i in timeline.items if i.type == "referral"}
    steps = [i for i in timeline.items if i.type == "referral-step"]
    both = {journey.open_referral.id, journey.closed_referral.id}
    if want["route"]:
        assert refs == both
        assert {s.referral_id for s in steps} == {journey.closed_referral.id}
        assert [s.kind for s in steps] == ["accept", "complete"]
        for item in [i for i in timeline.items if i.type.startswith("referral")]:
            assert item.from_organisation == "Organisatie A"
            assert item.to_organisation == "Organisatie B"
            assert item.full is want["full"]
        statuses = {i.referral_id: i.status for i in timeline.items if i.type == "referral"}
        assert statuses == {journey.open_referral.id: "requested",
                            journey.closed_referral.id: "completed"}
        assert [r.id for r in timeline.open_referrals] == [journey.open_referral.id]
        opened = timeline.open_referrals[0]
        assert (opened.status, opened.from_organisation, opened.to_organisation) == (
            "requested", "Organisatie A", "Organisatie B")
        assert opened.question == (QUESTIONS[0] if want["full"] else None)
    else:
        assert refs == set() and steps == [] and timeline.open_referrals == []
    secret = list(QUESTIONS) + list(CONTEXTS) + [OUTCOME]
    for value in secret:
        assert (value in text) == want["full"], value
    if want["full"]:
        items = {i.referral_id: i for i in timeline.items if i.type == "referral"}
        assert items[journey.open_referral.id].question == QUESTIONS[0]
        assert items[journey.open_referral.id].context == CONTEXTS[0]
        assert [s.note for s in steps if s.kind == "complete"] == [OUTCOME]

    # may(): the detail pages and actions
    for org, intervention in journey.interventions.items():
        assert may(viewer, "view", intervention) == (org in want["interventions"]), org
        assert may(viewer, "view-internal-note", intervention) == (org in want["notes"]), org
        assert may(viewer, "edit", intervention) == (org in want["notes"]), org
        assert may(viewer, "delete", intervention) == (org in want["notes"]), org
    for referral in (journey.open_referral, journey.closed_referral):
        assert may(viewer, "view", referral) is want["full"]
        assert may(viewer, "view-route", referral) is want["route"]
        assert may(viewer, "edit", referral) is want["full"]

    # the SQL filters: lists agree with the detail pages
    company_id = journey.company.id
    listed = set(db.session.scalars(sa.select(Intervention.id).where(
        Intervention.company_id == company_id, intervention_filter(viewer))))
    assert {by_org[i] for i in listed} == want["interventions"]
    routes = set(db.session.scalars(sa.select(Referral.id).where(
        Referral.company_id == company_id, referral_route_filter(viewer))))
    assert routes == (both if want["route"] else set())
    full = set(db.session.scalars(sa.select(Referral.id).where(
        Referral.company_id == company_id, referral_party_filter(viewer))))
    assert full == (both if want["full"] else set())
    return timeline


@pytest.mark.parametrize("consent", [False, True], ids=["no-consent", "consent"])
@pytest.mark.parametrize("label, org, role", VIEWERS, ids=[v[0] for v in VIEWERS])
def test_visibility(journey, make_user, label, org, role, consent):
    viewer = make_viewer(make_user, journey, org, role, label)
    if consent:
        give_consent(journey.company, "mondeling bij intake", by=journey.authors["A"])
        db.session.commit()
    timeline = check(journey, viewer, expectation(label, org, consent))
    assert timeline.has_consent is consent


@pytest.mark.parametrize("label, org, role", VIEWERS, ids=[v[0] for v in VIEWERS])
def test_withdrawal_hides_again_at_once(journey, make_user, label, org, role):
    viewer = make_viewer(make_user, journey, org, role, label)
    give_consent(journey.company, "getekend formulier", by=journey.authors["B"])
    db.session.flush()
    check(journey, viewer, expectation(label, org, True))
    # Same session, no commit in between: the very next call must already hide it.
    withdraw_consent(journey.company, by=journey.authors["A"], note="Ondernemer trekt in.")
    timeline = check(journey, viewer, expectation(label, org, False))
    assert timeline.has_consent is False
    # … and given again, shared again.
    give_consent(journey.company, "opnieuw gegeven", by=journey.authors["A"])
    check(journey, viewer, expectation(label, org, True))


def test_other_companies_consent_does_not_count(journey, make_user, make_company):
    other = make_company(municipality="Utrecht")
    give_consent(other, "mondeling", by=journey.authors["A"])
    db.session.commit()
    viewer = make_user(org=journey.orgs["C"], role="staff")
    check(journey, viewer, expectation("C-staff", "C", False))


def test_inactive_viewer_sees_nothing(journey, make_user):
    give_consent(journey.company, "mondeling", by=journey.authors["A"])
    viewer = make_user(org=journey.orgs["A"], role="account_manager", active=False)
    db.session.commit()
    timeline = timeline_for(journey.company, viewer)
    assert timeline.items == [] and timeline.open_referrals == []
    assert not may(viewer, "view", journey.interventions["A"])
    assert not may(viewer, "view", journey.open_referral)
