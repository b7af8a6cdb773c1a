"""Browser fixtures: a live server (CSRF on, like production) and Debian's chromium via Playwright.

``live_server`` runs a second application instance over the same database as the ``app``
fixture (so the builders of ``tests/conftest.py`` create the data it serves, and the autouse
``_database`` fixture empties it after each test). It is served by Werkzeug in a daemon thread.

When chromium (or Playwright) is missing the browser tests FAIL with a message saying so:
they never skip, so a CI run without a browser cannot pass by accident.
"""
import contextvars
import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from crm.extensions import db
from tests.conftest import PASSWORD, make_test_app

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/lib/chromium/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Milliseconds Playwright waits for an element or a navigation.
TIMEOUT_MS = 15_000


class _QuietHandler(WSGIRequestHandler):
    """No access log per request (errors are still logged by the application)."""

    def log_request(self, code="-", size="-"):
        pass


@pytest.fixture(scope="session")
def live_server(app, database_url, tmp_path_factory):
    """Base URL of a CSRF-enabled instance serving the ``app`` fixture's database."""
    # Built in an empty contextvars context: the ``app`` fixture keeps its application context
    # pushed for the whole session, and create_app must not run inside another app's context.
    server_app = contextvars.Context().run(
        make_test_app, database_url, tmp_path_factory.mktemp("live-instance"),
        WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, server_app, threaded=True,
                         request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with server_app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        pytest.fail(f"Playwright is not installed ({exc}); install the test extras: "
                    "pip install -e '.[test]'", pytrace=False)
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
                    "(apt-get install chromium) or point CRM_CHROMIUM at a chromium binary. "
                    "The browser tests do not skip.", pytrace=False)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=LAUNCH_ARGS)
    except Exception as exc:
        playwright.stop()
        pytest.fail(f"Chromium at {CHROMIUM} could not be started: {exc}", pytrace=False)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


class BrowserProblems:
    """Server errors and CSP violations seen by the pages of one test."""

    def __init__(self):
        self.server_errors: list[str] = []
        self.csp_violations: list[str] = []

    def watch(self, page):
        page.on("response", self._response)
        page.on("console", self._console)
        return page

    def _response(self, response):
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} "
                                      f"{response.url}")

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)


@pytest.fixture
def new_context(browser, live_server):
    """Factory for browser contexts (Dutch locale, base URL of the live server)."""
    contexts = []
    problems = BrowserProblems()

    def make(locale="nl-NL", **options):
        context = browser.new_context(base_url=live_server, locale=locale, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.on("page", problems.watch)
        contexts.append(context)
        return context

    make.problems = problems
    yield make
    for context in contexts:
        context.close()
    assert not problems.server_errors, f"server errors: {problems.server_errors}"
    assert not problems.csp_violations, f"CSP violations: {problems.csp_violations}"


@pytest.fixture
def page(new_context):
    """A page in a fresh context (its own cookies), locale nl-NL."""
    return new_context().new_page()


def browser_login(page, user, password=PASSWORD):
    """Sign in through the login form; waits until the browser has left the login page."""
    page.goto("/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(password)
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
    return page
