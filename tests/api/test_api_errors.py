"""Errors are JSON with the right status, whatever the input; never a 500."""
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.api.tokens import revoke_token
from crm.extensions import db
from crm.models import ApiToken, utcnow
from tests.conftest import login

from .conftest import Api


def _error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


# --- authentication ---------------------------------------------------------------------------

def test_missing_header_is_401_with_a_challenge(anonymous, network):
    response = anonymous.get("/companies/01234567")
    _error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer", "Bearer vd_nietbestaand", "Basic dXNlcjpwdw==",
                                    "bearer " + "x" * 5000, "Bearer vd_\u00e9\u00e9"])
def test_invalid_tokens_are_401(client, network, header):
    response = client.get("/api/v1/organisations", headers={"Authorization": header})
    _error(response, 401)
    assert "WWW-Authenticate" in response.headers


def test_a_revoked_token_is_401(client, network, token_for):
    token = token_for(network.user_a)
    api = Api(client, token)
    assert api.get("/organisations").status_code == 200
    revoke_token(db.session.scalars(sa.select(ApiToken)).one(), by=network.user_a)
    db.session.commit()
    _error(api.get("/organisations"), 401, "invalid_token")


def test_inactive_users_and_organisations_are_401(client, network, token_for):
    api = Api(client, token_for(network.user_a))
    network.user_a.active = False
    db.session.commit()
    _error(api.get("/organisations"), 401)
    network.user_a.active = True
    network.a.active = False
    db.session.commit()
    _error(api.get("/organisations"), 401)


