"""The three klantreis journeys end to end in a real browser (Dutch interface, CSRF on)."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Intervention, Referral
from tests.browser.conftest import browser_login

pytestmark = pytest.mark.browser


def test_intake_referral_accept_complete_and_the_sender_sees_it_closed(
        new_context, make_org, make_user, make_company):
    spot = make_org(name="SPOT035", kind="programma")
    edih = make_org(name="EDIH Noord-West")
    manager = make_user(org=spot, role="account_manager", name="Fatima El Amrani")
    partner = make_user(org=edih, role="staff", name="Mark Bakker")
    company = make_company(name="Bakkerij De Zonnebloem B.V.", kvk="01234567")

    # 1. The account manager logs an intake from the company page, then refers the company.
    sender = browser_login(new_context().new_page(), manager)
    sender.goto(f"/companies/{company.id}")
    expect(sender.locator("#kind")).to_have_value("intake")  # a sensible default
    sender.locator("#bottlenecks-2").check()  # kunnen
    sender.locator("#summary").fill("Wil een webshop, weet niet hoe te beginnen.")
    with sender.expect_navigation():
        sender.get_by_role("button", name="Contact vastleggen").click()
    expect(sender.locator("#timeline")).to_contain_text("Wil een webshop")
    sender.get_by_role("link", name="Doorverwijzen naar de volgende deur").click()
    sender.locator("#to_organisation_id").select_option(label="EDIH Noord-West")
    sender.locator("#question").fill("Hoe begin ik met een webshop?")
    sender.locator("#context").fill("Ondernemer is gemotiveerd; intake gedaan.")
    sender.locator("#entrepreneur_agrees").check()
    with sender.expect_navigation():
        sender.get_by_role("button", name="Doorverwijzing versturen").click()
    expect(sender.locator("h1")).to_contain_text("Bakkerij De Zonnebloem")
    expect(sender.locator("body")).to_contain_text("aangevraagd")

    # 2. The partner's staff finds it in the inbox, accepts it, starts and completes it.
    receiver = browser_login(new_context().new_page(), partner)
    receiver.goto("/referrals")
    receiver.get_by_role("link", name="Bakkerij De Zonnebloem B.V.").click()
    expect(receiver.locator("body")).to_contain_text("Hoe begin ik met een webshop?")
    with receiver.expect_navigation():
        receiver.get_by_role("button", name="Doorverwijzing accepteren").click()
    expect(receiver.locator("body")).to_contain_text("geaccepteerd")
    with receiver.expect_navigation():
        receiver.get_by_role("button", name="In behandeling nemen").click()
    receiver.locator("form[action$='/complete'] #outcome").fill("Webshop opgezet; live.")
    with receiver.expect_navigation():
        receiver.get_by_role("button", name="Doorverwijzing afronden").click()
    expect(receiver.locator("body")).to_contain_text("afgerond")

    # 3. The sender sees it closed, with the outcome, and was notified.
    sender.goto("/referrals?box=outbox")
    expect(sender.locator("table")).to_contain_text("afgerond")
    sender.goto(f"/companies/{company.id}")
    expect(sender.locator("#nextdoor-heading + p")).to_contain_text("Geen openstaande")
    expect(sender.locator("#timeline")).to_contain_text("afgerond")
    sender.goto("/notifications/")
    expect(sender.locator("main")).to_contain_text("Bakkerij De Zonnebloem")

    referral = db.session.scalars(sa.select(Referral)).one()
    db.session.refresh(referral)
    assert referral.status == "completed" and referral.outcome == "Webshop opgezet; live."
    assert [s.to_status for s in referral.steps] == ["requested", "accepted", "in-progress",
                                                     "completed"]


def test_a_third_organisation_does_not_see_the_journey_until_consent(
        new_context, make_org, make_user, make_company):
    own, third = make_org(name="Digitale Werkplaats Utrecht"), make_org(name="KVK")
    writer = make_user(org=own)
    outsider = make_user(org=third)
    company = make_company(name="Fietsenmaker Jansen")
    from crm.journeys.interventions import log_intervention
    log_intervention(company, {"kind": "advisering", "summary": "Advies over voorraadbeheer",
                               "internal_note": "Alleen voor ons"}, by=writer)
    db.session.commit()

    page = browser_login(new_context().new_page(), outsider)
    page.goto(f"/companies/{company.id}")
    expect(page.locator("#timeline")).not_to_contain_text("voorraadbeheer")

    owner_page = browser_login(new_context().new_page(), writer)
    owner_page.goto(f"/companies/{company.id}")
    owner_page.locator("#basis").fill("mondeling bij intake")
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Toestemming vastleggen").click()

    page.reload()
    expect(page.locator("#timeline")).to_contain_text("voorraadbeheer")
    expect(page.locator("#timeline")).not_to_contain_text("Alleen voor ons")


def test_log_a_workshop_with_pasted_kvk_numbers(page, make_user, make_company):
    user = make_user()
    make_company(name="Bakkerij A", kvk="01234567")
    make_company(name="Bakkerij B", kvk="76543210")
    browser_login(page, user)
    page.goto("/events/new")
    page.locator("#title").fill("Workshop AI voor de bakkerij")
    page.locator("#kvk_numbers").fill("01234567\n7654 3210\n99999999")
    with page.expect_navigation():
        page.locator("form:has(#title) button[type=submit]").click()
    expect(page.locator("#preview-heading")).to_be_visible()
    expect(page.locator("main")).to_contain_text("99999999")
    page.locator("#confirmed").check()
    with page.expect_navigation():
        page.locator("form:has(#title) button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Workshop AI voor de bakkerij")
    expect(page.locator("main")).to_contain_text("99999999")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)) == 2
