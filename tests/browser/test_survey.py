"""The impact survey in a real browser: staff make the personal link, the entrepreneur answers on
a phone; and digital maturity recorded from the company page."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.journeys.interventions import log_intervention
from crm.models.survey import DmaAssessment, SurveyInvitation, SurveyResponse

from .conftest import browser_login

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


@pytest.fixture
def scene(make_org, make_user, make_company):
    org = make_org(name="Digitale Werkplaats Utrecht")
    staff = make_user(org=org, name="Sanne Jansen")
    company = make_company(name="Bakkerij De Zonnebloem B.V.")
    intervention = log_intervention(company, {"kind": "advisering",
                                              "summary": "Advies over de webshop"}, by=staff)
    db.session.commit()
    return {"staff": staff, "company": company, "intervention": intervention}


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_staff_make_a_link_and_the_entrepreneur_answers_on_a_phone(new_context, scene):
    staff_page = browser_login(new_context().new_page(), scene["staff"])
    staff_page.goto(f"/companies/{scene['company'].id}")
    staff_page.get_by_role("link", name=re.compile("^Enquête versturen")).click()
    expect(staff_page.locator("h1")).to_have_text("Impactenquête versturen")
    with staff_page.expect_navigation():
        staff_page.get_by_role("button", name="Persoonlijke link maken").click()
    expect(staff_page.locator(".alert-success")).to_contain_text("De enquêtelink is klaar")
    link = staff_page.locator("#survey-link").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/enquete/[\w.-]+", link), link

    phone = new_context(**PHONE).new_page()  # the entrepreneur: no login, a narrow screen
    response = phone.goto(link)
    assert response.status == 200
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    expect(phone.locator("h1")).to_have_text("Wat heeft het uw bedrijf opgeleverd?")
    expect(phone.locator("fieldset")).to_have_count(10)
    assert _fits_the_screen(phone)
    # Radio buttons are chosen by their visible labels, as a person taps them.
    first = phone.locator("fieldset").nth(0)
    expect(first.locator("legend")).to_contain_text("1. bijgedragen aan het zelf bedenken")
    first.get_by_label("In belangrijke mate").check()
    phone.locator("fieldset").nth(1).get_by_label("In redelijke mate").check()
    phone.locator("fieldset").nth(9).get_by_label("Niet van toepassing").check()
    phone.get_by_label("Wilt u ons nog iets anders laten weten?").fill("Heel fijn geholpen.")
    with phone.expect_navigation() as nav:
        phone.get_by_role("button", name="Mijn antwoorden versturen").click()
    assert nav.value.status == 200
    expect(phone.locator("h1")).to_have_text("Bedankt voor uw antwoorden")
    assert _fits_the_screen(phone)

    stored = db.session.scalars(sa.select(SurveyResponse)).one()
    assert (stored.answer_1, stored.answer_2, stored.answer_3, stored.answer_10) == (4, 3, None, 6)
    assert stored.comment == "Heel fijn geholpen."

    again = phone.goto(link)
    assert again.status == 409
    expect(phone.locator("h1")).to_have_text("Al ingevuld")

    staff_page.goto(f"/companies/{scene['company'].id}")
    timeline = staff_page.locator("#timeline")
    expect(timeline).to_contain_text("Impactenquête ingevuld")
    timeline.locator("summary", has_text="Antwoorden").click()
    expect(timeline).to_contain_text("In belangrijke mate")
    expect(timeline).to_contain_text("Heel fijn geholpen.")


def test_the_entrepreneur_switches_to_english_and_fixes_a_mistake(new_context, scene):
    from crm.journeys.survey import invite, survey_path
    invitation = invite(scene["intervention"], by=scene["staff"])
    db.session.commit()
    phone = new_context(**PHONE).new_page()
    phone.goto(survey_path(invitation))
    with phone.expect_navigation():
        phone.get_by_role("button", name="Switch to English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("h1")).to_have_text("What did it mean for your company?")
    # Nothing chosen: the page says so, and keeps the link usable (CSRF on, like production).
    with phone.expect_navigation() as nav:
        phone.get_by_role("button", name="Send my answers").click()
    assert nav.value.status == 422
    expect(phone.locator(".alert-danger").first).to_contain_text("Answer at least one question.")
    phone.locator("fieldset").nth(3).get_by_label("To a small extent").check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send my answers").click()
    expect(phone.locator("h1")).to_have_text("Thank you for your answers")
    db.session.expire_all()
    assert db.session.get(SurveyInvitation, invitation.id).used_at is not None


def test_dma_recorded_from_the_company_page_via_the_maturity_page(page, scene):
    browser_login(page, scene["staff"])
    page.goto(f"/companies/{scene['company'].id}")
    page.locator("#dma").get_by_role("link", name="Digitale maturiteit (DMA) vastleggen").click()
    form = page.locator("form", has=page.get_by_label("Datum van de meting"))
    form.get_by_label("Datum van de meting").fill("2025-04-01")
    for label, value in [("Digitale bedrijfsstrategie", "30"), ("Digitale paraatheid", "40"),
                         ("Mensgerichte digitalisering", "50"), ("Databeheer", "20"),
                         ("Automatisering & AI", "10"), ("Groene digitalisering", "150")]:
        form.get_by_label(label).fill(value)
    with page.expect_navigation() as nav:
        form.get_by_role("button", name="DMA-uitslag vastleggen").click()
    assert nav.value.status == 422
    expect(page.locator("#green-error")).to_have_text(
        "Vul een heel getal van 0 tot en met 100 in.")
    page.locator("#green").fill("15")
    with page.expect_navigation():
        page.get_by_role("button", name="DMA-uitslag vastleggen").click()
    expect(page.locator(".alert-success")).to_contain_text("DMA-uitslag vastgelegd.")
    expect(page.locator("table").first).to_contain_text("27,5")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DmaAssessment)) == 1