def test_the_scheme_is_case_insensitive_and_last_used_is_recorded(client, network, token_for):
    token = token_for(network.user_a)
    response = client.get("/api/v1/organisations", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200
    row = db.session.scalars(sa.select(ApiToken)).one()
    assert utcnow() - row.last_used_at < timedelta(seconds=30)


def test_a_signed_in_browser_session_does_not_authenticate_the_api(client, network):
    login(client, network.user_a)
    _error(client.get("/api/v1/organisations"), 401)
    _error(client.post("/api/v1/companies", json={"kvk": "12345678"}), 401)


# --- routing ----------------------------------------------------------------------------------

def test_unknown_paths_are_json_404_not_a_login_redirect(anonymous, network):
    _error(anonymous.get("/bestaat-niet"), 404, "not_found")
    _error(anonymous.get("/referrals/1/explode"), 404)


def test_wrong_method_is_json_405(api_as, network):
    response = api_as(network.user_a).request("PUT", "/companies", json={})
    _error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("path", ["/companies/1234", "/companies/%00%00%00%00%00%00%00%00",
                                  "/companies/abcdefgh", "/companies/99999999",
                                  "/companies/%F0%9F%98%80/timeline",
                                  "/referrals/99999999999999999999",
                                  "/companies/12345678/contacts"])
def test_absent_records_are_404(api_as, network, path):
    _error(api_as(network.user_a).get(path), 404)


@pytest.mark.parametrize("query", ["page=abc", "page=0", "per_page=101", "page=" + "9" * 5000,
                                   "per_page=-1"])
def test_bad_paging_is_400(api_as, network, query):
    _error(api_as(network.user_a).get("/companies?" + query), 400, "invalid_parameter")


@pytest.mark.parametrize("query", ["box=kelder", "status=weg"])
def test_bad_referral_filters_are_400(api_as, network, query):
    _error(api_as(network.user_a).get("/referrals?" + query), 400)


@pytest.mark.parametrize("q", ["%00", "%", "_", "\\", "'; drop table companies; --", "x" * 5000,
                               "%ED%A0%80", "%FF%FE"])
def test_odd_search_queries_do_not_fail(api_as, network, q):
    response = api_as(network.user_a).get("/companies?q=" + q)
    assert response.status_code == 200


# --- bodies -----------------------------------------------------------------------------------

COMPANY = {"kvk": "87654321", "name": "Nieuw B.V.", "sbi": "6201", "size_class": "micro",
           "municipality": "Utrecht"}


@pytest.mark.parametrize("data", [b"{", b"[1, 2", b"\xff\xfe{}", b"{\"name\": \"\xe9\"}",
                                  b"NaN", b"{\"employees\": NaN}", b"[" * 100_000,
                                  b"{\"employees\": 1" + b"0" * 5000 + b"}"])
def test_malformed_json_is_400(api_as, network, data):
    response = api_as(network.user_a).post("/companies", data=data,
                                           headers={"Content-Type": "application/json"})
    _error(response, 400)


@pytest.mark.parametrize("body", [[], "string", 42, None, [COMPANY]])
def test_a_body_that_is_not_an_object_is_400(api_as, network, body):
    data = json.dumps(body).encode()
    response = api_as(network.user_a).post("/companies", data=data,
                                           headers={"Content-Type": "application/json"})
    _error(response, 400, "invalid_json")


@pytest.mark.parametrize("field, value", [("name", 42), ("kvk", ["01234567"]),
                                          ("employees", "12"), ("employees", True),
                                          ("employees", 3.5), ("non_mailing", "ja"),
                                          ("trade_names", "Eén"), ("trade_names", [1, 2]),
                                          ("sbi", {"code": "62"}), ("name", None)])
def test_wrong_types_are_400_naming_the_field(api_as, network, field, value):
    error = _error(api_as(network.user_a).post("/companies", {**COMPANY, field: value}), 400,
                   "invalid_type")
    assert list(error["fields"]) == [field]


def test_missing_fields_are_422_with_every_field(api_as, network):
    error = _error(api_as(network.user_a).post("/companies", {}), 422, "validation_failed")
    assert set(error["fields"]) >= {"kvk", "name", "sbi", "municipality"}
    assert error["fields"]["kvk"] == ["This field is required."]


def test_operation_errors_use_the_api_field_names(api_as, network):
    error = _error(api_as(network.user_a).post("/companies", {
        **COMPANY, "kvk": "123", "sbi": "0400", "municipality": "Atlantis",
        "website": "geen website", "phase": "bejaard"}), 422)
    assert set(error["fields"]) == {"kvk", "sbi", "municipality", "website", "phase"}
    assert "sbi_code" not in error["fields"] and "municipality_id" not in error["fields"]
    assert "0400" in error["fields"]["sbi"][0]


def test_size_class_or_employees_is_needed(api_as, network):
    body = {k: v for k, v in COMPANY.items() if k != "size_class"}
    error = _error(api_as(network.user_a).post("/companies", body), 422)
    assert list(error["fields"]) == ["size_class"]


@pytest.mark.parametrize("value", ["a" * 100_000, "a\x00b", "a\ud800b", "\x1b[31m"])
def test_huge_or_unstorable_strings_are_422(api_as, network, value):
    error = _error(api_as(network.user_a).post("/companies", {**COMPANY, "name": value}), 422)
    assert list(error["fields"]) == ["name"]


def test_a_lone_surrogate_escape_is_422(api_as, network):
    data = json.dumps({**COMPANY, "name": "x"})[:-1] + ', "website": "\\ud800"}'
    response = api_as(network.user_a).post("/companies", data=data.encode(),
                                           headers={"Content-Type": "application/json"})
    assert list(_error(response, 422)["fields"]) == ["website"]


def test_too_large_bodies_are_413(api_as, network):
    data = json.dumps({**COMPANY, "padding": "x" * 300_000}).encode()
    response = api_as(network.user_a).post("/companies", data=data,
                                           headers={"Content-Type": "application/json"})
    _error(response, 413)


def test_intervention_errors(api_as, network):
    api = api_as(network.user_a)
    error = _error(api.post("/interventions", {"kvk": "01234567", "kind": "koffie",
                                               "date": "gisteren", "bottlenecks": ["geld"]}),
                   422)
    assert set(error["fields"]) == {"kind", "date", "bottlenecks"}
    error = _error(api.post("/interventions", {"kvk": "99999999", "kind": "intake"}), 422)
    assert list(error["fields"]) == ["kvk"]
    error = _error(api.post("/interventions", {"kvk": "01234567", "kind": "intake",
                                               "date": "1999-12-31"}), 422)
    assert list(error["fields"]) == ["date"]
    _error(api.post("/interventions", {"kvk": "01234567", "kind": "intake",
                                       "topics": "ai"}), 400)


def test_consent_needs_a_basis(api_as, network):
    api = api_as(network.user_a)
    assert list(_error(api.post("/companies/01234567/consent", {"basis": "   "}),
                       422)["fields"]) == ["basis"]
    assert list(_error(api.post("/companies/01234567/consent", {}), 422)["fields"]) == ["basis"]
    _error(api.post("/companies/01234567/consent", {"basis": 1}), 400)


def test_contact_errors(api_as, network):
    error = _error(api_as(network.user_a).post("/companies/01234567/contacts", {
        "name": "Jan", "email": "geen-adres", "phone": "bel me"}), 422)
    assert set(error["fields"]) == {"email", "phone"}


def test_messages_follow_the_users_language(api_as, network, make_user):
    from crm.catalogue import translate
    dutch = make_user(org=network.a, locale="nl")
    error = _error(api_as(dutch).post("/companies", {}), 422)
    assert error["message"] == translate("Please correct the marked fields.", "nl")
    assert error["fields"]["kvk"] == [translate("This field is required.", "nl")]
    english = _error(api_as(network.user_a).post("/companies", {}), 422)
    assert english["message"] == "Please correct the marked fields."


# --- random bodies: never a 500 ---------------------------------------------------------------

_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
            | st.text(max_size=30))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=8)

