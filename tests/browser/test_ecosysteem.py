"""The ecosysteemkaart in a real browser: the public front door and its triage, and a
referral made in two clicks from a suggested next door."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import IntakeRequest, Referral
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser


def test_question_at_the_front_door_lands_in_the_intake_queue_and_is_referred(
        new_context, make_org, make_user):
    desk = make_org(name="EDIH Noord-West", kind="edih", provinces=("Utrecht",))
    desk.intake_point = True
    partner = make_org(name="Digitale Werkplaats Utrecht", kind="werkplaats")
    db.session.commit()
    staff = make_user(org=desk, role="staff")

    visitor = new_context().new_page()
    visitor.goto("/voordeur")
    expect(visitor.locator("html")).to_have_attribute("lang", "nl")
    visitor.locator("#kvk").fill("0123 4567")
    visitor.locator("#company_name").fill("Kaasboerderij De Weide")
    visitor.locator("#municipality_id").select_option(label="Utrecht")
    visitor.locator("#contact_name").fill("Joke de Weide")
    visitor.locator("#email").fill("joke@example.nl")
    visitor.locator("#question").fill("Hoe kan ik mijn kaas online verkopen?")
    visitor.locator("#consent").check()
    with visitor.expect_navigation():
        visitor.locator("form:has(#question) button[type=submit]").click()
    expect(visitor.locator("main")).to_contain_text("Bedankt")

    page = browser_login(new_context().new_page(), staff)
    page.goto("/intake")
    page.get_by_role("link", name="Kaasboerderij De Weide").click()
    page.locator("#to_organisation_id").select_option(label="Digitale Werkplaats Utrecht")
    with page.expect_navigation():
        page.get_by_role("button", name="Aannemen en doorverwijzen").click()
    intake = db.session.scalars(sa.select(IntakeRequest)).one()
    db.session.refresh(intake)
    assert intake.status == "referred" and intake.company.kvk == "01234567"
    referral = db.session.scalars(sa.select(Referral)).one()
    assert referral.to_organisation_id == partner.id


def test_referral_in_two_clicks_from_a_suggestion(new_context, make_org, make_user,
                                                  make_company):
    own = make_org(name="SPOT035", kind="programma", provinces=("Noord-Holland",))
    partner = make_org(name="Digitale Werkplaats Gooi & Vechtstreek", kind="werkplaats",
                       provinces=("Noord-Holland",))
    user, partner_user = make_user(org=own), make_user(org=partner)
    company = make_company(name="Fietsenmaker Hilversum", municipality="Hilversum",
                           employees=3)
    from crm.journeys.offerings import create_offering
    create_offering({"name": "Studenten bouwen je webshop", "archetype": "werken-met-studenten",
                     "description": "Een studententeam bouwt een webshop.",
                     "province_ids": [company.province_id], "size": ["micro"],
                     "bottleneck": ["kunnen"]}, by=partner_user)
    db.session.commit()

    page = browser_login(new_context().new_page(), user)
    page.goto(f"/companies/{company.id}")
    expect(page.locator("main")).to_contain_text("Studenten bouwen je webshop")
    page.locator("a[href*='offering=']").first.click()  # click 1: Refer, on the suggestion
    expect(page.locator("#to_organisation_id")).to_have_value(str(partner.id))
    page.locator("#question").fill("Ik wil online verkopen.")
    page.locator("#entrepreneur_agrees").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Doorverwijzing versturen").click()  # click 2
    referral = db.session.scalars(sa.select(Referral)).one()
    assert referral.to_organisation_id == partner.id and referral.offering_id is not None
