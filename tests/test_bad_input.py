"""Hostile and malformed input: every form answers 4xx with a message, never a 500.

For each POST endpoint: parametrised bad payloads (empty, 10k-character strings, NUL bytes,
invalid UTF-8 / lone surrogates, wrong types, out-of-range numbers, unknown select values,
SQL-ish and HTML/script strings, which must come back escaped), and a Hypothesis test over the
form's field names. Also bad query arguments, unknown ids, and CSRF with a CSRF-enabled app.
"""
import contextvars
import re
from urllib.parse import quote, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.models import Company, ContactPerson, User
from tests.conftest import PASSWORD, login, make_test_app

LONG = "x" * 10_000
NUL = "Nul\x00Byte"
SQLISH = "Robert'); DROP TABLE companies; --"
SCRIPT = "<script>alert('xss')</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"
#: What an error message looks like on a page: a field error or an alert.
ERROR_MARKERS = ('class="invalid-feedback', 'class="alert alert-danger', 'class="alert alert-warning')

HYPOTHESIS = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


def body(response) -> str:
    return response.get_data(as_text=True)


def assert_rejected(response, statuses=(422,)):
    """A 4xx status from ``statuses``, and a page that says what is wrong."""
    text = body(response)
    assert response.status_code in statuses, (response.status_code, text[:2000])
    assert any(marker in text for marker in ERROR_MARKERS), text[:3000]
    assert "Traceback" not in text


def assert_handled(response):
    """Not a server error; a 422 names at least one problem."""
    assert response.status_code < 500, body(response)[:2000]
    if response.status_code == 422:
        assert any(marker in body(response) for marker in ERROR_MARKERS), body(response)[:3000]


def assert_same_site(location: str):
    target = urlsplit(urljoin("http://localhost/some/page", location))
    assert target.netloc == "localhost", location
    assert "\\" not in location, location


def raw_post(client, url, pairs: bytes):
    """POST a hand-made urlencoded body (for bytes no str can carry, like lone surrogates)."""
    return client.post(url, data=pairs, content_type="application/x-www-form-urlencoded")


def company_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Company))


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def signed_in(client, user):
    login(client, user)
    return client


@pytest.fixture
def company(make_company):
    return make_company(name="Bestaand B.V.", kvk="11111111")


@pytest.fixture
def contact(make_contact, company, user):
    return make_contact(company, user.organisation, name="Anna de Vries")


