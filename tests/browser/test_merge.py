"""Duplicates and merging in a real browser: find a pair, choose fields, merge, reverse."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.journeys.duplicates import scan
from crm.journeys.interventions import log_intervention
from crm.models import Company, CompanyMerge

from .conftest import browser_login
from .test_accessibility import assert_accessible, axe_context  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def pair(make_org, make_user, make_company):
    org = make_org(name="Digitale Werkplaats Utrecht")
    admin = make_user(org=org, role="admin", name="Beheerder")
    survivor = make_company(name="Bakkerij Jansen B.V.", kvk="12345678")
    duplicate = make_company(name="Jansen Bakkerij", kvk=None, phase="starter")
    log_intervention(survivor, {"kind": "intake", "summary": "Intake over de kassa"}, by=admin)
    log_intervention(duplicate, {"kind": "telefoon", "summary": "Belde over een webshop"},
                     by=admin)
    scan(db.session)
    db.session.commit()
    return {"admin": admin, "survivor": survivor, "duplicate": duplicate}


def _path(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def test_open_a_pair_choose_fields_merge_and_reverse(page, pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    survivor_id, duplicate_id = survivor.id, duplicate.id
    browser_login(page, pair["admin"])
    page.goto(f"/companies/{survivor_id}")
    duplicates = page.locator("#duplicates")
    expect(duplicates).to_contain_text("Jansen Bakkerij")  # the fragment, loaded after the page
    page.goto("/duplicates")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Vergelijk en voeg samen")).first.click()
    assert _path(page) == f"/companies/{survivor_id}/merge/{duplicate_id}"
    expect(page.locator("#merge-counts")).to_contain_text("2")
    page.locator("#choice-name-duplicate").check()
    with page.expect_navigation() as nav:
        page.locator("form:has(#choice-name-duplicate) button[type=submit]").click()
    assert nav.value.status == 200
    assert _path(page) == f"/companies/{survivor_id}"
    expect(page.locator("h1")).to_have_text("Jansen Bakkerij")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Intake over de kassa")
    expect(page.locator("#timeline")).to_contain_text("Belde over een webshop")
    db.session.expire_all()
    assert db.session.get(Company, duplicate_id) is None

    page.goto(f"/companies/{duplicate_id}")  # the old address
    assert _path(page) == f"/companies/{survivor_id}"

    page.goto("/merges")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Terugdraaien")).click()
    expect(page.locator(".alert-success")).to_be_visible()
    db.session.expire_all()
    restored = db.session.scalars(sa.select(CompanyMerge)).one().restored_id
    assert _path(page) == f"/companies/{restored}"
    expect(page.locator("h1")).to_have_text("Jansen Bakkerij")
    assert db.session.get(Company, survivor_id).name == "Bakkerij Jansen B.V."


def test_merge_pages_are_accessible(axe_context, pair):  # noqa: F811 (the fixture)
    page = browser_login(axe_context().new_page(), pair["admin"])
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    for label, path in [("duplicate-pairs", "/duplicates"),
                        ("merge-screen", f"/companies/{survivor.id}/merge/{duplicate.id}"),
                        ("company-with-duplicates", f"/companies/{survivor.id}")]:
        assert page.goto(path).status == 200
        if label == "company-with-duplicates":
            expect(page.locator("#duplicates")).to_contain_text("Jansen Bakkerij")
        assert_accessible(page, label)
    # A version conflict (409) on the merge screen.
    db.session.get(Company, duplicate.id).website = "https://jansen.example"
    db.session.commit()
    page.goto(f"/companies/{survivor.id}/merge/{duplicate.id}")
    db.session.get(Company, duplicate.id).phase = "overig"
    db.session.commit()
    with page.expect_navigation() as nav:
        page.locator("form:has(#choice-name-duplicate) button[type=submit]").click()
    assert nav.value.status == 409
    expect(page.locator(".alert-warning")).to_be_visible()
    assert_accessible(page, "merge-conflict-409")
    with page.expect_navigation():
        page.locator("form:has(#choice-name-duplicate) button[type=submit]").click()
    assert page.goto("/merges").status == 200
    assert_accessible(page, "merges")
