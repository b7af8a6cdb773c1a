"""The monitor dashboard in a real browser: a coordinator filters, reads the figures and the
charts, downloads a table as CSV and the report as PDF; the page passes the axe sweep."""
import pytest
from playwright.sync_api import expect

from tests import monitor_data

from .conftest import browser_login
from .test_accessibility import assert_accessible, axe_context  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def data(make_org, make_user, make_company):
    return monitor_data.build(make_org, make_user, make_company)


def test_coordinator_filters_the_dashboard_and_downloads(page, data):
    browser_login(page, data.users.coordinator)
    page.get_by_role("link", name="Monitor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitor: Utrecht")
    page.locator("#f-from").fill("2026-01-01")
    page.locator("#f-to").fill("2026-12-31")
    page.get_by_role("button", name="Cijfers tonen").click()
    expect(page.locator("[data-figure=companies_reached]")).to_have_text("7")
    expect(page.locator("[data-figure=contacts]")).to_have_text("14")
    expect(page.locator("svg.vd-chart").first).to_be_visible()
    scans = page.locator("table[data-table=reach_archetype] tbody tr").filter(
        has_text="Scans")
    expect(scans.locator("td").first).to_have_text("7")
    page.locator("#f-size_class").select_option("micro")
    page.get_by_role("button", name="Cijfers tonen").click()
    assert "size_class=micro" in page.url
    expect(page.locator("[data-figure=companies_reached]")).to_have_text("6")
    expect(page.locator("#f-size_class")).to_have_value("micro")
    with page.expect_download() as download:
        page.locator("a[href*='table=reach_size']").click()
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert content.splitlines()[0] == "Grootteklasse;Bedrijven;Contacten"
    assert content.splitlines()[1] == "micro;6;13"
    with page.expect_download() as download:
        page.get_by_role("link", name="Rapportage downloaden (pdf)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"


def test_a_bad_date_is_marked_at_its_field(page, data):
    browser_login(page, data.users.coordinator)
    page.goto("/monitor?from=2026-02-30")
    expect(page.locator("#f-from")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-from-error")).to_contain_text("JJJJ-MM-DD")


def test_the_coordinators_dashboard_is_accessible(axe_context, data):  # noqa: F811
    page = browser_login(axe_context().new_page(), data.users.coordinator)
    assert page.goto("/monitor?from=2026-01-01&to=2026-12-31").status == 200
    assert_accessible(page, "monitor-coordinator")
    assert page.goto("/monitor?from=2026-02-30").status == 400
    assert_accessible(page, "monitor-with-errors")