def company_form(**overrides):
    data = {"kvk": "12345678", "establishment_number": "", "name": "Geldig B.V.",
            "trade_names": "", "sbi_code": "6201", "employees": "3", "size_class": "",
            "phase": "", "municipality_id": "", "website": "", "digital_maturity": "onbekend"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def contact_form(**overrides):
    data = {"name": "Bram Bakker", "role": "eigenaar", "email": "bram@bedrijf.nl",
            "phone": "030 123 45 67"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --------------------------------------------------------------------------- login

LOGIN_BAD = {
    "empty": {},
    "blank": {"email": "", "password": ""},
    "no-password": {"email": "{email}"},
    "overlong-email": {"email": LONG + "@example.nl", "password": "x"},
    "overlong-password": {"email": "{email}", "password": LONG},
    "nul-email": {"email": "a\x00@example.nl", "password": "x"},
    "nul-password": {"email": "{email}", "password": "x\x00y"},
    "sqlish-email": {"email": "' OR '1'='1", "password": "' OR '1'='1"},
    "script-email": {"email": SCRIPT, "password": "x"},
    "list-values": {"email": ["{email}", "b@example.nl"], "password": ["x", "y"]},
}


@pytest.mark.parametrize("case", LOGIN_BAD)
def test_login_rejects_bad_input(client, user, case):
    data = {k: ([x.format(email=user.email) for x in v] if isinstance(v, list)
                else v.format(email=user.email)) for k, v in LOGIN_BAD[case].items()}
    response = client.post("/login", data=data)
    assert_rejected(response, statuses=(401, 422))
    assert SCRIPT not in body(response)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_login_with_invalid_utf8_and_surrogates(client, user):
    response = raw_post(client, "/login", b"email=%ED%A0%80%FF%FE@example.nl&password=%ED%B0%80")
    assert_rejected(response, statuses=(401, 422))


def test_login_with_a_json_body_of_wrong_types(client, user):
    """APP BUG: a JSON body with a non-string e-mail or password gives a 500 (see
    test_company_form_json_body_with_wrong_types)."""
    # Flask-WTF reads a JSON body like a form: wrong JSON types must not break it.
    for payload in ({"email": ["a", "b"], "password": {"x": 1}}, {"email": 42, "password": None},
                    [1, 2, 3], "text", {"email": user.email, "password": True}):
        response = client.post("/login", json=payload)
        assert_rejected(response, statuses=(400, 401, 422))


def test_login_form_echoes_the_email_escaped(client):
    response = client.post("/login", data={"email": '"><img src=x onerror=alert(1)>',
                                           "password": "x"})
    assert_rejected(response, statuses=(401, 422))
    assert "<img src=x" not in body(response)


@given(data=st.dictionaries(st.sampled_from(["email", "password", "csrf_token", "next"]),
                            st.text()))
@HYPOTHESIS
def test_login_survives_any_text(client, data):
    assert_handled(client.post("/login", data=data))


# --------------------------------------------------------------------------- companies

COMPANY_BAD = {
    "empty": ({}, ()),
    "all-blank": ({k: "" for k in company_form()}, ("kvk", "name")),
    "kvk-short": (company_form(kvk="123"), ("kvk",)),
    "kvk-letters": (company_form(kvk="abcdefgh"), ("kvk",)),
    "kvk-overlong": (company_form(kvk=LONG), ("kvk",)),
    "kvk-nul": (company_form(kvk="1234\x005678"), ("kvk",)),
    "kvk-unicode-digits": (company_form(kvk="١٢٣٤٥٦٧٨"), ("kvk",)),    # APP BUG: 500
    "kvk-fullwidth-digits": (company_form(kvk="１２３４５６７８"), ("kvk",)),  # APP BUG: 500
    "name-blank": (company_form(name="   "), ("name",)),
    "name-overlong": (company_form(name=LONG), ("name",)),
    # APP BUG: NUL bytes are accepted and stored on SQLite; PostgreSQL cannot store them (500).
    "name-nul": (company_form(name=NUL), ("name",)),
    "trade-names-overlong": (company_form(trade_names=LONG), ("trade_names",)),
    "establishment-short": (company_form(establishment_number="12"), ("establishment_number",)),
    "establishment-overlong": (company_form(establishment_number=LONG),
                               ("establishment_number",)),
    "establishment-unicode-digits": (company_form(establishment_number="١٢٣٤٥٦٧٨٩٠١٢"),
                                     ("establishment_number",)),
    "sbi-unknown": (company_form(sbi_code="00"), ("sbi_code",)),
    "sbi-unicode-digits": (company_form(sbi_code="٦٢٠١"), ("sbi_code",)),
    "sbi-letters": (company_form(sbi_code="abc"), ("sbi_code",)),
    "sbi-script": (company_form(sbi_code="<b>62</b>"), ("sbi_code",)),
    "employees-negative": (company_form(employees="-1"), ("employees",)),
    "employees-huge": (company_form(employees="1" + "0" * 30), ("employees",)),
    "employees-text": (company_form(employees="veel"), ("employees",)),
    "employees-float": (company_form(employees="1.5"), ("employees",)),
    "employees-overlong": (company_form(employees="9" * 10_000), ("employees",)),
    "size-unknown": (company_form(employees="", size_class="enorm"), ("size_class",)),
    "phase-unknown": (company_form(phase="xyz"), ("phase",)),
    "maturity-unknown": (company_form(digital_maturity="superhoog"), ("digital_maturity",)),
    "maturity-missing": (company_form(digital_maturity=None), ("digital_maturity",)),
    "municipality-unknown": (company_form(municipality_id="999999"), ("municipality_id",)),
    "municipality-text": (company_form(municipality_id="abc"), ("municipality_id",)),
    "municipality-negative": (company_form(municipality_id="-1"), ("municipality_id",)),
    "municipality-sqlish": (company_form(municipality_id="1 OR 1=1"), ("municipality_id",)),
    "website-javascript": (company_form(website="javascript:alert(1)"), ("website",)),
    "website-data": (company_form(website="data:text/html,<script>alert(1)</script>"),
                     ("website",)),
    "website-overlong": (company_form(website="https://" + LONG + ".nl"), ("website",)),
    "website-nul": (company_form(website="https://a\x00b.nl"), ("website",)),
}


def _field_error(text: str, field: str) -> bool:
    return f'id="{field}-error"' in text


@pytest.mark.parametrize("case", COMPANY_BAD)
def test_company_create_rejects_bad_input(signed_in, case):
    data, fields = COMPANY_BAD[case]
    response = signed_in.post("/companies/new", data=data)
    assert_rejected(response)
    for field in fields:
        assert _field_error(body(response), field), (field, body(response)[:4000])
    assert company_count() == 0


@pytest.mark.parametrize("case", COMPANY_BAD)
def test_company_edit_rejects_bad_input(signed_in, company, case):
    data, fields = COMPANY_BAD[case]
    data = {**data, "version": str(company.version)} if data else data
    response = signed_in.post(f"/companies/{company.id}/edit", data=data)
    assert_rejected(response)
    for field in fields:
        assert _field_error(body(response), field), (field, body(response)[:4000])
    db.session.expire_all()
    saved = db.session.get(Company, company.id)
    assert (saved.name, saved.kvk, saved.version) == ("Bestaand B.V.", "11111111", 1)


def test_company_form_with_invalid_utf8_and_surrogates(signed_in):
    response = raw_post(signed_in, "/companies/new",
                        b"kvk=%ED%A0%80&name=%ED%A0%80%FF&digital_maturity=onbekend"
                        b"&size_class=&phase=")
    assert_rejected(response)
    assert company_count() == 0


def test_company_name_with_replacement_characters_is_stored_or_refused_cleanly(signed_in):
    response = raw_post(signed_in, "/companies/new",
                        b"kvk=12345678&name=Caf%C3%A9%ED%A0%80&digital_maturity=onbekend"
                        b"&size_class=&phase=&municipality_id=")
    assert_handled(response)


def test_company_form_with_repeated_fields(signed_in):
    response = signed_in.post("/companies/new", data={"kvk": ["123", "12345678"],
                                                      "name": ["", "B.V."]})
    assert_handled(response)


def test_company_form_json_body_with_wrong_types(signed_in):
    """APP BUG: Flask-WTF reads a JSON body as form data; a non-string value (int, list,
    dict) reaches the Length validators, which raise TypeError: 500."""
    response = signed_in.post("/companies/new", json={**company_form(), "kvk": 12345678,
                                                      "employees": -5, "name": ["a", "b"],
                                                      "non_mailing": {"x": 1}})
    assert_handled(response)
    response = signed_in.post("/companies/new", json=[company_form()])
    assert_handled(response)


def test_company_form_with_a_file_instead_of_text(signed_in):
    """APP BUG: Flask-WTF combines request.files with request.form, so an uploaded file in a
    text field reaches the Length validator (TypeError: object of type 'FileStorage' has no
    len()): 500."""
    import io
    response = signed_in.post("/companies/new", data={
        **company_form(), "name": (io.BytesIO(b"<script>"), "name.txt")},
        content_type="multipart/form-data")
    assert_rejected(response)
    assert company_count() == 0


def test_company_form_html_is_escaped_when_re_rendered(signed_in):
    response = signed_in.post("/companies/new", data=company_form(
        kvk="123", name=SCRIPT, trade_names=SCRIPT + "\n<b>vet</b>",
        website='https://x.nl/"><script>alert(1)</script>', sbi_code='"><svg onload=alert(1)>'))
    assert_rejected(response)
    text = body(response)
    assert SCRIPT not in text and "<b>vet</b>" not in text and "<svg" not in text
    assert ESCAPED_SCRIPT in text


def test_sqlish_and_html_company_names_are_stored_verbatim_and_shown_escaped(signed_in):
    response = signed_in.post("/companies/new", data=company_form(name=SQLISH))
    assert response.status_code == 302, body(response)[:2000]
    response = signed_in.post("/companies/new", data=company_form(
        kvk="87654321", name=SCRIPT, trade_names="<i>schuin</i>",
        website="https://x.nl/?a=<script>"))
    assert response.status_code == 302, body(response)[:2000]
    names = set(db.session.scalars(sa.select(Company.name)))
    assert names == {SQLISH, SCRIPT}
    detail = signed_in.get(response.headers["Location"])
    text = body(detail)
    assert SCRIPT not in text and "<i>schuin</i>" not in text and "?a=<script>" not in text
    assert ESCAPED_SCRIPT in text
    search = signed_in.get("/", query_string={"q": "script"})
    assert search.status_code == 200
    assert SCRIPT not in body(search)


def test_company_edit_with_bad_version_values(signed_in, company):
    for version in ("abc", "-1", "9" * 50, "1.0", "\x00"):
        response = signed_in.post(f"/companies/{company.id}/edit",
                                  data=company_form(kvk="11111111", name="Nieuw B.V.",
                                                    version=version))
        assert_handled(response)
        expected = (422,) if "\x00" in version else (302, 409)
        assert response.status_code in expected, (version, response.status_code)
        if response.status_code == 409:
            assert 'class="alert alert-warning' in body(response)


COMPANY_FIELDS = ["kvk", "establishment_number", "name", "trade_names", "sbi_code", "employees",
                  "size_class", "phase", "municipality_id", "website", "digital_maturity",
                  "non_mailing"]


@given(data=st.dictionaries(st.sampled_from(COMPANY_FIELDS), st.text()))
@HYPOTHESIS
def test_company_create_survives_any_text(signed_in, data):
    assert_handled(signed_in.post("/companies/new", data=data))


@given(data=st.dictionaries(st.sampled_from(COMPANY_FIELDS + ["version"]), st.text()))
@HYPOTHESIS
def test_company_edit_survives_any_text(signed_in, company, data):
    assert_handled(signed_in.post(f"/companies/{company.id}/edit", data=data))


@given(data=st.fixed_dictionaries({"kvk": st.text(), "name": st.text(),
                                   "employees": st.text(), "municipality_id": st.text(),
                                   "website": st.text(), "size_class": st.just(""),
                                   "phase": st.just(""), "digital_maturity": st.just("laag")}))
@HYPOTHESIS
def test_company_create_survives_any_text_in_the_free_fields(signed_in, data):
    assert_handled(signed_in.post("/companies/new", data=data))


# --------------------------------------------------------------------------- contacts

CONTACT_BAD = {
    "empty": ({}, ("name",)),
    "name-blank": (contact_form(name="  "), ("name",)),
    "name-overlong": (contact_form(name=LONG), ("name",)),
    "name-nul": (contact_form(name=NUL), ("name",)),                 # APP BUG (see above)
    "role-overlong": (contact_form(role=LONG), ("role",)),
    "role-nul": (contact_form(role="eige\x00naar"), ("role",)),
    "email-invalid": (contact_form(email="geen-adres"), ("email",)),
    "email-overlong": (contact_form(email="a" * 10_000 + "@b.nl"), ("email",)),
    "email-script": (contact_form(email=SCRIPT + "@b.nl"), ("email",)),
    "email-nul": (contact_form(email="a\x00@b.nl"), ("email",)),
    "phone-text": (contact_form(phone="bel me maar"), ("phone",)),
    "phone-overlong": (contact_form(phone="0" * 10_000), ("phone",)),
    "phone-nul": (contact_form(phone="030\x00123456"), ("phone",)),
}


@pytest.mark.parametrize("case", CONTACT_BAD)
def test_contact_create_rejects_bad_input(signed_in, company, case):
    data, fields = CONTACT_BAD[case]
    response = signed_in.post(f"/companies/{company.id}/contacts/new", data=data)
    assert_rejected(response)
    for field in fields:
        assert _field_error(body(response), field), (field, body(response)[:4000])
    assert SCRIPT not in body(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactPerson)) == 0


@pytest.mark.parametrize("case", CONTACT_BAD)
def test_contact_edit_rejects_bad_input(signed_in, contact, case):
    data, fields = CONTACT_BAD[case]
    response = signed_in.post(f"/contacts/{contact.id}/edit", data=data)
    assert_rejected(response)
    for field in fields:
        assert _field_error(body(response), field), (field, body(response)[:4000])
    db.session.expire_all()
    assert db.session.get(ContactPerson, contact.id).name == "Anna de Vries"


def test_contact_html_is_escaped_when_re_rendered_and_shown(signed_in, company):
    response = signed_in.post(f"/companies/{company.id}/contacts/new",
                              data=contact_form(name=SCRIPT, role="<b>baas</b>",
                                                email="geen-adres"))
    assert_rejected(response)
    assert SCRIPT not in body(response) and "<b>baas</b>" not in body(response)
    assert ESCAPED_SCRIPT in body(response)
    response = signed_in.post(f"/companies/{company.id}/contacts/new",
                              data=contact_form(name=SCRIPT, role=SQLISH))
    assert response.status_code == 302
    detail = body(signed_in.get(f"/companies/{company.id}"))
    assert SCRIPT not in detail and ESCAPED_SCRIPT in detail


def test_contact_form_with_invalid_utf8(signed_in, company):
    response = raw_post(signed_in, f"/companies/{company.id}/contacts/new",
                        b"name=%ED%A0%80&email=%FF%FE@x.nl")
    assert_handled(response)


CONTACT_FIELDS = ["name", "role", "email", "phone"]


@given(data=st.dictionaries(st.sampled_from(CONTACT_FIELDS), st.text()))
@HYPOTHESIS
def test_contact_create_survives_any_text(signed_in, company, data):
    assert_handled(signed_in.post(f"/companies/{company.id}/contacts/new", data=data))


@given(data=st.dictionaries(st.sampled_from(CONTACT_FIELDS), st.text()))
@HYPOTHESIS
def test_contact_edit_survives_any_text(signed_in, contact, data):
    assert_handled(signed_in.post(f"/contacts/{contact.id}/edit", data=data))


# --------------------------------------------------------------------------- account

LANGUAGE_BAD = {
    "unknown": {"lang-locale": "xx"},
    "blank": {"lang-locale": ""},
    "overlong": {"lang-locale": LONG},
    "nul": {"lang-locale": "n\x00l"},
    "sqlish": {"lang-locale": "nl' OR '1'='1"},
    "script": {"lang-locale": SCRIPT},
}


@pytest.mark.parametrize("case", LANGUAGE_BAD)
def test_account_language_rejects_bad_input(signed_in, user, case):
    response = signed_in.post("/account/", data=LANGUAGE_BAD[case])
    assert_rejected(response)
    assert 'id="lang-locale-error"' in body(response)
    assert SCRIPT not in body(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "nl"


PASSWORD_BAD = {
    "empty": ({}, ("pw-current_password", "pw-new_password")),
    "wrong-current": ({"pw-current_password": "fout", "pw-new_password": "Nieuw-wachtwoord-1"},
                      ("pw-current_password",)),
    "new-too-short": ({"pw-current_password": PASSWORD, "pw-new_password": "kort"},
                      ("pw-new_password",)),
    "new-overlong": ({"pw-current_password": PASSWORD, "pw-new_password": LONG},
                     ("pw-new_password",)),
    "current-overlong": ({"pw-current_password": LONG, "pw-new_password": "Nieuw-wachtwoord-1"},
                         ("pw-current_password",)),
    # APP BUG: scrypt (HMAC-based) ignores trailing NULs, so this 10-character password is
    # really "kort": NUL bytes slip past the minimum length. Control characters must be refused.
    "new-nul-padded": ({"pw-current_password": PASSWORD, "pw-new_password": "kort" + "\x00" * 6},
                       ("pw-new_password",)),
    "new-nul-inside": ({"pw-current_password": PASSWORD, "pw-new_password": "Nieuw\x00wachtwoord"},
                       ("pw-new_password",)),
}


@pytest.mark.parametrize("case", PASSWORD_BAD)
def test_account_password_rejects_bad_input(signed_in, user, case):
    old_hash = user.password_hash
    data, fields = PASSWORD_BAD[case]
    response = signed_in.post("/account/", data=data)
    assert_rejected(response)
    for field in fields:
        assert _field_error(body(response), field), (field, body(response)[:4000])
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


@given(data=st.dictionaries(
    st.sampled_from(["lang-locale", "pw-current_password", "pw-new_password"]), st.text()))
@HYPOTHESIS
def test_account_survives_any_text(signed_in, user, data):
    # Never the right current password: the account keeps its password through the run.
    data.pop("pw-current_password", None) if data.get("pw-current_password") == PASSWORD else None
    assert_handled(signed_in.post("/account/", data=data))


# --------------------------------------------------------------------------- language switch

@pytest.mark.parametrize("locale", ["xx", "NL", "", "n%00l", quote(SCRIPT, safe=""),
                                    "a" * 2000])
def test_language_switch_ignores_unknown_locales(client, locale):
    response = client.post(f"/language/{locale}", data={"next": "/login"})
    assert response.status_code in (302, 404), response.status_code
    if response.status_code == 302:
        assert_same_site(response.headers["Location"])
    with client.session_transaction() as session:
        assert session.get("locale") is None
    page = client.get("/login")
    assert '<html lang="nl">' in body(page)


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "https:evil.example", "javascript:alert(1)", " //evil.example",
    "/%2F%2Fevil.example", LONG, "\x00", SCRIPT])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language/en", data={"next": target})
    assert response.status_code == 302
    assert_same_site(response.headers["Location"])


