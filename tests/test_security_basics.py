"""Security basics: headers, session cookie flags, the sign-in rate limit and its messages,
open redirects, inactive accounts, and that every page asks for a signed-in user."""
import contextvars
import re
from urllib.parse import urljoin, urlsplit

import pytest
from flask import g

from crm.extensions import db
from tests.conftest import PASSWORD, login, make_test_app

PUBLIC_ENDPOINTS = {"auth.login", "auth.set_language", "auth.logout", "health.healthz",
                    # The API's machine-readable description: public on purpose (no data).
                    "api.openapi",
                    # The one front door: entrepreneurs ask their question without an account.
                    "frontdoor.ask", "frontdoor.thanks",
                    # The impact survey: the entrepreneur answers through a signed personal link.
                    "enquete.answer_page", "enquete.thanks"}


def body(response) -> str:
    return response.get_data(as_text=True)


def alert(response) -> str:
    """The text of the page's error alert (what the visitor is told)."""
    match = re.search(r'<div class="alert alert-danger"[^>]*>(.*?)</div>', body(response), re.S)
    assert match, body(response)[:3000]
    return " ".join(match.group(1).split())


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            directives[tokens[0].lower()] = [t.lower() for t in tokens[1:]]
    return directives


def is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    return urlsplit(response.headers["Location"]).path == "/login"


def _other_app(database_url, instance_path, **overrides):
    """Another app instance over the same database, created outside the ``app`` fixture's
    application context (create_app cannot run inside one: see test_bad_input.py)."""
    return contextvars.Context().run(make_test_app, database_url, instance_path, **overrides)


# --------------------------------------------------------------------------- headers

@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def pages(client, user, make_company):
    company = make_company()
    anonymous = {"/login": client.get("/login"), "/healthz": client.get("/healthz"),
                 "/ (redirect)": client.get("/")}
    login(client, user)
    signed_in = {url: client.get(url) for url in
                 ["/", f"/companies/{company.id}", "/companies/new", "/account/",
                  "/companies/999999", "/static/css/app.css"]}
    return {**anonymous, **signed_in}


def test_security_headers_on_every_kind_of_response(pages):
    for url, response in pages.items():
        headers = response.headers
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("X-Frame-Options") == "DENY", url
        csp = headers.get("Content-Security-Policy")
        assert csp, url
        directives = csp_directives(csp)
        script_src = directives.get("script-src", directives.get("default-src"))
        assert script_src, (url, csp)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, csp
        assert "*" not in script_src and "data:" not in script_src, csp
        assert directives.get("object-src") == ["'none'"], csp
        assert directives.get("frame-ancestors") == ["'none'"], csp
        assert "'unsafe-inline'" not in directives.get("default-src", []), csp
        if response.mimetype == "text/html":
            assert "no-store" in headers.get("Cache-Control", ""), url


def test_html_pages_have_no_inline_scripts_or_event_handlers(pages):
    """What the CSP would block anyway: the pages must not need it."""
    for url, response in pages.items():
        if response.mimetype != "text/html":
            continue
        text = body(response)
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)
        assert not inline, (url, inline)
        handlers = re.findall(r"<[^>]+\son[a-z]+\s*=", text)
        assert not handlers, (url, handlers)
        assert "javascript:" not in text.lower(), url


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert "max-age=" in secure.headers.get("Strict-Transport-Security", "")


# --------------------------------------------------------------------------- cookies

def _session_cookie(response, name="session") -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert cookies, response.headers
    return cookies[-1]


def _attributes(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_session_cookie_is_httponly_and_samesite_lax(client, user):
    response = login(client, user)
    attributes = _attributes(_session_cookie(response, client.application.config.get(
        "SESSION_COOKIE_NAME", "session")))
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes      # not configured: plain-HTTP development works


def test_session_cookie_is_secure_when_configured(database_url, tmp_path, user):
    secure_app = _other_app(database_url, tmp_path, SESSION_COOKIE_SECURE=True)
    client = secure_app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           base_url="https://localhost")
    assert response.status_code == 302
    attributes = _attributes(_session_cookie(response))
    assert {"secure", "httponly", "samesite=lax"} <= attributes
    with secure_app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_new_session_on_sign_in(client, user):
    """No session fixation: what was in the session before signing in is gone after it."""
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id") == str(user.id)


# --------------------------------------------------------------------------- sign-in

def _fail(client, email, password="fout-wachtwoord"):
    return client.post("/login", data={"email": email, "password": password})


