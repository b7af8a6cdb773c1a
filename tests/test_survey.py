"""The impact survey: personal link (signed, single use, expiring), the public page, answers on
the timeline under the consent rules, and the API."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask_babel import refresh

from crm.extensions import db
from crm.journeys.consent import give_consent
from crm.journeys.errors import NotAllowed, ValidationFailed
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer, transition
from crm.journeys.survey import (SurveyAlreadyAnswered, SurveyLinkExpired, SurveyLinkInvalid,
                                 SurveyNotPossible, answer, invitation_for_token, invite,
                                 response_rate_select, survey_link, survey_results_select,
                                 survey_token)
from crm.models import AuditEntry, OutgoingMail, utcnow
from crm.models.survey import SurveyInvitation, SurveyResponse
from tests.conftest import login

FULL = {f"answer_{n}": str(1 + n % 6) for n in range(1, 11)}


@pytest.fixture
def world(make_org, make_user, make_company):
    org = make_org(name="Digitale Werkplaats Utrecht")
    other = make_org(name="EDIH Noord-West")
    staff = make_user(org=org, name="Sanne Jansen")
    outsider = make_user(org=other, name="Piet Partner")
    company = make_company(name="Bakkerij De Zonnebloem B.V.")
    intervention = log_intervention(company, {"kind": "workshops", "summary": "Workshop AI"},
                                    by=staff)
    db.session.commit()
    return {"org": org, "other": other, "staff": staff, "outsider": outsider,
            "company": company, "intervention": intervention}


def _invite(world, **kwargs):
    invitation = invite(world["intervention"], by=world["staff"], **kwargs)
    db.session.commit()
    return invitation


def _path(invitation):
    return "/enquete/" + survey_token(invitation)


# --- the link -----------------------------------------------------------------------------------

def test_link_opens_the_invitation_and_carries_no_guessable_id(world):
    invitation = _invite(world)
    link = survey_link(invitation, base_url="https://crm.example.nl/")
    assert link.startswith("https://crm.example.nl/enquete/")
    assert invitation_for_token(link.rsplit("/", 1)[1]).id == invitation.id
    assert survey_link(invitation, base_url="x") == survey_link(invitation, base_url="x")
    assert invitation.expires_at - invitation.created_at == timedelta(days=30)


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
    lambda t: "x" + t,  # payload
    lambda t: "not-a-token",
    lambda t: "",
])
def test_tampered_token_is_refused(world, tamper):
    invitation = _invite(world)
    with pytest.raises(SurveyLinkInvalid):
        invitation_for_token(tamper(survey_token(invitation)))


def test_token_signed_with_another_secret_or_nonce_is_refused(world):
    invitation = _invite(world)
    with pytest.raises(SurveyLinkInvalid):
        invitation_for_token(survey_token(invitation, secret="another-secret"))
    forged = SurveyInvitation(id=invitation.id, token_nonce="guessed")
    with pytest.raises(SurveyLinkInvalid):
        invitation_for_token(survey_token(forged))


def test_public_page_for_bad_links_is_a_clear_4xx(client, world):
    invitation = _invite(world)
    response = client.get(_path(invitation)[:-3] + "abc")
    assert response.status_code == 404
    assert "Deze link werkt niet" in response.get_data(as_text=True)
    assert client.get("/enquete/%00%ff").status_code == 404
    assert client.post("/enquete/onzin", data=FULL).status_code == 404


def test_link_expires(client, world):
    invitation = _invite(world)
    path = _path(invitation)
    with time_machine.travel(utcnow() + timedelta(days=29, hours=23), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=30, minutes=1), tick=False):
        response = client.get(path)
        assert response.status_code == 410
        assert "verlopen" in response.get_data(as_text=True)
        assert client.post(path, data=FULL).status_code == 410
        with pytest.raises(SurveyLinkExpired):
            answer(invitation, FULL)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0


# --- answering ------------------------------------------------------------------------------------

def test_entrepreneur_answers_once_without_logging_in(client, world):
    invitation = _invite(world)
    path = _path(invitation)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Digitale Werkplaats Utrecht" in html
    assert "In welke mate heeft deze activiteit" in html
    assert html.count("<fieldset") == 10 and html.count("<legend") == 10
    assert 'type="radio" name="answer_10" id="answer_10-6" value="6"' in html
    assert "Niet van toepassing" in html and "In belangrijke mate" in html

    response = client.post(path, data={**FULL, "answer_3": "", "comment": "  Heel nuttig! "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/enquete-bedankt")
    assert "Bedankt" in client.get("/enquete-bedankt").get_data(as_text=True)

    stored = db.session.scalars(sa.select(SurveyResponse)).one()
    assert stored.answer_1 == 2 and stored.answer_3 is None and stored.answer_5 == 6
    assert stored.comment == "Heel nuttig!"
    assert stored.archetype == "workshops"
    assert stored.organisation_id == world["org"].id
    assert db.session.get(SurveyInvitation, invitation.id).used_at is not None

    again = client.get(path)
    assert again.status_code == 409
    assert "al ingevuld" in again.get_data(as_text=True)
    assert client.post(path, data=FULL).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 1


def test_answering_twice_is_refused_by_the_operation_and_the_database(world):
    invitation = _invite(world)
    answer(invitation, {"answer_1": 4})
    db.session.commit()
    with pytest.raises(SurveyAlreadyAnswered):
        answer(invitation, {"answer_1": 3})
    db.session.rollback()
    # Even bypassing the compare-and-set, the unique invitation_id refuses a second response.
    with pytest.raises(sa.exc.IntegrityError):
        db.session.add(SurveyResponse(invitation_id=invitation.id,
                                      company_id=invitation.company_id,
                                      organisation_id=invitation.organisation_id,
                                      answered_at=utcnow(), answer_1=1))
        db.session.flush()
    db.session.rollback()


def test_stale_invitation_object_cannot_answer_twice(world):
    """Two requests that both loaded the unused link: the second loses the compare-and-set."""
    invitation = _invite(world)
    answer(invitation, {"answer_2": 1})
    db.session.commit()
    from sqlalchemy.orm.attributes import set_committed_value
    set_committed_value(invitation, "used_at", None)  # as another request saw it
    with pytest.raises(SurveyAlreadyAnswered):
        answer(invitation, {"answer_2": 2})
    db.session.rollback()


@pytest.mark.parametrize("bad", ["0", "7", "abc", "-1", "3.5", "١"])
def test_out_of_range_answers_are_refused_and_nothing_is_used_up(client, world, bad):
    invitation = _invite(world)
    response = client.post(_path(invitation), data={**FULL, "answer_4": bad})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Kies een van de antwoorden." in html
    assert 'id="answer_4-error"' in html
    # the other choices are kept
    assert re.search(r'id="answer_1-2" value="2" checked', html)
    assert db.session.get(SurveyInvitation, invitation.id).used_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0


def test_empty_survey_and_unknown_questions_are_refused(world):
    invitation = _invite(world)
    with pytest.raises(ValidationFailed) as empty:
        answer(invitation, {}, "   ")
    assert "answers" in empty.value.errors
    with pytest.raises(ValidationFailed) as unknown:
        answer(invitation, {"answer_11": 3})
    assert "answers" in unknown.value.errors
    with pytest.raises(ValidationFailed) as long:
        answer(invitation, {"answer_1": 3}, "x" * 4001)
    assert "comment" in long.value.errors
    db.session.rollback()


def test_database_refuses_answers_off_the_scale(world):
    invitation = _invite(world)
    response = answer(invitation, {"answer_1": 3})
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.text("UPDATE survey_responses SET answer_7 = 7 WHERE id = :i"),
                           {"i": response.id})
        db.session.flush()
    db.session.rollback()


# --- who may send -------------------------------------------------------------------------------

def test_only_the_organisation_that_did_it_may_send(client, world):
    login(client, world["outsider"])
    url = f"/interventions/{world['intervention'].id}/survey"
    assert client.get(url).status_code == 404  # not visible without consent
    give_consent(world["company"], "mondeling", by=world["staff"])
    db.session.commit()
    assert client.get(url).status_code == 403
    assert client.post(url, data={}).status_code == 403
    with pytest.raises(NotAllowed):
        invite(world["intervention"], by=world["outsider"])
    db.session.rollback()


def test_staff_make_a_link_and_mail_it(client, world):
    login(client, world["staff"])
    company_page = client.get(f"/companies/{world['company'].id}").get_data(as_text=True)
    assert f'/interventions/{world["intervention"].id}/survey">Enquête versturen' in company_page
    url = f"/interventions/{world['intervention'].id}/survey"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"email": "geen-adres", "send_mail": "y", "language": "nl"})
    assert bad.status_code == 422
    assert "Vul een e-mailadres in" in bad.get_data(as_text=True)
    missing = client.post(url, data={"send_mail": "y", "language": "nl"})
    assert missing.status_code == 422
    response = client.post(url, data={"email": "ondernemer@example.nl", "send_mail": "y",
                                      "language": "en"})
    assert response.status_code == 302
    invitation = db.session.scalars(sa.select(SurveyInvitation)).one()
    assert invitation.email == "ondernemer@example.nl"
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    link = survey_link(invitation, base_url="http://localhost/")
    assert f'value="{link}"' in detail
    mail = db.session.scalars(sa.select(OutgoingMail)).one()
    assert mail.to_address == "ondernemer@example.nl"
    assert "{base_url}" + _path(invitation) in mail.body
    assert "Digitale Werkplaats Utrecht" in mail.subject and "question" in mail.subject
    audit = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.record_type == "survey_invitation")).one()
    assert audit.user_id == world["staff"].id and "ondernemer" not in str(audit.changes)
    # the timeline shows the open link to the own organisation
    company_page = client.get(f"/companies/{world['company'].id}").get_data(as_text=True)
    assert "Enquêtelink verstuurd" in company_page and "nog niet ingevuld" in company_page


def test_a_referral_only_once_completed_and_only_by_its_receiver(client, world, make_user):
    from crm.journeys.offerings import create_offering
    receiver = make_user(org=world["other"])
    offering = create_offering({"name": "AI-scan", "description": "Scan",
                                "archetype": "scans", "cost_kind": "gratis"}, by=receiver)
    referral = refer(world["company"], world["other"], "Hulp bij AI", by=world["staff"],
                     entrepreneur_agrees=True, offering=offering)
    db.session.commit()
    with pytest.raises(SurveyNotPossible):
        invite(referral, by=receiver)
    transition(referral, "accept", by=receiver)
    transition(referral, "complete", by=receiver, outcome="Scan gedaan")
    db.session.commit()
    with pytest.raises(NotAllowed):
        invite(referral, by=world["staff"])  # the sender did not do the work
    db.session.rollback()
    login(client, receiver)
    detail = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert f"/referrals/{referral.id}/survey" in detail
    response = client.post(f"/referrals/{referral.id}/survey", data={"language": "nl"})
    assert response.status_code == 302
    invitation = db.session.scalars(sa.select(SurveyInvitation)).one()
    assert invitation.organisation_id == world["other"].id
    page = client.get(_path(invitation)).get_data(as_text=True)
    assert "EDIH Noord-West heeft uw bedrijf geholpen na een doorverwijzing" in page
    answered = answer(invitation, {"answer_2": 4})
    db.session.commit()
    assert answered.archetype == "scans"
    # a second link about the same referral makes no sense any more
    again = client.post(f"/referrals/{referral.id}/survey", data={"language": "nl"})
    assert again.status_code == 409


# --- visibility and the timeline ----------------------------------------------------------------

def test_answers_on_the_timeline_follow_consent(client, world):
    invitation = _invite(world)
    answer(invitation, {"answer_1": 4, "answer_2": 5}, "Top")
    db.session.commit()
    login(client, world["staff"])
    page = client.get(f"/companies/{world['company'].id}").get_data(as_text=True)
    assert "Impactenquête ingevuld" in page
    assert "In belangrijke mate" in page and "Weet niet" in page
    assert "Top" in page
    client.post("/logout")
    login(client, world["outsider"])
    hidden = client.get(f"/companies/{world['company'].id}").get_data(as_text=True)
    assert "Impactenquête ingevuld" not in hidden
    give_consent(world["company"], "mondeling", by=world["staff"])
    db.session.commit()
    shared = client.get(f"/companies/{world['company'].id}").get_data(as_text=True)
    assert "Impactenquête ingevuld" in shared and "Top" in shared
    assert "Enquêtelink verstuurd" not in shared  # another organisation's links stay its own


def test_figures_per_archetype_and_response_rate(world, make_company):
    invite(world["intervention"], by=world["staff"])  # sent, never answered
    first = _invite(world)
    answer(first, {"answer_1": 4, "answer_2": 5, "answer_3": 2})
    other = log_intervention(make_company(), {"kind": "workshops"}, by=world["staff"])
    second = invite(other, by=world["staff"])
    answer(second, {"answer_1": 2, "answer_2": 6, "answer_3": 3})
    db.session.commit()
    row = db.session.execute(survey_results_select("archetype")).one()
    assert row.key == "workshops" and row.responses == 2 and row.companies == 2
    assert row.mean_answer_1 == pytest.approx(3.0)
    assert row.mean_answer_2 is None  # "don't know" and "not applicable" carry no extent
    assert row.mean_answer_3 == pytest.approx(2.5)
    rate = db.session.execute(response_rate_select()).one()
    assert (rate.invitations, rate.responses) == (3, 2)


# --- language -----------------------------------------------------------------------------------

def test_public_page_in_english(client, world):
    invitation = _invite(world)
    path = _path(invitation)
    dutch = client.get(path).get_data(as_text=True)
    assert '<html lang="nl">' in dutch and "Switch to English" in dutch
    response = client.post("/language/en", data={"next": path})
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    refresh()  # the test's app context outlives the requests: forget the cached locale
    english = client.get(path).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "To what extent has this activity" in english
    assert "brought you into contact with possible solutions?" in english
    assert "Not applicable" in english
    bad = client.post(path, data={"answer_1": "9"})
    assert "Choose one of the answers." in bad.get_data(as_text=True)


def test_the_link_in_an_english_mail_opens_the_survey_in_english(client, world):
    invitation = _invite(world, email="owner@example.com")
    from crm.journeys.survey import queue_invitation_mail
    queue_invitation_mail(invitation, locale="en")
    db.session.commit()
    mail = db.session.scalars(sa.select(OutgoingMail)).one()
    assert mail.subject == "A short question from Digitale Werkplaats Utrecht"
    path = re.search(r"\{base_url\}(/enquete/\S+)", mail.body).group(1)
    assert path.endswith("?lang=en")
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == _path(invitation)
    refresh()
    assert '<html lang="en">' in client.get(_path(invitation)).get_data(as_text=True)


# --- API ----------------------------------------------------------------------------------------

def test_api_makes_the_personal_link(client, world):
    from crm.api.tokens import create_token
    token = create_token(world["staff"])
    other_token = create_token(world["outsider"])
    db.session.commit()
    url = f"/api/v1/interventions/{world['intervention'].id}/survey"
    response = client.post(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"].startswith("http://localhost/enquete/")
    assert client.get(body["url"].replace("http://localhost", "")).status_code == 200
    mailed = client.post(url, headers={"Authorization": f"Bearer {token}"},
                         json={"email": "ik@example.nl", "send_mail": True})
    assert mailed.status_code == 201 and mailed.get_json()["mailed"] is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail)) == 1
    invalid = client.post(url, headers={"Authorization": f"Bearer {token}"},
                          json={"send_mail": True})
    assert invalid.status_code == 422 and "email" in invalid.get_json()["error"]["fields"]
    wrong_type = client.post(url, headers={"Authorization": f"Bearer {token}"},
                             json={"email": 5})
    assert wrong_type.status_code == 400
    other = client.post(url, headers={"Authorization": f"Bearer {other_token}"})
    assert other.status_code == 404
    assert other.get_json()["error"]["code"] == "not_found"
    missing = client.post("/api/v1/interventions/999999/survey",
                          headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404
    assert client.post(url).status_code == 401
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/interventions/{intervention_id}/survey" in doc["paths"]


def test_api_timeline_carries_answers(client, world):
    from crm.api.tokens import create_token
    invitation = _invite(world)
    answer(invitation, {"answer_1": 4})
    token = create_token(world["staff"])
    db.session.commit()
    body = client.get(f"/api/v1/companies/{world['company'].kvk}/timeline",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    survey = [e for e in body["events"] if e["type"] == "survey"]
    assert survey and survey[0]["answers"]["answer_1"] == 4
    assert survey[0]["answers"]["answer_2"] is None


def test_every_write_is_audited(world):
    invitation = _invite(world)
    response = answer(invitation, {"answer_1": 1})
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.record_type == "survey_response")).one()
    assert entry.record_id == response.id and entry.user_id is None
    assert entry.organisation_id == world["org"].id
    assert entry.company_id == world["company"].id
