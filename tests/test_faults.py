"""Faults: the database going away in the middle of a request, and a worker killed in the
middle of one. The fault points are deterministic (a statement hook, a file the worker waits on),
never a race against the clock."""
import contextlib
import os
import signal
import threading
import time

import requests
import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditEntry, Intervention
from tests.conftest import PASSWORD, login
from tests.live import HttpUser, running_gunicorn

DUTCH_503 = "De database is op dit moment niet bereikbaar"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def audited(record_type: str = "intervention") -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.record_type == record_type))


@contextlib.contextmanager
def database_goes_away_at(statement_prefix: str):
    """The database connection dies just before the first statement starting with
    ``statement_prefix`` (SQLite: an I/O error; PostgreSQL: the server ends the backend)."""
    engine = db.engine
    fired = []
    admin = None
    if engine.dialect.name == "postgresql":
        admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)

    def hook(conn, cursor, statement, parameters, context, executemany):
        if fired or not statement.lstrip().upper().startswith(statement_prefix):
            return
        fired.append(statement)
        if admin is None:
            raise engine.dialect.dbapi.OperationalError("disk I/O error")  # the driver's own
        pid = conn.connection.dbapi_connection.info.backend_pid
        with admin.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    sa.event.listen(engine, "before_cursor_execute", hook)
    try:
        yield fired
    finally:
        sa.event.remove(engine, "before_cursor_execute", hook)
        if admin is not None:
            admin.dispose()


def quick_log(client, company, summary):
    return client.post(f"/companies/{company.id}/interventions/new", data={
        "kind": "intake", "occurred_on": "2026-03-02", "bottlenecks": ["kunnen", "weten"],
        "summary": summary, "internal_note": "intern"})


def test_database_gone_mid_request_gives_a_dutch_503_and_no_partial_write(
        client, make_user, make_company):
    user, company = make_user(), make_company()
    login(client, user)
    with database_goes_away_at("INSERT INTO AUDIT_ENTRIES") as fired:
        response = quick_log(client, company, "Eerste gesprek")
    assert fired, "the fault point was never reached"
    text = response.get_data(as_text=True)
    assert response.status_code == 503, text[:1000]
    assert DUTCH_503 in text and "Traceback" not in text
    # The intervention (and its bottlenecks) were written before the audit entry: none is kept.
    assert count(Intervention) == 0 and audited() == 0
    # The app recovers by itself: the same request now succeeds, once.
    assert quick_log(client, company, "Eerste gesprek").status_code == 302
    assert count(Intervention) == 1 and audited() == 1


def test_database_gone_mid_api_request_gives_a_json_503_and_no_partial_write(
        client, make_user, make_company):
    from crm.api.tokens import create_token
    user, company = make_user(locale="en"), make_company(kvk="01234567")
    token = create_token(user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"kvk": "01234567", "kind": "intake", "date": "2026-03-02", "summary": "Gesprek",
            "bottlenecks": ["kunnen"]}
    with database_goes_away_at("INSERT INTO AUDIT_ENTRIES") as fired:
        response = client.post("/api/v1/interventions", json=body, headers=headers)
    assert fired and response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"
    assert "Nothing of what you just did has been saved" in response.json["error"]["message"]
    assert count(Intervention) == 0
    assert client.post("/api/v1/interventions", json=body, headers=headers).status_code == 201
    assert count(Intervention) == 1


def test_database_gone_while_signing_in_is_a_503_not_a_500(client, make_user):
    user = make_user()
    email = user.email
    with database_goes_away_at("SELECT") as fired:
        response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert fired and response.status_code == 503
    assert DUTCH_503 in response.get_data(as_text=True)
    login(client, user)  # and afterwards it works


# -- a worker killed mid-request --------------------------------------------------------------

def wait_for(path, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} never appeared")
        time.sleep(0.02)
    return path.read_text()


def test_a_worker_killed_mid_request_loses_nothing_committed(
        app, database_url, tmp_path, make_user, make_company):
    user, company = make_user(), make_company()
    faults = tmp_path / "faults"
    faults.mkdir()
    with running_gunicorn(database_url, tmp_path, workers=2, threads=1,
                          env={"CRM_TEST_FAULT_DIR": str(faults)}) as server:
        browser = HttpUser(server.url, user.email, PASSWORD)
        token = browser.csrf(f"/companies/{company.id}")
        url = f"/companies/{company.id}/interventions/new"

        def log(summary):
            return browser.http.post(server.url + url, allow_redirects=False, timeout=60, data={
                "csrf_token": token, "kind": "intake", "occurred_on": "2026-03-02",
                "bottlenecks": ["kunnen"], "summary": summary})

        for n in range(3):
            assert log(f"Vastgelegd {n}").status_code == 302
        (faults / "block").touch()
        outcome = {}

        def doomed():
            try:
                outcome["response"] = log("Halverwege")
            except requests.RequestException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=doomed)
        thread.start()
        pid = int(wait_for(faults / "reached"))  # the intervention row is sent, not committed
        assert pid in server.worker_pids()
        os.kill(pid, signal.SIGKILL)
        thread.join(60)
        (faults / "block").unlink()
        assert "response" not in outcome or outcome["response"].status_code >= 500
        # The master starts a new worker; the database (and on SQLite its write lock) is free.
        server.wait_healthy()
        assert log("Na de crash").status_code == 302
    summaries = sorted(db.session.scalars(sa.select(Intervention.summary)))
    assert summaries == ["Na de crash", "Vastgelegd 0", "Vastgelegd 1", "Vastgelegd 2"]
    assert audited() == 4


def test_after_a_failed_statement_the_next_request_works(app, client, make_user, make_company,
                                                          monkeypatch):
    """A statement that fails for an unforeseen reason gives a 500 page, and the transaction it
    aborted is rolled back with it: the next request on the same connection works (PostgreSQL
    refuses every statement of an aborted transaction until then)."""
    user = make_user()
    company = make_company(user.organisation, name="Na De Fout B.V.")
    login(client, user)
    endpoint = "companies.detail"
    shown = app.view_functions[endpoint]

    def failing(*args, **kwargs):
        db.session.execute(sa.text("INSERT INTO provinces (id, name) "
                                   "SELECT id, name FROM provinces LIMIT 1"))
        return shown(*args, **kwargs)

    monkeypatch.setitem(app.view_functions, endpoint, failing)
    response = client.get(f"/companies/{company.id}")
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    monkeypatch.setitem(app.view_functions, endpoint, shown)
    again = client.get(f"/companies/{company.id}")
    assert again.status_code == 200
    assert "Na De Fout B.V." in again.get_data(as_text=True)
