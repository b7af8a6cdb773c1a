"""The journey list in a real browser: filter it, save the view, open it again (Dutch, CSRF on)."""
from datetime import date

import pytest
from playwright.sync_api import expect

from crm.extensions import db
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser


def test_filter_the_journey_list_save_the_view_and_open_it(
        new_context, make_org, make_user, make_company):
    edih = make_org(name="EDIH Utrecht")
    rom = make_org(name="ROM Utrecht", kind="rom")
    staff = make_user(org=edih, role="staff")
    coordinator = make_user(org=make_org(name="Provincie Utrecht", kind="provincie"),
                            role="coordinator", provinces=("Utrecht",), name="Rik Regio")
    micro = make_company(name="Bakkerij Micro B.V.", employees=4)
    make_company(name="Machinefabriek Groot B.V.", employees=300)
    log_intervention(micro, {"kind": "scans", "occurred_on": date(2026, 11, 2),
                             "summary": "Quickscan"}, by=staff)
    refer(micro, rom, "Subsidie voor een robot?", by=staff, entrepreneur_agrees=True)
    db.session.commit()

    page = browser_login(new_context().new_page(), coordinator)
    page.get_by_role("link", name="Klantreizen").click()
    expect(page.locator("h1")).to_have_text("Klantreizen")
    expect(page.locator("#journeys")).to_contain_text("Machinefabriek Groot B.V.")
    page.locator("#f-size").select_option("micro")
    page.locator("#f-open_referral").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Filteren").click()
    table = page.locator("#journeys")
    expect(table).to_contain_text("Bakkerij Micro B.V.")
    expect(table).not_to_contain_text("Machinefabriek")
    expect(table).to_contain_text("EDIH Utrecht → ROM Utrecht")  # the last step: the referral

    page.locator("#save-view-name-journeys").fill("Micro met open doorverwijzing")
    with page.expect_navigation():
        page.get_by_role("button", name="Weergave opslaan").click()
    expect(page.locator(".alert-success")).to_contain_text("opgeslagen")
    expect(page.locator("#f-size")).to_have_value("micro")

    page.goto("/journeys")
    expect(page.locator("#journeys")).to_contain_text("Machinefabriek")
    page.get_by_role("link", name="Mijn opgeslagen weergaven", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Micro met open doorverwijzing").click()
    expect(page.locator("#f-size")).to_have_value("micro")
    expect(page.locator("#f-open_referral")).to_be_checked()
    expect(page.locator("#journeys")).not_to_contain_text("Machinefabriek")

    # each row opens the company page with its timeline
    page.get_by_role("link", name="Bakkerij Micro B.V.").click()
    expect(page.locator("h1")).to_have_text("Bakkerij Micro B.V.")
    expect(page.get_by_role("link", name="Klantreis als PDF")).to_be_visible()
