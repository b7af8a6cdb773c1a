"""Record ids in forms and query parameters: only ASCII digits from 1 to the largest id the
database holds name a record (``crm.reference.parse_id``); anything else names none and gets the
page's usual answer (a message, a 404, an ignored filter), never a 500.

Each request below answered 500 before: a number too large for SQLite's integers
(``OverflowError``), or a digit Python's ``str.isdigit`` accepts and ``int`` refuses (``²``).
The sweeps at the end open every page and post every form with each name it reads set to
each of :data:`ODD_VALUES` (they found the admin's lists and the audit trail's dates too).
"""
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict

from crm.extensions import db
from crm.journeys.interventions import log_intervention
from crm.journeys.offerings import create_offering
from crm.journeys.referrals import refer
from crm.models import Referral
from crm.reference import MAX_ID, parse_id
from tests.conftest import REFERENCE_TABLES, login
from tests.test_offerings_views import form_data as offering_form
from tests.test_security_basics import _url

HUGE = "9" * 25
NOT_INT = "²"


@given(st.one_of(st.text(max_size=30), st.integers(-10, 10**30).map(str), st.none(),
                 st.integers()))
def test_parse_id_names_a_record_or_none(value):
    ident = parse_id(value)
    assert ident is None or (type(ident) is int and 1 <= ident <= MAX_ID)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10 \
            and 1 <= int(value) <= MAX_ID:
        assert ident == int(value)


def test_parse_id_examples():
    assert parse_id("42") == 42
    assert parse_id("0042") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for value in ("", "0", str(MAX_ID + 1), HUGE, NOT_INT, "٣", " 4", "4 ", "-4", "4.0", "1e3",
                  None, 42):
        assert parse_id(value) is None, value


def test_a_referral_to_an_organisation_number_too_large_is_refused(client, make_org, make_user,
                                                                   make_company):
    user = make_user()
    company = make_company(user.organisation)
    login(client, user)
    for to in (HUGE, NOT_INT):
        response = client.post(f"/companies/{company.id}/refer", data={
            "to_organisation_id": to, "question": "Hulp bij een webshop",
            "entrepreneur_agrees": "y"})
        assert response.status_code == 422, response.get_data(as_text=True)[:2000]
        assert 'class="invalid-feedback' in response.get_data(as_text=True)
    page = client.get(f"/companies/{company.id}/refer", query_string={"offering": HUGE})
    assert page.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_an_offering_row_numbered_oddly_is_ignored(client, make_user):
    login(client, make_user())
    for key in (f"providers-{NOT_INT}-name", f"providers-{HUGE}-name"):
        response = client.post("/offerings/new", data=offering_form(**{key: "Rabobank"}))
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_admin_lookups_with_odd_numbers(client, make_user):
    login(client, make_user(role="admin"))
    assert client.get("/privacy", query_string={"contact": NOT_INT}).status_code == 404
    assert client.get("/privacy", query_string={"contact": HUGE}).status_code == 404
    for args in ({"organisation": NOT_INT}, {"organisation": HUGE}):
        assert client.get("/audit", query_string=args).status_code == 200
    for value in (NOT_INT, HUGE):
        page = client.get("/audit", query_string={"record_id": value})
        assert page.status_code < 500
        assert "A record number is a whole number" in page.get_data(as_text=True) \
            or "Een recordnummer is een heel getal" in page.get_data(as_text=True)


def test_the_monitor_refuses_odd_organisation_and_region_numbers(client, make_user):
    login(client, make_user(role="admin"))
    for args in ({"organisation_id": NOT_INT}, {"organisation_id": HUGE},
                 {"partner": NOT_INT}, {"region": NOT_INT}, {"region": HUGE}):
        response = client.get("/monitor", query_string=args)
        assert response.status_code == 400, (args, response.get_data(as_text=True)[:2000])
        assert "Verbeter de gemarkeerde velden." in response.get_data(as_text=True)


def test_a_merge_with_an_odd_version_is_refused(client, make_user, make_company):
    login(client, make_user(role="admin"))
    survivor = make_company(name="Bakkerij Jansen B.V.", kvk="12345678")
    duplicate = make_company(name="Bakkerij Jansen", kvk=None)
    response = client.post(f"/companies/{survivor.id}/merge/{duplicate.id}", data={
        "survivor_version": NOT_INT, "duplicate_version": HUGE})
    assert response.status_code == 409, response.get_data(as_text=True)[:2000]


# --- every page and form, every name it reads ---------------------------------------------------

#: Values no query parameter or form field should choke on: a digit ``int`` refuses, a number
#: too large for the database, one too long for ``int`` itself (Python refuses more than 4,300
#: digits), a negative one, days at the ends of Python's calendar (a day's bounds in UTC do
#: not exist there), a day that does not exist, and a NUL byte.
ODD_VALUES = (NOT_INT, HUGE, "9" * 5000, "-1", "9999-12-31", "0001-01-01", "2026-02-30", "\x00")


class _ReadKeys(ImmutableMultiDict):
    """Query arguments that note which names a view asked for (present or not)."""

    asked: set = set()

    def get(self, key, *args, **kwargs):
        self.asked.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        self.asked.add(key)
        return super().getlist(key, *args, **kwargs)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


@pytest.fixture
def reading_keys(app, monkeypatch):
    monkeypatch.setattr(app.request_class, "parameter_storage_class", _ReadKeys)
    return _ReadKeys.asked


