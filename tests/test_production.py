"""Production shape: /healthz, structured request logs, ProxyFix, and nothing kept in the app
process that another worker needs (two app instances on one database stand for two workers;
one test runs real gunicorn workers)."""
import json
import logging
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from crm import config as settings
from crm.extensions import db
from crm.models import Municipality
from tests.conftest import PASSWORD, login, make_test_app
from tests.live import ROOT, HttpUser, free_port, running_gunicorn


def log_lines(caplog) -> list[dict]:
    return [r.fields for r in caplog.records if r.name == "crm.requests"]


# -- /healthz ---------------------------------------------------------------------------------

def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] is True
    assert response.headers["Cache-Control"] == "no-store"


def unreachable_url(database_url: str, tmp_path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/no/such/dir/crm.sqlite"
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/crm"


def test_healthz_answers_503_when_the_database_is_unreachable(database_url, tmp_path):
    app = make_test_app(unreachable_url(database_url, tmp_path), tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": False}


def test_pages_answer_a_dutch_503_when_the_database_is_unreachable(database_url, tmp_path):
    app = make_test_app(unreachable_url(database_url, tmp_path), tmp_path)
    client = app.test_client()
    page = client.get("/login")  # public, and still touches the database? either way no 500
    assert page.status_code in (200, 503)
    response = client.post("/login", data={"email": "a@example.nl", "password": "x" * 12})
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "De database is op dit moment niet bereikbaar" in text
    assert "Traceback" not in text and response.headers["Retry-After"]
    api = client.get("/api/v1/organisations", headers={"Authorization": "Bearer vd_x"})
    assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"


# -- request logs -----------------------------------------------------------------------------

def test_every_request_logs_one_json_line_with_who_and_how_long(client, make_user, caplog):
    user = make_user()
    login(client, user)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="crm.requests"):
        response = client.get("/?q=Jansen&page=1", headers={"X-Request-ID": "lb-1234.abc"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "lb-1234.abc"
    [line] = log_lines(caplog)
    assert line["request_id"] == "lb-1234.abc"
    assert line["method"] == "GET" and line["path"] == "/" and line["status"] == 200
    assert line["query"] == ["page", "q"]
    assert line["user_id"] == user.id and line["organisation_id"] == user.organisation_id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")
    # One line of valid JSON, without the search term (it may be a person's name).
    from crm.request_log import JsonLines
    record = [r for r in caplog.records if r.name == "crm.requests"][0]
    formatted = JsonLines().format(record)
    assert "\n" not in formatted and json.loads(formatted)["request_id"] == "lb-1234.abc"
    assert "Jansen" not in formatted


@pytest.mark.parametrize("incoming", ["", "a b", "x" * 65, "id;X-Evil: 1", "<script>", "é"])
def test_an_insane_request_id_is_replaced_by_a_generated_one(client, caplog, incoming):
    with caplog.at_level(logging.INFO, logger="crm.requests"):
        response = client.get("/healthz", headers={"X-Request-ID": incoming})
    generated = response.headers["X-Request-ID"]
    assert generated != incoming and len(generated) == 32 and generated.isalnum()
    assert log_lines(caplog)[-1]["request_id"] == generated


def test_anonymous_requests_and_errors_are_logged_too(client, caplog):
    with caplog.at_level(logging.INFO, logger="crm.requests"):
        client.get("/companies/1")  # redirect to sign in
        client.post("/login", data={"email": "x"})  # the form again, with a message
    lines = log_lines(caplog)
    assert [line["status"] for line in lines] == [302, 422]
    assert all(line["user_id"] is None and line["organisation_id"] is None for line in lines)
    assert len({line["request_id"] for line in lines}) == 2


def test_token_like_path_segments_are_masked():
    from crm.request_log import safe_path
    assert safe_path("/s/AbCdEfGhIjKlMnOpQrStUvWxYz0123") == "/s/…"
    assert safe_path("/companies/123456789012345678901234567") == \
        "/companies/123456789012345678901234567"
    assert safe_path("/referrals/12/accept") == "/referrals/12/accept"


# -- ProxyFix and HTTPS -----------------------------------------------------------------------

def test_without_proxy_fix_forwarded_headers_are_ignored(client, caplog):
    with caplog.at_level(logging.INFO, logger="crm.requests"):
        response = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9",
                                                   "X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
    assert log_lines(caplog)[-1]["remote_addr"] != "203.0.113.9"


def test_behind_a_proxy_the_client_address_and_scheme_come_from_it(database_url, tmp_path,
                                                                   caplog):
    app = make_test_app(database_url, tmp_path, PROXY_FIX=1)
    with caplog.at_level(logging.INFO, logger="crm.requests"):
        response = app.test_client().get(
            "/healthz", headers={"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert log_lines(caplog)[-1]["remote_addr"] == "198.51.100.7"


def test_configuration_switches(monkeypatch, tmp_path):
    for name in ("CRM_DATABASE_URL", "CRM_PROXY_FIX", "CRM_BENCH_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRM_SECRET_KEY", "k")
    values = settings.from_environment(tmp_path)
    assert values["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'crm.sqlite'}"
    assert values["PROXY_FIX"] == 0 and values["BENCH_ENDPOINTS"] is False
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://crm@db/crm")
    monkeypatch.setenv("CRM_PROXY_FIX", "1")
    values = settings.from_environment(tmp_path)
    assert values["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://crm@db/crm"
    assert values["PROXY_FIX"] == 1


def test_bench_endpoints_exist_only_when_switched_on(client, database_url, tmp_path,
                                                     make_user, make_company):
    assert client.get("/_bench/bare").status_code in (302, 404)
    app = make_test_app(database_url, tmp_path, BENCH_ENDPOINTS=True)
    bench = app.test_client()
    assert bench.get("/_bench/bare").get_data(as_text=True) == "ok"
    user, company = make_user(), make_company(name="Rendertest B.V.")
    login(bench, user)
    page = bench.get(f"/_bench/companies/{company.id}/rendered")
    assert page.status_code == 200 and "Rendertest B.V." in page.get_data(as_text=True)


def test_the_rendering_limit_renders_the_page_the_real_one_is(database_url, tmp_path,
                                                              make_user, make_company,
                                                              monkeypatch):
    """A long journey: the held timeline is the real page's (its latest steps), not the whole
    journey, so the rendering limit times the same HTML."""
    import re
    from datetime import date, timedelta

    from crm.models import Intervention
    from crm.views import health
    from crm.views.companies import TIMELINE_WINDOW
    monkeypatch.setattr(health, "_held", {})  # held per process: not another test's company
    app = make_test_app(database_url, tmp_path, BENCH_ENDPOINTS=True)
    bench = app.test_client()
    user = make_user()
    company = make_company(user.organisation, name="Lange Reis B.V.")
    db.session.add_all(Intervention(company=company, organisation=user.organisation,
                                    occurred_on=date(2026, 1, 1) + timedelta(days=n),
                                    kind="telefoon", summary=f"Stap {n:03d}")
                       for n in range(TIMELINE_WINDOW + 10))
    db.session.commit()
    login(bench, user)

    def steps(path):
        return re.findall(r"Stap \d{3}", bench.get(path).get_data(as_text=True))
    real = steps(f"/companies/{company.id}")
    assert len(real) == TIMELINE_WINDOW
    assert steps(f"/_bench/companies/{company.id}/rendered") == real


# -- nothing in the process that another worker needs -----------------------------------------

@pytest.fixture
def second_worker(database_url, tmp_path):
    """A second app instance on the same database: another worker, another process's memory."""
    return make_test_app(database_url, tmp_path).test_client()


def test_a_session_from_one_worker_is_valid_on_another(client, second_worker, make_user):
    user = make_user()
    login(client, user)
    cookie = client.get_cookie("session")
    second_worker.set_cookie("session", cookie.value)
    assert second_worker.get("/").status_code == 200


def test_the_sign_in_rate_limit_is_shared_between_workers(client, second_worker, make_user):
    user = make_user()
    for _ in range(5):
        client.post("/login", data={"email": user.email, "password": "wrong-password-1"})
    refused = second_worker.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code != 302  # the right password, but the address is locked out


def test_the_front_door_rate_limit_is_shared_between_workers(client, second_worker, make_org):
    make_org(intake_point=True)
    utrecht = db.session.execute(sa.select(Municipality.id).filter_by(name="Utrecht")).scalar()
    codes = []
    for n, worker in enumerate([client, second_worker] * 4):
        codes.append(worker.post("/voordeur", data={
            "kvk": f"{20000000 + n:08d}", "company_name": "Testbedrijf",
            "municipality_id": str(utrecht), "contact_name": "Anna de Vries",
            "email": "anna@example.nl", "consent": "y",
            "question": "Hoe kan ik mijn bestellingen online laten verlopen?"}).status_code)
    assert codes == [302] * 5 + [429] * 3, codes  # 5 per hour per address, counted by both


def test_gunicorn_workers_serve_one_signed_in_session(app, database_url, tmp_path, make_user):
    """Real gunicorn, two worker processes, one browser session across both."""
    user = make_user()
    with running_gunicorn(database_url, tmp_path, workers=2, threads=1) as server:
        browser = HttpUser(server.url, user.email, PASSWORD)
        ids, pids = set(), set()
        for _ in range(12):
            response = browser.get("/")
            assert response.status_code == 200
            ids.add(response.headers["X-Request-ID"])
            pids.add(response.headers["X-Worker-PID"])
        assert len(ids) == 12
        assert pids <= {str(p) for p in server.worker_pids()}
        assert browser.get("/healthz").json()["database"] is True


# -- sessions are revocable although they are signed cookies ----------------------------------

def test_signing_out_ends_the_session_in_every_worker(client, second_worker, make_user):
    user = make_user()
    login(client, user)
    stolen = client.get_cookie("session").value
    second_worker.set_cookie("session", stolen)
    assert second_worker.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302
    replayed = second_worker.get("/")  # the copied cookie is still validly signed, but revoked
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    login(client, user)  # signing in again works
    assert client.get("/").status_code == 200


def test_a_password_change_ends_the_other_sessions_but_not_this_one(
        app, client, second_worker, make_user):
    user = make_user()
    login(client, user)
    login(second_worker, user)
    response = client.post("/account/", data={
        "pw-current_password": PASSWORD, "pw-new_password": "Nieuw-wachtwoord-2026",
        })
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert client.get("/").status_code == 200
    assert second_worker.get("/").status_code == 302


def test_a_password_set_by_an_administrator_ends_the_users_sessions(
        client, second_worker, make_user):
    user = make_user(role="staff")
    admin = make_user(role="admin", org=user.organisation)
    login(second_worker, user)
    login(client, admin)
    response = client.post(f"/admin/users/edit/?id={user.id}", data={
        "email": user.email, "name": user.name, "organisation": str(user.organisation_id),
        "role": "staff", "locale": "nl", "active": "y", "new_password": "Door-beheer-gezet-1"})
    assert response.status_code == 302
    assert second_worker.get("/").status_code == 302  # signed out
    assert client.get("/").status_code == 200  # the administrator stays signed in


def test_the_wsgi_entry_point_freezes_what_start_up_made(database_url):
    """gunicorn's ``wsgi:app`` leaves the start-up objects out of the garbage collector's passes
    (``gc.freeze``): tens of thousands of them, which full passes would otherwise walk."""
    env = {**os.environ, "CRM_DATABASE_URL": database_url, "CRM_REQUEST_LOG": "0",
           "CRM_SECRET_KEY": "freeze-test-secret-key", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) > 10_000
