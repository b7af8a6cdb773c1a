"""Importing in a real browser (CSRF on): upload, map the columns, check, import, result."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Company

from .conftest import browser_login

pytestmark = pytest.mark.browser

CSV = ("Bedrijfsnaam;KvK;Plaats;Opmerking;Werkzame personen\n"
       "Café Één B.V.;01234567;Utrecht;vaste klant;3\n"
       "Fout B.V.;123;Utrecht;;2\n"
       "Bakkerij De Zon;7654321;Den Bosch;;12\n").encode("cp1252")


def test_upload_map_check_and_import_companies(page, tmp_path, make_user, make_org,
                                               make_company):
    make_company(kvk="07654321", name="Bakkerij De Zon", employees=None)
    user = make_user(org=make_org(name="EDIH Utrecht"), role="staff")
    browser_login(page, user)
    page.get_by_role("button", name="Gegevens", exact=True).click()
    page.get_by_role("link", name="Importeren").click()
    expect(page.locator("h1")).to_have_text("Importeren")
    path = tmp_path / "bedrijven.csv"
    path.write_bytes(CSV)
    page.get_by_label("Wat staat er in het bestand?").select_option("companies")
    page.get_by_label("Bestand (CSV of Excel .xlsx)").set_input_files(str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="Volgende: kolommen").click()
    # Columns: recognised ones preselected, the rest left out; the user maps "Plaats".
    expect(page.locator("h1")).to_have_text("Importeren: kolommen")
    expect(page.get_by_text("Windows-1252")).to_be_visible()
    expect(page.locator("#column-0")).to_have_value("name")
    expect(page.locator("#column-1")).to_have_value("kvk")
    expect(page.locator("#column-2")).to_have_value("municipality")  # "plaats" is known
    expect(page.locator("#column-3")).to_have_value("")
    page.get_by_label("Kolom Werkzame personen importeren als").select_option("")
    with page.expect_navigation():
        page.get_by_role("button", name="Volgende: rijen controleren").click()
    # Check: counts, the problem row with its column and value, the error report.
    expect(page.locator("#check-summary")).to_contain_text("1 nieuw record")
    expect(page.locator("#check-summary")).to_contain_text("1 bestaand record bij te werken")
    expect(page.locator("#check-summary")).to_contain_text("1 rij met problemen")
    expect(page.locator("table").first).to_contain_text("precies 8 cijfers")
    with page.expect_download() as download:
        page.get_by_role("link", name="Foutenrapport downloaden (CSV)").click()
    report = download.value.path().read_bytes().decode("utf-8-sig")
    assert report.splitlines()[1].startswith("3;KvK;123;")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 1
    page.get_by_label(re.compile("Alle geldige rijen")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Importeren", exact=True).click()
    expect(page.locator(".alert-success")).to_have_text("De import is klaar.")
    expect(page.locator("#result-counts tr", has_text="Nieuw").locator("td")).to_have_text("1")
    db.session.expire_all()
    cafe = db.session.scalars(sa.select(Company).filter_by(kvk="01234567")).one()
    bakker = db.session.scalars(sa.select(Company).filter_by(kvk="07654321")).one()
    assert cafe.name == "Café Één B.V." and cafe.employees is None
    assert bakker.municipality.name == "'s-Hertogenbosch"
    # The new company is found by the search box straight away.
    page.goto("/?q=een")
    expect(page.get_by_role("link", name="Café Één B.V.")).to_be_visible()


def test_garbage_file_gets_a_clear_message_in_the_browser(page, tmp_path, make_user):
    browser_login(page, make_user(role="account_manager"))
    page.goto("/import/")
    path = tmp_path / "foto.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 4)
    page.get_by_label("Bestand (CSV of Excel .xlsx)").set_input_files(str(path))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Volgende: kolommen").click()
    assert navigation.value.status == 422
    expect(page.locator(".invalid-feedback")).to_contain_text("binaire gegevens")


# --- pages of the wizard, opened for the accessibility sweep ----------------------------------

def open_import_columns(page, data=None):
    """Upload a small CSV with one bad row; the browser is left on the columns step."""
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bedrijven.csv"
        path.write_bytes(CSV)
        page.goto("/import/")
        page.locator("#file").set_input_files(str(path))
        with page.expect_navigation():
            page.locator("form:has(#file) button[type=submit]").click()
    expect(page.locator("#column-0")).to_be_visible()


def open_import_check(page, data=None):
    open_import_columns(page)
    with page.expect_navigation():
        page.locator("form:has(#column-0) button[type=submit]").click()
    expect(page.locator("#check-summary")).to_be_visible()


def open_import_done(page, data=None):
    open_import_check(page)
    with page.expect_navigation():
        page.locator("form:has(input[name=mode]) button[type=submit]").click()
    expect(page.locator("#result-counts")).to_be_visible()


def open_import_with_errors(page, data=None):
    """The upload step refusing a file that is not a table (422)."""
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "leeg.csv"
        path.write_bytes(b"")
        page.goto("/import/")
        page.locator("#file").set_input_files(str(path))
        with page.expect_navigation() as navigation:
            page.locator("form:has(#file) button[type=submit]").click()
    assert navigation.value.status == 422
