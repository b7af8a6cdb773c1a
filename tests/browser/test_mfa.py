"""Two-step verification in a real browser (Dutch interface, CSRF and the CSP on): setting it
up with the QR page, signing in with a code from the app, and the pages' accessibility."""
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from crm.extensions import db
from tests.browser.conftest import browser_login
from tests.browser.test_accessibility import assert_accessible, axe_context  # noqa: F401
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _enrol(page) -> str:
    """Set up two-step verification on the account page; returns the secret."""
    page.goto("/account/")
    page.get_by_role("link", name="Tweestapsverificatie instellen").click()
    expect(page.locator("h1")).to_have_text("Tweestapsverificatie")
    expect(page.get_by_role("img", name="QR-code voor je authenticator-app")).to_be_visible()
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    code = page.get_by_label("6-cijferige code uit je app")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("inputmode", "numeric")
    code.fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Tweestapsverificatie aanzetten").click()
    expect(page.locator("h1")).to_have_text("Je herstelcodes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    return secret


def test_set_up_and_sign_in_with_a_code(new_context, make_user):
    user = make_user(name="Tessa Tweestap")
    page = browser_login(new_context().new_page(), user)
    secret = _enrol(page)
    db.session.refresh(user)
    assert user.mfa_enabled

    page.get_by_role("button", name="Uitloggen").click()
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(#password) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    expect(page.locator("h1")).to_have_text("Tweestapsverificatie")
    # The next step's code: the current one was used to set it up (and is not accepted twice).
    page.get_by_label("6-cijferige code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("link", name=re.compile("Tessa Tweestap"))).to_be_visible()


def test_the_two_step_pages_are_accessible(axe_context, make_user):
    user = make_user(name="Anna Axe")
    page = browser_login(axe_context().new_page(), user)
    page.goto("/account/two-step")
    assert_accessible(page, "two-step set-up")
    secret = _enrol(page)
    assert_accessible(page, "recovery codes")
    page.get_by_role("button", name="Uitloggen").click()
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(#password) button[type=submit]").click()
    page.locator("summary").click()   # the recovery code form, opened
    assert_accessible(page, "sign-in code")
    page.get_by_label("6-cijferige code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen", exact=True).click()
    page.goto("/account/two-step")
    assert_accessible(page, "two-step management")
