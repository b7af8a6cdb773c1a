"""The main journeys in a real browser against a live server with CSRF on (like production)."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Company, ContactPerson, User

from .conftest import browser_login

pytestmark = pytest.mark.browser

KVK_MESSAGE_NL = "Een KVK-nummer bestaat uit precies 8 cijfers, bijvoorbeeld 01234567."


def _path(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def _submit(page, field_selector: str):
    """Click the submit button of the form holding ``field_selector``; the response."""
    with page.expect_navigation() as navigation:
        page.locator(f"form:has({field_selector}) button[type=submit]").first.click()
    return navigation.value


def _fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_login_page_is_dutch_and_signing_in_returns_to_the_page_asked_for(page, make_user,
                                                                          make_company):
    user = make_user()
    company = make_company()
    page.goto(f"/companies/{company.id}")
    assert _path(page).startswith("/login?next=")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.locator("#email").fill(user.email.upper())   # e-mail addresses are case-insensitive
    page.locator("#password").fill("Geheim-wachtwoord-42")
    response = _submit(page, "#password")
    assert response.status == 200
    assert _path(page) == f"/companies/{company.id}"
    expect(page.locator("h1")).to_have_text(company.name)
    expect(page.locator("header nav")).to_contain_text(user.name)


def test_wrong_password_keeps_the_visitor_on_the_login_page(page, make_user):
    user = make_user()
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill("niet-het-wachtwoord")
    response = _submit(page, "#password")
    assert response.status == 401
    expect(page.locator(".alert-danger")).to_be_visible()
    expect(page.locator("#email")).to_have_value(user.email)
    expect(page.locator("#password")).to_have_value("")   # a password is never sent back
    page.goto("/")
    assert _path(page).startswith("/login")


def test_search_by_name_fragment_and_by_kvk_number_and_open_the_company(page, make_user,
                                                                         make_company):
    user = make_user()
    target = make_company(name="Bakkerij De Zonnebloem B.V.", kvk="01234567")
    make_company(name="Fietsenmaker Jansen B.V.", kvk="76543210")
    browser_login(page, user)
    rows = page.locator("table tbody tr")

    page.locator("#q").fill("zonnebl")
    _submit(page, "#q")
    assert "q=zonnebl" in page.url
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bakkerij De Zonnebloem B.V.")

    page.locator("#q").fill("01234567")
    _submit(page, "#q")
    expect(page.locator("#q")).to_have_value("01234567")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("01234567")
    rows.first.get_by_role("link", name="Bakkerij De Zonnebloem B.V.").click()
    page.wait_for_url(f"**/companies/{target.id}")
    expect(page.locator("h1")).to_have_text("Bakkerij De Zonnebloem B.V.")
    expect(page.locator("dl")).to_contain_text("01234567")


def test_search_without_results_offers_to_register_the_kvk_number(page, make_user):
    browser_login(page, make_user())
    page.locator("#q").fill("99887766")
    _submit(page, "#q")
    expect(page.locator("table")).to_have_count(0)
    page.locator("main a[href*='/companies/new']").last.click()
    page.wait_for_url("**/companies/new?kvk=99887766")
    expect(page.locator("#kvk")).to_have_value("99887766")


def test_register_a_new_company_and_land_on_its_page(page, make_user):
    user = make_user()
    browser_login(page, user)
    page.goto("/companies/new")
    page.locator("#kvk").fill("8765 4321")
    page.locator("#name").fill("Nieuw Digitaal B.V.")
    page.locator("#trade_names").fill("Nieuw Digitaal\nND Online")
    page.locator("#sbi_code").fill("6201")
    page.locator("#employees").fill("12")
    page.locator("#municipality_id").select_option(label="Utrecht (Utrecht)")
    page.locator("#website").fill("www.nieuwdigitaal.nl")
    page.locator("#digital_maturity").select_option("middel")
    response = _submit(page, "#kvk")
    assert response.status == 200
    assert re.fullmatch(r"/companies/\d+", _path(page)), page.url
    expect(page.locator("h1")).to_have_text("Nieuw Digitaal B.V.")
    expect(page.locator("[role=status].alert-success")).to_contain_text("Nieuw Digitaal B.V.")
    expect(page.locator("a[href='https://www.nieuwdigitaal.nl']")).to_be_visible()

    company = db.session.scalars(sa.select(Company).filter_by(kvk="87654321")).one()
    assert _path(page) == f"/companies/{company.id}"
    assert company.size_class == "klein"
    assert company.sbi_section == "J"
    assert company.trade_names == "Nieuw Digitaal\nND Online"
    assert company.created_by_id == user.id


def test_invalid_kvk_number_shows_the_dutch_message_next_to_the_field(page, make_user):
    browser_login(page, make_user())
    page.goto("/companies/new")
    page.locator("#kvk").fill("123")
    page.locator("#name").fill("Foutje B.V.")
    response = _submit(page, "#kvk")
    assert response.status == 422
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    kvk = page.locator("#kvk")
    expect(kvk).to_have_attribute("aria-invalid", "true")
    expect(kvk).to_have_attribute("aria-describedby", re.compile(r"\bkvk-error\b"))
    expect(kvk).to_have_value("123")                      # the input is kept
    expect(page.locator("#name")).to_have_value("Foutje B.V.")
    error = page.locator("#kvk-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(KVK_MESSAGE_NL)
    # next to the KVK field: in the same form group, right after it
    expect(page.locator(".mb-3:has(#kvk) #kvk-error")).to_have_count(1)
    expect(page.locator("#name-error")).to_have_count(0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_edit_a_company(page, make_user, make_company):
    user = make_user()
    company = make_company(name="Oude Naam B.V.")
    browser_login(page, user)
    page.goto(f"/companies/{company.id}")
    page.locator(f"main a[href$='/companies/{company.id}/edit']").click()
    page.wait_for_url(f"**/companies/{company.id}/edit")
    expect(page.locator("#name")).to_have_value("Oude Naam B.V.")
    page.locator("#name").fill("Nieuwe Naam B.V.")
    page.locator("#employees").fill("300")
    page.locator("#non_mailing").check()
    response = _submit(page, "#name")
    assert response.status == 200
    assert _path(page) == f"/companies/{company.id}"
    expect(page.locator("h1")).to_have_text("Nieuwe Naam B.V.")
    expect(page.locator(".alert-success")).to_be_visible()

    company = _fresh(Company, company.id)
    assert (company.name, company.employees, company.size_class, company.non_mailing) == (
        "Nieuwe Naam B.V.", 300, "groot", True)
    assert company.version == 2
    assert company.updated_by_id == user.id


def test_add_a_contact_person(page, make_user, make_company):
    user = make_user()
    company = make_company()
    browser_login(page, user)
    page.goto(f"/companies/{company.id}")
    page.locator(f"main a[href$='/companies/{company.id}/contacts/new']").click()
    page.wait_for_url(f"**/companies/{company.id}/contacts/new")
    page.locator("#name").fill("Anna de Vries")
    page.locator("#role").fill("eigenaar")
    page.locator("#email").fill("Anna@Bedrijf.NL")
    page.locator("#phone").fill("+31 (0)30 123 45 67")
    response = _submit(page, "#name")
    assert response.status == 200
    assert _path(page) == f"/companies/{company.id}"
    row = page.locator("table tbody tr", has_text="Anna de Vries")
    expect(row).to_have_count(1)
    expect(row.locator("a[href='mailto:anna@bedrijf.nl']")).to_be_visible()
    contact = db.session.scalars(sa.select(ContactPerson)).one()
    assert (contact.company_id, contact.organisation_id) == (company.id, user.organisation_id)


def test_switch_the_account_language_to_english(page, make_user):
    user = make_user()
    browser_login(page, user)
    page.goto("/account/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    dutch_label = page.locator("label[for=lang-locale]").inner_text().strip()
    page.locator("#lang-locale").select_option("en")
    response = _submit(page, "#lang-locale")
    assert response.status == 200
    assert _path(page) == "/account/"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator("label[for=lang-locale]")).to_have_text("Language")
    expect(page.locator("label[for=pw-current_password]")).to_have_text("Current password")
    expect(page.locator("header nav")).to_contain_text("Companies")
    expect(page.locator("header nav button[type=submit]")).to_have_text("Sign out")
    expect(page.locator("#lang-locale")).to_have_value("en")
    assert _fresh(User, user.id).locale == "en"
    # And Dutch before: the same label was not in English.
    assert dutch_label != "Language", "the account page was not in Dutch before the switch"
    # English sticks on other pages too.
    page.goto("/companies/new")
    expect(page.locator("label[for=kvk]")).to_have_text("KVK number")


def test_log_out(page, make_user):
    browser_login(page, make_user())
    page.locator("header form[action$='/logout'] button").click()
    page.wait_for_url("**/login")
    expect(page.locator("#email")).to_be_visible()
    expect(page.locator("[role=status].alert")).to_be_visible()   # "you have been signed out"
    page.goto("/account/")
    assert _path(page).startswith("/login?next=")


def test_two_people_editing_the_same_company_the_second_gets_a_conflict(
        new_context, make_user, make_company):
    company = make_company(name="Gedeeld B.V.", website=None)
    alice_page = browser_login(new_context().new_page(), make_user(name="Alice"))
    bob_page = browser_login(new_context().new_page(), make_user(name="Bob"))
    edit = f"/companies/{company.id}/edit"
    alice_page.goto(edit)
    bob_page.goto(edit)
    expect(bob_page.locator("input[name=version]")).to_have_value("1")

    alice_page.locator("#name").fill("Alice B.V.")
    assert _submit(alice_page, "#name").status == 200
    assert _path(alice_page) == f"/companies/{company.id}"

    bob_page.locator("#name").fill("Bob B.V.")
    bob_page.locator("#website").fill("https://bob.example.nl")
    response = _submit(bob_page, "#name")
    assert response.status == 409
    warning = bob_page.locator(".alert-warning")
    expect(warning).to_be_visible()
    table = warning.locator("table")
    expect(table.locator("tbody tr")).to_have_count(2)     # name and website differ
    name_row = table.locator("tbody tr", has_text="Alice B.V.")
    expect(name_row.locator("td").nth(1)).to_have_text("Alice B.V.")   # saved meanwhile
    expect(name_row.locator("td").nth(2)).to_have_text("Bob B.V.")     # your input
    expect(table.locator("tbody tr", has_text="https://bob.example.nl")).to_have_count(1)
    # Bob's input is still in the form, now based on the saved version.
    expect(bob_page.locator("#name")).to_have_value("Bob B.V.")
    expect(bob_page.locator("input[name=version]")).to_have_value("2")

    saved = _fresh(Company, company.id)
    assert (saved.name, saved.website, saved.version) == ("Alice B.V.", None, 2)

    # Saving again after seeing the differences overwrites, on purpose.
    assert _submit(bob_page, "#name").status == 200
    saved = _fresh(Company, company.id)
    assert (saved.name, saved.website, saved.version) == ("Bob B.V.", "https://bob.example.nl", 3)