_company_values = {
    "kvk": st.sampled_from(["01234567", "1234567", "", " 8765 4321"]) | _json,
    "name": st.text(max_size=40) | _json,
    "sbi": st.sampled_from(["62", "6201", "01", "99", "", "6"]) | _json,
    "size_class": st.sampled_from(["zzp", "micro", "groot", "xl"]) | _json,
    "municipality": st.sampled_from(["Utrecht", "GM0344", "gm9999", "Súdwest-Fryslân", ""])
    | _json,
    "employees": st.integers(-5, 2_000_000) | _json,
    "phase": st.sampled_from(["starter", "scale-up", "oud"]) | _json,
    "website": st.sampled_from(["www.example.nl", "https://x.nl/a b", ""]) | _json,
    "digital_maturity": st.sampled_from(["laag", "hoog", "?"]) | _json,
    "trade_names": st.lists(st.text(max_size=20), max_size=3) | _json,
    "non_mailing": _json,
}
_intervention_values = {
    "kvk": st.sampled_from(["01234567", "99999999"]) | _json,
    "kind": st.sampled_from(["intake", "telefoon", "workshops", "scans", "koffie"]) | _json,
    "date": st.sampled_from(["2025-01-01", "2025-02-30", "0001-01-01", "9999-12-31",
                             "20250101", ""]) | st.dates().map(str) | _json,
    "summary": st.text(max_size=50) | _json,
    "internal_note": st.text(max_size=50) | _json,
    "bottlenecks": st.lists(st.sampled_from(["weten", "willen", "x"]), max_size=3) | _json,
    "topics": st.lists(st.sampled_from(["ai", "data", "y"]), max_size=3) | _json,
}


def _bodies(values):
    return (st.fixed_dictionaries({}, optional=values)
            | st.dictionaries(st.sampled_from(list(values)), _json, max_size=4) | _json)


def _check(response):
    assert response.status_code in (201, 400, 409, 413, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    if response.status_code >= 400:
        assert set(body["error"]) >= {"code", "message"}
        if response.status_code == 422:
            assert all(isinstance(m, str) for ms in body["error"]["fields"].values()
                       for m in ms)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=_bodies(_company_values))
def test_random_company_bodies_never_fail(api_as, network, body):
    if not hasattr(network, "api"):
        network.api = api_as(network.user_a)
    _check(network.api.post("/companies", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"}))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=_bodies(_intervention_values))
def test_random_intervention_bodies_never_fail(api_as, network, body):
    if not hasattr(network, "api"):
        network.api = api_as(network.user_a)
    _check(network.api.post("/interventions", data=json.dumps(body).encode(),
                            headers={"Content-Type": "application/json"}))