@given(locale=st.text(), target=st.text())
@HYPOTHESIS
def test_language_switch_survives_any_text(client, locale, target):
    response = client.post("/language/" + quote(locale, safe=""), data={"next": target})
    assert response.status_code < 500
    if response.status_code in (301, 302, 303, 307, 308):
        assert_same_site(response.headers["Location"])


# --------------------------------------------------------------------------- query args

@pytest.mark.parametrize("query", [
    {"page": "-1"}, {"page": "0"}, {"page": "abc"}, {"page": "9" * 40}, {"page": "1e3"},
    {"page": ["1", "2"]}, {"province": "xyz"}, {"province": "-1"}, {"province": "9" * 40},
    {"province": "999999"}, {"sector": "ZZ"}, {"sector": "' OR 1=1 --"}, {"size": "enorm"},
    {"q": "b" * 10_000}, {"q": "\x00"}, {"q": "bak\x00kerij"}, {"q": "%"}, {"q": "_"},
    {"q": "\\"}, {"q": "\"'*()-+:^"}, {"q": "NEAR(a b)"}, {"q": "a OR b AND NOT c"},
    {"q": "bakkerij*"}, {"q": "' OR '1'='1"}, {"q": SCRIPT}, {"q": "\ud800".encode(
        "utf-8", "surrogatepass").decode("latin-1")}, {"q": "🙂" * 300},
    {"q": "1234 5678 9"}, {"q": "0" * 200}, {"q": "12.34.56.78"},
])
def test_search_with_bad_query_arguments_is_200(signed_in, make_company, query):
    make_company(name="Bakkerij Test B.V.")
    response = signed_in.get("/", query_string=query)
    assert response.status_code == 200, body(response)[:2000]
    assert SCRIPT not in body(response)


