"""Audit trail, exports and AVG rights in a real browser (Dutch interface, CSRF on), with the
accessibility check of the administrators' pages."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.journeys.companies import add_contact
from crm.models import AuditEntry, ContactPerson, IntakeRequest
from tests.browser.conftest import browser_login
from tests.browser.test_accessibility import assert_accessible, axe_context  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def world(make_org, make_user, make_company):
    org = make_org(name="Digitale Werkplaats Utrecht")
    manager = make_user(org=org, name="Sanne Jansen")
    admin = make_user(org=make_org(name="Beheer"), role="admin", name="Priya Privacy")
    company = make_company(name="Bakkerij De Zonnebloem B.V.", kvk="01234567")
    add_contact(company, {"name": "Wilma Wisverzoek", "email": "wilma@zonnebloem.nl",
                          "phone": "06 9876 5432"}, by=manager)
    db.session.add(IntakeRequest(organisation_id=org.id, kvk="01234567",
                                 company_name="Bakkerij De Zonnebloem B.V.",
                                 contact_name="Wilma Wisverzoek", email="wilma@zonnebloem.nl",
                                 question="Hoe begin ik met een webshop?", consent=True))
    db.session.commit()
    return {"manager": manager, "admin": admin, "company": company}


def test_history_after_an_edit_and_a_json_export(new_context, world):
    page = browser_login(new_context().new_page(), world["manager"])
    company = world["company"]
    page.goto(f"/contacts/{company.contacts[0].id}/edit")
    page.locator("#role").fill("eigenaar")
    with page.expect_navigation():
        page.locator("form:has(#role) button[type=submit]").click()
    page.get_by_role("link", name="Geschiedenis").first.click()
    expect(page.locator("h1")).to_have_text("Geschiedenis")
    expect(page.locator("table.audit-entries")).to_contain_text("Rol")
    expect(page.locator("table.audit-entries")).to_contain_text("eigenaar")
    expect(page.locator("table.audit-entries")).to_contain_text("Sanne Jansen")

    page.goto(f"/companies/{company.id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporteren als JSON").click()
    assert download.value.suggested_filename == "volgende-deur-bedrijf-01234567.json"
    page.goto("/exports")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Excel Bedrijven")).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    kinds = db.session.scalars(sa.select(AuditEntry.changes).where(
        AuditEntry.action == "export")).all()
    assert [k["format"][1] for k in kinds] == ["json", "xlsx"]


def test_privacy_officer_finds_reports_and_erases(axe_context, world):
    page = browser_login(axe_context().new_page(), world["admin"])
    page.get_by_role("button", name="Beheer", exact=True).click()
    page.get_by_role("link", name="Privacy", exact=True).click()
    assert_accessible(page, "privacy-empty")
    page.locator("#email").fill("wilma@zonnebloem.nl")
    with page.expect_navigation():
        page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("main")).to_contain_text("Wilma Wisverzoek")
    expect(page.get_by_role("link", name="Verbeteren Wilma Wisverzoek")).to_be_visible()
    assert_accessible(page, "privacy-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Inzageoverzicht (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")

    # Erasing without ticking the box is refused by the browser; ticked, it erases.
    page.get_by_label(re.compile("Ik bevestig")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Wissen", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Gewist")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactPerson)) == 0
    intake = db.session.scalars(sa.select(IntakeRequest)).one()
    assert intake.email == "[gewist]"

    page.get_by_role("button", name="Beheer", exact=True).click()
    page.get_by_role("link", name="Logboek").click()
    page.locator("#action").select_option("erase")
    with page.expect_navigation():
        page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("table.audit-entries")).to_contain_text("gewist (AVG)")
    expect(page.locator("table.audit-entries")).not_to_contain_text("wilma@zonnebloem.nl")
    assert_accessible(page, "audit-search")
    page.goto("/audit?date_from=gisteren")
    assert_accessible(page, "audit-search-with-errors")
