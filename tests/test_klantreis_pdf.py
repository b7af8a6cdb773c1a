"""The klantreis PDF of one company: content as the viewer may see it, Dutch dates, page numbers,
tables continuing over pages; on the company page and through the API (with a token)."""
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from crm.api.tokens import create_token
from crm.extensions import db
from crm.journeys.consent import give_consent
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer, transition
from crm.models import DmaAssessment, SurveyInvitation, SurveyResponse

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=AMSTERDAM)


def pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF")
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


def log(company, user, on, kind="advisering", summary="", note=""):
    return log_intervention(company, {"kind": kind, "occurred_on": on, "summary": summary,
                                      "internal_note": note}, by=user)


@pytest.fixture
def journey(make_org, make_user, make_company):
    spot, edih = make_org(name="SPOT035", kind="programma"), make_org(name="EDIH Noord-West")
    anna = make_user(org=spot, role="account_manager", name="Anna de Vries")
    mark = make_user(org=edih, role="staff", name="Mark Bakker")
    company = make_company(name="Bakkerij De Zonnebloem B.V.", kvk="01234567")
    with time_machine.travel(NOW, tick=False):
        give_consent(company, "mondeling bij intake", by=anna)
        intake = log(company, anna, date(2026, 11, 2), "intake", "Wil een webshop beginnen.",
                     note="Let op: eigenaar twijfelt")
        log(company, mark, date(2026, 11, 16), "scans", "Quickscan digitale volwassenheid.")
        referral = refer(company, edih, "Hoe begin ik met een webshop?", by=anna,
                         entrepreneur_agrees=True)
        transition(referral, "accept", by=mark)
        transition(referral, "complete", by=mark, outcome="Webshop opgezet; live.")
        invitation = SurveyInvitation(company_id=company.id, organisation_id=spot.id,
                                      intervention_id=intake.id, created_by_id=anna.id,
                                      expires_at=NOW + timedelta(days=30), token_nonce="n1",
                                      used_at=NOW)
        db.session.add(invitation)
        db.session.flush()
        db.session.add(SurveyResponse(invitation_id=invitation.id, company_id=company.id,
                                      organisation_id=spot.id, archetype="intake",
                                      answered_at=NOW, answer_1=4, answer_2=3,
                                      comment="Heel behulpzaam."))
        for on, base in ((date(2026, 1, 15), 30), (date(2026, 11, 20), 45)):
            db.session.add(DmaAssessment(
                company_id=company.id, organisation_id=edih.id, assessed_on=on,
                digital_business_strategy=base, digital_readiness=base + 10,
                human_centric=base, data_management=base, automation_ai=base, green=base,
                average=Decimal(base) + Decimal("1.67")))
    db.session.commit()
    return {"anna": anna, "mark": mark, "company": company, "spot": spot, "edih": edih}


def test_the_pdf_has_master_data_timeline_referrals_survey_and_dma(journey, login_as):
    with time_machine.travel(NOW, tick=False):
        response = login_as(journey["anna"]).get(f"/companies/{journey['company'].id}"
                                                 "/klantreis.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "klantreis-01234567-bakkerij-de-zonnebloem" in response.headers[
        "Content-Disposition"]
    text = pages(response.data)
    whole = " ".join(text)
    assert "Klantreis" in text[0] and "Bakkerij De Zonnebloem B.V." in text[0]
    assert "01234567" in whole
    assert "2 november 2026" in whole and "16 november 2026" in whole  # Dutch dates
    assert "23 november 2026" in whole  # the referral, the survey, made on
    assert "Wil een webshop beginnen." in whole and "Quickscan" in whole  # shared by consent
    assert "EDIH Noord-West" in whole and "SPOT035" in whole
    assert "Webshop opgezet; live." in whole  # outcome: Anna sent the referral
    assert "Heel behulpzaam." in whole  # survey comment
    assert "+15" in whole  # DMA movement 30 → 45
    assert "eigenaar twijfelt" not in whole  # an internal note never leaves in a PDF
    assert f"Pagina 1 van {len(text)}" in text[0]


def test_without_consent_another_organisations_steps_are_not_in_the_pdf(
        make_org, make_user, make_company, login_as):
    alfa, bravo, charlie = (make_org(name=n) for n in ("Alfa", "Bravo", "Charlie"))
    a, b = make_user(org=alfa, name="Anna"), make_user(org=bravo, name="Bert")
    c = make_user(org=charlie, name="Carla")
    company = make_company(name="Fietsenmaker Jansen")
    log(company, a, date(2026, 10, 1), "advisering", "Geheim advies van Alfa")
    referral = refer(company, bravo, "Robot?", by=a,
                     entrepreneur_agrees=True)
    transition(referral, "accept", by=b)
    transition(referral, "complete", by=b, outcome="Robotarm geplaatst")
    db.session.commit()
    text = " ".join(pages(login_as(c).get(f"/companies/{company.id}/klantreis.pdf").data))
    assert "Fietsenmaker Jansen" in text
    assert "Geheim advies" not in text and "Robot?" not in text and "Robotarm" not in text
    assert "Alfa" not in text and "Bravo" not in text
    # the receiver sees the referral in full, but not Alfa's advice
    text = " ".join(pages(login_as(b).get(f"/companies/{company.id}/klantreis.pdf").data))
    assert "Robot?" in text and "Robotarm geplaatst" in text
    assert "Geheim advies" not in text


def test_a_long_journey_continues_over_pages_with_the_header_row_repeated(
        journey, login_as):
    anna, company = journey["anna"], journey["company"]
    for n in range(120):
        log(company, anna, date(2025, 1, 1) + timedelta(days=n), "telefoon",
            f"Belafspraak nummer {n} over de voortgang van de webshop en de volgende stap.")
    db.session.commit()
    text = pages(login_as(anna).get(f"/companies/{company.id}/klantreis.pdf").data)
    assert len(text) >= 3
    for n, page in enumerate(text, 1):
        assert f"Pagina {n} van {len(text)}" in page
        assert "Klantreis – Bakkerij De Zonnebloem B.V." in page  # the header
    continued = [p for p in text[1:] if "Belafspraak" in p]
    assert continued and all("Datum Organisatie" in p for p in continued)
    assert "Belafspraak nummer 119" in " ".join(text)


def test_english_users_get_an_english_pdf(journey, login_as):
    anna = journey["anna"]
    anna.locale = "en"
    db.session.commit()
    text = " ".join(pages(login_as(anna).get(
        f"/companies/{journey['company'].id}/klantreis.pdf").data))
    assert "2 November 2026" in text and "Page 1 of" in text


def test_button_on_the_company_page_and_unknown_company(journey, login_as):
    client = login_as(journey["mark"])
    html = client.get(f"/companies/{journey['company'].id}").get_data(as_text=True)
    assert f'/companies/{journey["company"].id}/klantreis.pdf' in html
    assert client.get("/companies/999999/klantreis.pdf").status_code == 404


def test_api_pdf_with_a_token(journey, client):
    token = create_token(journey["mark"])
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/companies/01234567/klantreis.pdf", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(pages(response.data))
    assert "Bakkerij De Zonnebloem B.V." in text and "Quickscan" in text
    assert client.get("/api/v1/companies/01234567/klantreis.pdf").status_code == 401
    missing = client.get("/api/v1/companies/99999999/klantreis.pdf", headers=headers)
    assert missing.status_code == 404 and missing.is_json
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/companies/{kvk}/klantreis.pdf" in spec["paths"]
