"""The API obeys the same policy as the screens: what may not be seen answers 404."""
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Referral


@pytest.fixture
def journey(api_as, network):
    """Organisation A logs an intake (with an internal note) and refers the company to B, who
    accepts; organisation C logs its own phone call. No consent yet."""
    a, b, c = api_as(network.user_a), api_as(network.user_b), api_as(network.user_c)
    a.post("/interventions", {"kvk": "01234567", "kind": "intake", "date": "2025-05-01",
                              "summary": "Intake A", "internal_note": "Geheim van A"})
    c.post("/interventions", {"kvk": "01234567", "kind": "telefoon", "date": "2025-05-02",
                              "summary": "Belletje C", "internal_note": "Notitie van C"})
    response = a.post("/referrals", {"kvk": "01234567", "to_organisation_id": network.b.id,
                                     "question": "Vraag van de ondernemer",
                                     "context": "Context van A", "entrepreneur_agrees": True})
    rid = response.get_json()["id"]
    b.post(f"/referrals/{rid}/accept")
    network.referral_id = rid
    network.api = {"a": a, "b": b, "c": c}
    return network


def _secrets(events):
    return {k for e in events for k in ("internal_note", "question", "context", "note")
            if k in e}


def test_timeline_without_consent_shows_a_third_organisation_only_its_own(journey):
    body = journey.api["c"].get("/companies/01234567/timeline").get_json()
    assert body["has_consent"] is False
    assert [(e["type"], e["summary"]) for e in body["events"]] == [("intervention", "Belletje C")]
    assert body["events"][0]["internal_note"] == "Notitie van C"
    assert body["open_referrals"] == []


def test_timeline_with_consent_shares_summaries_but_never_notes_or_questions(journey):
    journey.api["a"].post("/companies/01234567/consent", {"basis": "getekend formulier"})
    body = journey.api["c"].get("/companies/01234567/timeline").get_json()
    text = repr(body)
    assert "Geheim van A" not in text
    assert "Vraag van de ondernemer" not in text and "Context van A" not in text
    a_intake = next(e for e in body["events"] if e["summary"] == "Intake A")
    assert "internal_note" not in a_intake
    referral = next(e for e in body["events"] if e["type"] == "referral")
    assert referral["status"] == "accepted" and referral["full"] is False
    assert referral["to_organisation"]["name"] == "EDIH Midden"
    assert "question" not in referral and "context" not in referral
    step = next(e for e in body["events"] if e["type"] == "referral-step")
    assert "note" not in step
    assert [r["id"] for r in body["open_referrals"]] == [journey.referral_id]
    assert "question" not in body["open_referrals"][0]


def test_the_receiver_sees_the_question_but_not_the_senders_note(journey):
    body = journey.api["b"].get("/companies/01234567/timeline").get_json()
    assert "Geheim van A" not in repr(body)  # no consent: A's intake is not even listed
    referral = next(e for e in body["events"] if e["type"] == "referral")
    assert referral["question"] == "Vraag van de ondernemer"
    assert referral["context"] == "Context van A"


def test_coordinator_of_the_province_sees_route_and_status_not_the_question(journey,
                                                                            api_as):
    body = api_as(journey.coordinator).get("/companies/01234567/timeline").get_json()
    referral = next(e for e in body["events"] if e["type"] == "referral")
    assert referral["status"] == "accepted"
    assert referral["from_organisation"]["name"] == "Digitale Werkplaats Utrecht"
    assert "question" not in referral and "Vraag van de ondernemer" not in repr(body)
    assert not any(e["type"] == "intervention" and e["summary"] == "Intake A"
                   for e in body["events"])
    other = api_as(journey.other_coordinator).get("/companies/01234567/timeline").get_json()
    assert not any(e["type"].startswith("referral") for e in other["events"])