def test_search_with_invalid_utf8_in_the_query_string(signed_in):
    response = signed_in.get("/?q=%ED%A0%80%FF&page=%00&province=%FF")
    assert response.status_code == 200


@given(query=st.dictionaries(st.sampled_from(["q", "sector", "size", "province", "page"]),
                             st.text()))
@HYPOTHESIS
def test_search_survives_any_query(signed_in, query):
    assert signed_in.get("/", query_string=query).status_code == 200


@pytest.mark.parametrize("kvk", ["123", "abc", "12345678" * 100, "%00", "%27%20OR%201=1",
                                 quote(SCRIPT, safe="")])
def test_kvk_lookup_with_bad_numbers(signed_in, kvk):
    response = signed_in.get(f"/companies/kvk/{kvk}")
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert_same_site(response.headers["Location"])


# --------------------------------------------------------------------------- unknown ids

@pytest.mark.parametrize("method,url", [  # APP BUG: 30-digit ids overflow the database: 500
    ("GET", "/companies/999999"), ("GET", "/companies/999999/edit"),
    ("POST", "/companies/999999/edit"), ("GET", "/companies/999999/contacts/new"),
    ("POST", "/companies/999999/contacts/new"), ("GET", "/contacts/999999/edit"),
    ("POST", "/contacts/999999/edit"), ("POST", "/contacts/999999/delete"),
    ("GET", "/companies/" + "9" * 30), ("GET", "/contacts/" + "9" * 30 + "/edit"),
    ("GET", "/companies/-1"), ("GET", "/companies/abc"), ("GET", "/bestaat/niet"),
])
def test_unknown_ids_are_404(signed_in, method, url):
    response = signed_in.open(url, method=method, data=contact_form())
    assert response.status_code == 404, (url, response.status_code, body(response)[:1000])
    assert 'class="h3"' in body(response) and "Traceback" not in body(response)