def test_rate_limit_after_five_failures_even_with_the_right_password(client, app, make_user):
    victim, bystander = make_user(), make_user()
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    for _ in range(5):
        assert _fail(client, victim.email).status_code == 401
    locked = _fail(client, victim.email, PASSWORD)
    assert locked.status_code == 429
    message = alert(locked)
    with client.session_transaction() as session:
        assert "_user_id" not in session
    # The lock-out message says nothing about whether the password was right ...
    assert alert(_fail(client, victim.email)) == message
    # ... nor whether the account exists.
    for _ in range(5):
        _fail(client, "niemand@example.nl")
    assert alert(_fail(client, "niemand@example.nl", PASSWORD)) == message
    # Case and spaces do not get around it.
    assert _fail(client, "  " + victim.email.upper(), PASSWORD).status_code == 429
    # A different e-mail address is unaffected.
    response = client.post("/login", data={"email": bystander.email, "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session.get("_user_id") == str(bystander.id)


def test_failed_sign_in_says_the_same_for_unknown_email_wrong_password_and_inactive(
        client, make_user, make_org):
    known = make_user()
    inactive = make_user(active=False)
    closed_org_user = make_user(org=make_org(active=False))
    answers = {
        "unknown e-mail": _fail(client, "onbekend@example.nl"),
        "wrong password": _fail(client, known.email),
        "inactive user": _fail(client, inactive.email, PASSWORD),
        "inactive organisation": _fail(client, closed_org_user.email, PASSWORD),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert set(statuses.values()) == {401}, statuses
    messages = {name: alert(r) for name, r in answers.items()}
    assert len(set(messages.values())) == 1, messages
    # The form is re-shown with the e-mail address, never with the password.
    assert f'value="{known.email}"' in body(answers["wrong password"])
    assert "fout-wachtwoord" not in body(answers["wrong password"])


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user(active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert is_login_redirect(client.get("/"))


def test_deactivating_a_signed_in_user_ends_their_access(client, user):
    login(client, user)
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    # The test client's requests share the test's application context, and so ``g``, where
    # Flask-Login caches the user; in production every request has its own.
    g.pop("_login_user", None)
    assert is_login_redirect(client.get("/"))
    assert is_login_redirect(client.get("/account/"))


@pytest.mark.parametrize("target", [
    "https://evil.example", "https://evil.example/companies", "//evil.example",
    "///evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example",
    "http://localhost@evil.example/", "/%2F%2Fevil.example", "/\t/evil.example",
    " https://evil.example", "javascript:alert(1)", "evil.example",
])
def test_login_refuses_open_redirects(client, user, target):
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    resolved = urlsplit(urljoin("http://localhost/login", location))
    assert resolved.netloc == "localhost", location
    assert resolved.scheme in ("http", "https"), location
    assert "\\" not in location and "evil.example" not in resolved.netloc
    # Signed in already: GET /login?next=... must not bounce off-site either.
    again = client.get("/login", query_string={"next": target})
    assert again.status_code == 302
    assert urlsplit(urljoin("http://localhost/login", again.headers["Location"])).netloc \
        == "localhost"


def test_login_follows_a_local_next(client, user, make_company):
    company = make_company()
    response = client.post("/login", query_string={"next": f"/companies/{company.id}?tab=1"},
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == f"/companies/{company.id}?tab=1"


# --------------------------------------------------------------------------- login required

def _url(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind == "IntegerConverter":
            values[name] = 1
        elif kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


def _rules(app, method):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if method not in rule.methods or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        yield rule


def test_every_page_requires_sign_in(app, client, make_user, make_company, make_contact):
    """GET every route (``<int:...>`` filled with 1, other arguments with "x") anonymously."""
    user = make_user()
    make_contact(make_company(), user.organisation)
    open_pages = []
    for rule in _rules(app, "GET"):
        url = _url(rule)
        response = client.get(url)
        if rule.rule.startswith("/api/"):
            ok = response.status_code in (401, 403)
        else:
            ok = is_login_redirect(response)
        if not ok:
            open_pages.append(f"{rule.endpoint} GET {url} -> {response.status_code}")
    assert not open_pages, "reachable without signing in:\n" + "\n".join(open_pages)


def test_every_form_post_requires_sign_in(app, client, make_user, make_company, make_contact):
    user = make_user()
    company = make_company(name="Onaangetast B.V.")
    make_contact(company, user.organisation, name="Onaangetast")
    open_posts = []
    for rule in _rules(app, "POST"):
        url = _url(rule)
        response = client.post(url, data={"name": "Gekaapt", "kvk": "12345678",
                                          "lang-locale": "en"})
        ok = (response.status_code in (401, 403) if rule.rule.startswith("/api/")
              else is_login_redirect(response))
        if not ok:
            open_posts.append(f"{rule.endpoint} POST {url} -> {response.status_code}")
    assert not open_posts, "accepts posts without signing in:\n" + "\n".join(open_posts)
    db.session.expire_all()
    assert company.name == "Onaangetast B.V." and company.contacts[0].name == "Onaangetast"


def test_public_pages_answer_without_sign_in(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


def test_admin_is_for_administrators_only(client, make_user):
    login(client, make_user(role="account_manager"))
    for url in ["/admin/", "/admin/users/", "/admin/users/new/", "/admin/organisations/"]:
        assert client.get(url).status_code == 403, url