@pytest.mark.parametrize("who", ["user_c", "coordinator", "other_coordinator"])
def test_referral_details_are_404_for_non_parties(journey, api_as, who):
    response = api_as(getattr(journey, who)).get(f"/referrals/{journey.referral_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "Vraag" not in response.get_data(as_text=True)


def test_referral_lists_hold_only_the_parties_referrals(journey, api_as):
    for who in ("user_c", "coordinator"):
        api = api_as(getattr(journey, who))
        for box in ("inbox", "outbox", "all"):
            assert api.get(f"/referrals?box={box}").get_json() == []


def test_a_missing_referral_is_404_too(journey):
    assert journey.api["a"].get("/referrals/999999").status_code == 404
    assert journey.api["a"].post("/referrals/999999/accept").status_code == 404


def test_transitions_by_the_wrong_side_are_403(journey):
    rid = journey.referral_id
    sender, receiver = journey.api["a"], journey.api["b"]
    started = sender.post(f"/referrals/{rid}/start")
    assert started.status_code == 403 and started.get_json()["error"]["code"] == "forbidden"
    fresh = sender.post("/referrals", {"kvk": "01234567", "to_organisation_id": journey.b.id,
                                       "question": "Nog een", "entrepreneur_agrees": True})
    fresh_id = fresh.get_json()["id"]
    assert sender.post(f"/referrals/{fresh_id}/accept").status_code == 403
    assert receiver.post(f"/referrals/{fresh_id}/cancel").status_code == 403
    assert db.session.get(Referral, fresh_id).status == "requested"


def test_non_parties_get_404_or_403_as_far_as_they_may_see_the_referral(journey, api_as):
    rid = journey.referral_id
    # C sees nothing of it without consent: as if absent.
    assert journey.api["c"].post(f"/referrals/{rid}/start").status_code == 404
    # The coordinator sees its route: it exists for them, but it is not theirs to move.
    assert api_as(journey.coordinator).post(f"/referrals/{rid}/start").status_code == 403
    journey.api["a"].post("/companies/01234567/consent", {"basis": "mondeling"})
    assert journey.api["c"].post(f"/referrals/{rid}/start").status_code == 403
    assert db.session.get(Referral, rid).status == "accepted"


def test_an_illegal_transition_is_409(journey):
    response = journey.api["b"].post(f"/referrals/{journey.referral_id}/accept")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "illegal_transition" and "accepted" in error["message"]


def test_a_transition_that_loses_a_race_is_409(journey, monkeypatch):
    from crm.api import referrals as api_referrals
    real = api_referrals.transition

    def racing(referral, action, **kwargs):
        # Someone else moves the referral between our read and our write.
        db.session.execute(sa.update(Referral).where(Referral.id == referral.id)
                           .values(version=Referral.version + 1, status="in-progress")
                           .execution_options(synchronize_session=False))
        return real(referral, action, **kwargs)

    monkeypatch.setattr(api_referrals, "transition", racing)
    response = journey.api["b"].post(f"/referrals/{journey.referral_id}/start")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"


def test_validation_of_a_transition_is_422(journey):
    rid = journey.referral_id
    response = journey.api["b"].post(f"/referrals/{rid}/complete", {})
    assert response.status_code == 422
    assert "outcome" in response.get_json()["error"]["fields"]
    response = journey.api["b"].post(f"/referrals/{rid}/fail", {"reason": "anders"})
    assert response.status_code == 422
    assert "reason_text" in response.get_json()["error"]["fields"]
    bad = journey.api["b"].post(f"/referrals/{rid}/fail", {"reason": "verveeld"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["error"]["fields"]


def test_contacts_are_visible_to_the_recording_organisation_only(journey, make_user):
    created = journey.api["a"].post("/companies/01234567/contacts", {"name": "Piet Bakker"})
    assert created.status_code == 201
    assert journey.api["b"].get("/companies/01234567/contacts").get_json() == []
    assert [c["name"] for c in journey.api["a"].get(
        "/companies/01234567/contacts").get_json()] == ["Piet Bakker"]


def test_intervention_response_never_carries_someone_elses_note(journey):
    # The creator sees its own note in the response; other views never get it (see above).
    response = journey.api["c"].post("/interventions", {"kvk": "01234567", "kind": "bezoek",
                                                        "internal_note": "alleen C"})
    assert response.get_json()["internal_note"] == "alleen C"


def test_referring_to_ones_own_or_an_inactive_organisation_is_422(journey, make_org):
    gone = make_org("Gestopt", active=False)
    for target in (journey.a.id, gone.id, 2**31 + 5, 987654):
        response = journey.api["a"].post("/referrals", {
            "kvk": "01234567", "to_organisation_id": target, "question": "Vraag",
            "entrepreneur_agrees": True})
        assert response.status_code == 422, (target, response.get_json())
        assert "to_organisation_id" in response.get_json()["error"]["fields"]


def test_referring_needs_the_entrepreneurs_agreement(journey):
    response = journey.api["a"].post("/referrals", {
        "kvk": "01234567", "to_organisation_id": journey.b.id, "question": "Vraag",
        "entrepreneur_agrees": False})
    assert response.status_code == 422
    assert "entrepreneur_agrees" in response.get_json()["error"]["fields"]