@pytest.fixture
def signed_in_admin(client, make_org, make_user, make_company, make_contact):
    """An administrator signed in, and a record of each kind with id 1 (company, contact,
    intervention, referral, offering)."""
    admin = make_user(role="admin")
    company = make_company(admin.organisation, name="Proef B.V.")
    make_contact(company, admin.organisation)
    log_intervention(company, {"kind": "intake", "summary": "Kennismaking"}, by=admin)
    refer(company, make_org("EDIH Partner"), "Hulp bij een webshop", by=admin,
          entrepreneur_agrees=True)
    create_offering({"name": "Aanbod", "archetype": "advisering"}, by=admin)
    db.session.commit()
    login(client, admin)
    return admin


def _routes(app, method, skip=()):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if method in rule.methods and rule.endpoint != "static" and \
                not rule.endpoint.endswith(".static") and rule.endpoint not in skip:
            yield rule


def _sweep(app, method, reading_keys, send, skip=(), after_route=None
           ) -> tuple[int, int, list[str]]:
    """``(routes, routes that read a name, what choked)``: each route of ``method`` (records
    with id 1 in its path) sent nothing, noting the names it reads (``send(url, {})``), then
    each of those names alone with each of :data:`ODD_VALUES`; ``after_route()`` after
    each route."""
    routes, swept, choked = 0, 0, []

    def status(url, data) -> None:
        response = send(url, data)
        response.close()  # (a streamed download ends its request here)
        if response.status_code >= 500:
            shown = {k: v[:12] for k, v in data.items()}
            choked.append(f"{method} {url} {shown}: {response.status_code}")

    for rule in _routes(app, method, skip):
        url = _url(rule)
        reading_keys.clear()
        status(url, {})
        asked = set(reading_keys) - {"next", "csrf_token"}
        routes += 1
        swept += bool(asked)
        for key in sorted(asked):
            for value in ODD_VALUES:
                status(url, {key: value})
        if after_route:
            after_route()
    return routes, swept, choked


def test_no_page_chokes_on_an_odd_value_in_any_query_parameter(app, client, signed_in_admin,
                                                                reading_keys):
    """Every page (GET), signed in as an administrator: each query parameter it reads set to
    each of :data:`ODD_VALUES`. Never a 500."""
    pages, swept, choked = _sweep(app, "GET", reading_keys, skip={"auth.logout"},
                                  send=lambda url, args: client.get(url, query_string=args))
    assert pages > 100 and swept > 50, (pages, swept)
    assert not choked, "\n".join(choked)


#: The admin's pages of the reference data.
REFERENCE_ADMIN = ("/admin/provinces", "/admin/municipalities", "/admin/regions",
                   "/admin/sbi-sections")

#: Posts that would end the sweep's session or its administrator's sign-in; the API (which
#: has its own schemathesis tests); the reference data, which every test shares (a name of
#: ``²`` is a fine name for a region: see :func:`test_reference_forms_refuse_a_nul_byte`).
NOT_SWEPT = ("/api/", "password", "mfa", "/login", "/logout", *REFERENCE_ADMIN)


def test_no_form_chokes_on_an_odd_value_in_any_field(app, client, signed_in_admin,
                                                      reading_keys):
    """Every form of the pages (POST): posted empty, then each field it reads alone set to
    each of :data:`ODD_VALUES`. Never a 500 (a post that did something, such as a withdrawal,
    is fine: the sweep signs in again after each form)."""
    skip = {rule.endpoint for rule in app.url_map.iter_rules()
            if any(part in rule.rule for part in NOT_SWEPT)}
    before = reference_rows()
    forms, swept, choked = _sweep(app, "POST", reading_keys,
                                  lambda url, data: client.post(url, data=data), skip=skip,
                                  after_route=lambda: login(client, signed_in_admin))
    assert forms > 45 and swept > 10, (forms, swept)
    assert not choked, "\n".join(choked)
    assert reference_rows() == before


def reference_rows() -> dict[str, int]:
    db.session.expire_all()
    return {name: db.session.scalar(sa.select(sa.func.count()).select_from(
        db.metadata.tables[name])) for name in REFERENCE_TABLES - {"alembic_version"}}


def test_reference_forms_refuse_a_nul_byte(app, client, signed_in_admin, reading_keys):
    """The admin's forms for provinces, municipalities, regions and SBI sections (created and
    edited), each field alone holding a NUL byte: never a 500 (on PostgreSQL the uniqueness
    checks looked the value up), no row added or changed, and a text field says why."""
    before = reference_rows()
    names = {name: db.session.scalar(sa.select(table.c.name).limit(1))
             for name, table in db.metadata.tables.items()
             if name in REFERENCE_TABLES and "name" in table.c}
    choked = []
    for rule in _routes(app, "POST"):
        if not rule.rule.startswith(REFERENCE_ADMIN) or "/action/" in rule.rule:
            continue
        url = _url(rule) + ("?id=1" if "/edit/" in rule.rule else "")
        reading_keys.clear()
        client.post(url, data={}).close()
        for key in set(reading_keys) - {"next", "csrf_token", "url", "id"}:
            response = client.post(url, data={key: "a\x00b"})
            if response.status_code >= 500:
                choked.append(f"POST {url} {key}: {response.status_code}")
    assert not choked, "\n".join(choked)
    page = client.post("/admin/regions/new/", data={"name": "Regio\x00"}).get_data(as_text=True)
    assert "(een NUL-byte)" in page
    assert reference_rows() == before
    assert {name: db.session.scalar(sa.select(db.metadata.tables[name].c.name).limit(1))
            for name in names} == names