def test_contacts_of_another_organisation_are_404(client, make_user, make_company,
                                                 make_contact):
    owner, other = make_user(), make_user()
    contact = make_contact(make_company(), owner.organisation, name="Geheim Persoon")
    login(client, other)
    assert client.get(f"/contacts/{contact.id}/edit").status_code == 404
    assert client.post(f"/contacts/{contact.id}/edit", data=contact_form()).status_code == 404
    assert client.post(f"/contacts/{contact.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(ContactPerson, contact.id).name == "Geheim Persoon"


def test_wrong_methods_are_405_pages(signed_in, contact):
    for method, url in [("GET", f"/contacts/{contact.id}/delete"), ("GET", "/language/en"),
                        ("PUT", "/companies/new"), ("DELETE", f"/contacts/{contact.id}/edit")]:
        response = signed_in.open(url, method=method)
        assert response.status_code == 405, (method, url, response.status_code)


def test_oversized_request_body_is_refused(signed_in):
    response = signed_in.post("/companies/new", data=company_form(trade_names="x" * 3_000_000))
    assert response.status_code in (413, 422), response.status_code


# --------------------------------------------------------------------------- CSRF

@pytest.fixture
def csrf_client(app, database_url, tmp_path):
    # An empty contextvars context: create_app must not run inside the ``app`` fixture's
    # application context (see test_create_app_inside_another_app_context).
    csrf_app = contextvars.Context().run(make_test_app, database_url, tmp_path,
                                         WTF_CSRF_ENABLED=True)
    yield csrf_app.test_client()
    with csrf_app.app_context():
        db.session.remove()
        db.engine.dispose()


def _token(client, url) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body(client.get(url)))
    assert match, f"no csrf_token on {url}"
    return match.group(1)


CSRF_MESSAGE = "Please go back, reload the page and try again."


def test_login_without_csrf_token_is_400_with_a_readable_message(csrf_client, user):
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert CSRF_MESSAGE in body(response) or "opnieuw" in body(response), body(response)[:2000]
    with csrf_client.session_transaction() as session:
        assert "_user_id" not in session
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is None


def test_posts_without_or_with_a_forged_csrf_token_change_nothing(csrf_client, user, company,
                                                                 contact):
    token = _token(csrf_client, "/login")
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
    attempts = [
        ("/companies/new", company_form()),
        (f"/companies/{company.id}/edit", company_form(kvk="11111111", name="Gekaapt B.V.",
                                                       version="1")),
        (f"/companies/{company.id}/contacts/new", contact_form()),
        (f"/contacts/{contact.id}/edit", contact_form(name="Gekaapt")),
        (f"/contacts/{contact.id}/delete", {}),
        ("/account/", {"lang-locale": "en"}),
        ("/account/", {"pw-current_password": PASSWORD, "pw-new_password": "Gekaapt-wachtwoord"}),
        ("/language/en", {"next": "/"}),
        ("/logout", {}),
    ]
    for forged in (None, "forged-token", token + "x"):
        for url, data in attempts:
            data = dict(data) if forged is None else {**data, "csrf_token": forged}
            response = csrf_client.post(url, data=data)
            assert response.status_code == 400, (url, forged, response.status_code)
            assert 'class="h3"' in body(response)
            assert "Traceback" not in body(response)
    db.session.expire_all()
    assert company_count() == 1
    saved = db.session.get(Company, company.id)
    assert (saved.name, saved.version) == ("Bestaand B.V.", 1)
    contacts = db.session.scalars(sa.select(ContactPerson)).all()
    assert [c.name for c in contacts] == ["Anna de Vries"]
    account = db.session.get(User, user.id)
    assert account.locale == "nl"
    from werkzeug.security import check_password_hash
    assert check_password_hash(account.password_hash, PASSWORD)
    # Still signed in: the forged logout did nothing either.
    assert csrf_client.get("/account/").status_code == 200


def test_a_valid_csrf_token_is_accepted(csrf_client, user):
    token = _token(csrf_client, "/login")
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
    token = _token(csrf_client, "/companies/new")
    response = csrf_client.post("/companies/new", data={**company_form(), "csrf_token": token})
    assert response.status_code == 302
    assert company_count() == 1


# --------------------------------------------------------------------------- app bug

def test_create_app_inside_another_app_context(app, database_url, tmp_path):
    """APP BUG (crm/i18n.py select_locale): lazy strings evaluated in an application context
    without a request (admin.init_app does, and so would CLI commands and mail jobs) raise
    "RuntimeError: Working outside of request context" because select_locale reads
    ``session``. It should fall back to the default locale when there is no request."""
    other = make_test_app(database_url, tmp_path)
    with other.app_context():
        from flask_babel import lazy_gettext
        assert str(lazy_gettext("Companies"))
