"""Concurrency against real gunicorn workers on the test database (SQLite with WAL, busy timeout
and ``BEGIN IMMEDIATE`` for writes; PostgreSQL with compare-and-set updates).

The assertions are about outcomes, never about timing: every accepted write is visible, every
refused one got a 409 with a message, nothing answered 5xx, and the timeline agrees with the
audit trail — however the requests happened to interleave. The two-process race is made
deterministic by holding a database lock until both requests are inside their worker.
"""
import re
import sqlite3
import threading
import time
from collections import Counter

import pytest
import requests
import sqlalchemy as sa

from crm.api.tokens import create_token
from crm.extensions import db
from crm.journeys.referrals import refer
from crm.journeys.timeline import timeline_for
from crm.models import AuditEntry, Company, Consent, Municipality, Referral, ReferralStep
from tests.conftest import PASSWORD
from tests.live import HttpUser, running_gunicorn

_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')
CONFLICT_TEXTS = ("changed by someone else", "in the meantime", "intussen", "niet mogelijk",
                  "not possible", "conflict", "Conflict")


def is_refusal(response) -> bool:
    """A 409 that tells the user what happened."""
    return response.status_code == 409 and any(t in response.text for t in CONFLICT_TEXTS)


@pytest.fixture
def network(make_org, make_user, make_company):
    class N:
        pass
    n = N()
    n.a = make_org("Digitale Werkplaats Concurrent", kind="werkplaats")
    n.b = make_org("EDIH Concurrent", kind="edih")
    n.editors = [make_user(org=n.a, locale="en") for _ in range(3)]
    n.sender = make_user(org=n.a, locale="en")
    n.receivers = [make_user(org=n.b, locale="en") for _ in range(2)]
    n.company = make_company(name="Origineel B.V.")
    n.referrals = [refer(n.company, n.b, f"Vraag {i}", by=n.sender, entrepreneur_agrees=True)
                   for i in range(5)]
    db.session.commit()
    n.tokens = [create_token(n.editors[0]), create_token(n.receivers[0])]
    db.session.commit()
    n.utrecht = db.session.execute(sa.select(Municipality.id).filter_by(name="Utrecht")).scalar()
    return n


def company_form(kvk, name, version, municipality_id, token):
    return {"csrf_token": token, "kvk": kvk, "name": name, "establishment_number": "",
            "trade_names": "", "sbi_code": "6201", "employees": "5", "size_class": "micro",
            "phase": "", "municipality_id": str(municipality_id), "website": "",
            "digital_maturity": "onbekend", "version": str(version)}


def run_together(jobs):
    """Start every job at the same moment (a barrier), wait for all; re-raise any error."""
    barrier = threading.Barrier(len(jobs))
    errors = []

    def wrap(job):
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors


def test_many_concurrent_writers_on_one_company_lose_nothing(app, database_url, tmp_path,
                                                             network):
    n = network
    company_id, kvk = n.company.id, n.company.kvk
    referral_ids = [r.id for r in n.referrals]
    results = {"edit": [], "consent": [], "referral": []}
    lock = threading.Lock()

    def note(kind, *row):
        with lock:
            results[kind].append(row)

    with running_gunicorn(database_url, tmp_path, workers=2, threads=4) as server:
        editors = [HttpUser(server.url, u.email, PASSWORD) for u in n.editors]
        receivers = [HttpUser(server.url, u.email, PASSWORD) for u in n.receivers]
        sender = HttpUser(server.url, n.sender.email, PASSWORD)

        def edit_job(i, browser):
            def job():
                for k in range(4):
                    page = browser.get(f"/companies/{company_id}/edit")
                    assert page.status_code == 200, page.status_code
                    version = next(g for g in _VERSION.search(page.text).groups() if g)
                    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)[1]
                    name = f"Bedrijf {i}-{k}"
                    response = browser.post_form(
                        f"/companies/{company_id}/edit",
                        company_form(kvk, name, version, n.utrecht, token), token=token)
                    note("edit", response.status_code, name, is_refusal(response))
            return job

        def consent_job(i, token):
            api = requests.Session()
            api.headers["Authorization"] = f"Bearer {token}"

            def job():
                for k in range(4):
                    given = api.post(f"{server.url}/api/v1/companies/{kvk}/consent",
                                     json={"basis": f"mondeling {i}-{k}"}, timeout=60)
                    note("consent", "give", given.status_code,
                         given.status_code != 409 or bool(given.json()["error"]["message"]))
                    gone = api.delete(f"{server.url}/api/v1/companies/{kvk}/consent",
                                      timeout=60)
                    # No current consent (someone withdrew it first): 404 no_consent.
                    note("consent", "withdraw", gone.status_code,
                         gone.status_code != 404
                         or gone.json()["error"]["code"] == "no_consent")
            return job

        def referral_job(browser, actions):
            def job():
                for rid in referral_ids:
                    for action in actions:
                        data = {"outcome": "Afgerond met advies"} if action == "complete" else {}
                        response = browser.post_form(f"/referrals/{rid}/{action}", data,
                                                     form_page=f"/referrals/{rid}")
                        note("referral", rid, action, response.status_code,
                             is_refusal(response))
            return job

        run_together([edit_job(i, b) for i, b in enumerate(editors)]
                     + [consent_job(i, t) for i, t in enumerate(n.tokens)]
                     + [referral_job(receivers[0], ["accept", "start", "complete"]),
                        referral_job(receivers[1], ["accept", "start", "complete"]),
                        referral_job(sender, ["cancel"])])

    db.session.expire_all()
    # Nothing answered anything but "done" or "refused with a message".
    for status, name, refused in results["edit"]:
        assert status == 302 or (status == 409 and refused), (status, name)
    for kind, status, explained in results["consent"]:
        assert status in ((201, 409) if kind == "give" else (204, 404)) and explained
    for rid, action, status, refused in results["referral"]:
        assert status == 302 or (status == 409 and refused), (rid, action, status)

    # Company edits: every accepted edit is in the audit trail, in one unbroken chain (each
    # saved over the one before it: no lost update), and the last one is what is stored.
    accepted = [name for status, name, _r in results["edit"] if status == 302]
    assert accepted, "no edit got through"
    company = db.session.get(Company, company_id)
    updates = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.record_type == "company", AuditEntry.action == "update",
        AuditEntry.record_id == company_id).order_by(AuditEntry.id)).all()
    names = [u.changes["name"] for u in updates if "name" in u.changes]
    assert sorted(after for _before, after in names) == sorted(accepted)
    previous = "Origineel B.V."
    for before, after in names:
        assert before == previous
        previous = after
    assert company.name == previous
    assert company.version == 1 + len(updates)

    # Consents: each accepted give and withdrawal is a row and an audit entry; one current.
    outcome = Counter((kind, status) for kind, status, _e in results["consent"])
    consents = db.session.scalars(sa.select(Consent).where(Consent.company_id == company_id)).all()
    assert len(consents) == outcome[("give", 201)]
    assert sum(c.withdrawn_at is not None for c in consents) == outcome[("withdraw", 204)]
    assert sum(c.withdrawn_at is None for c in consents) <= 1
    audit = Counter(db.session.execute(sa.select(AuditEntry.action).where(
        AuditEntry.record_type == "consent", AuditEntry.company_id == company_id)).scalars())
    assert audit["create"] == outcome[("give", 201)]
    assert audit["withdraw"] == outcome[("withdraw", 204)]

    # Referrals: the steps are exactly the accepted transitions, the status is the last step's.
    for rid in referral_ids:
        referral = db.session.get(Referral, rid)
        steps = db.session.scalars(sa.select(ReferralStep).where(
            ReferralStep.referral_id == rid, ReferralStep.action != "send")
            .order_by(ReferralStep.id)).all()
        done = sorted(a for r, a, status, _x in results["referral"] if r == rid and status == 302)
        assert sorted(s.action for s in steps) == done
        assert len(done) == len(set(done))  # each step once: two "accept"s never both win
        assert referral.status == (steps[-1].to_status if steps else "requested")
        assert referral.version == 1 + len(steps)
        assert not ("cancel" in done and "accept" in done)

    # The timeline agrees with the audit trail.
    viewer = db.session.get(type(n.sender), n.sender.id)
    items = timeline_for(company, viewer).items
    kinds = Counter((i.type, i.kind) for i in items)
    referral_audit = Counter(db.session.execute(sa.select(AuditEntry.action).where(
        AuditEntry.record_type == "referral", AuditEntry.company_id == company_id)).scalars())
    assert kinds[("referral", "send")] == referral_audit["create"] == len(referral_ids)
    for action in ("accept", "start", "complete", "cancel"):
        assert kinds[("referral-step", action)] == referral_audit[action]
    assert kinds[("consent", "given")] == audit["create"]
    assert kinds[("consent", "withdrawn")] == audit["withdraw"]


# -- accept vs cancel from two worker processes -----------------------------------------------

class HeldLock:
    """Hold the write lock (SQLite) or the referral's row lock (PostgreSQL) from the test."""

    def __init__(self, database_url, referral_id):
        self.url, self.referral_id = database_url, referral_id

    def __enter__(self):
        if self.url.startswith("sqlite"):
            self.conn = sqlite3.connect(sa.make_url(self.url).database, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.engine = sa.create_engine(self.url, poolclass=sa.NullPool)
            self.conn = self.engine.connect()
            self.tx = self.conn.begin()
            self.conn.execute(sa.text("SELECT id FROM referrals WHERE id = :id FOR UPDATE"),
                              {"id": self.referral_id})
        return self

    def waiting_on_it(self) -> int:
        """PostgreSQL: how many other sessions wait for a lock."""
        with self.engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")).scalar()

    def release(self):
        if self.url.startswith("sqlite"):
            self.conn.execute("COMMIT")
            self.conn.close()
        else:
            self.tx.rollback()
            self.conn.close()
            self.engine.dispose()

    def __exit__(self, *exc):
        pass


def wait_until(predicate, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_accept_and_cancel_racing_from_two_workers_have_exactly_one_winner(
        app, database_url, tmp_path, network):
    n = network
    faults = tmp_path / "faults"
    faults.mkdir()
    with running_gunicorn(database_url, tmp_path, workers=2, threads=1,
                          env={"CRM_TEST_FAULT_DIR": str(faults)}) as server:
        receiver = HttpUser(server.url, n.receivers[0].email, PASSWORD)
        sender = HttpUser(server.url, n.sender.email, PASSWORD)
        for round_, referral in enumerate(n.referrals):
            rid = referral.id
            tokens = {"accept": receiver.csrf(f"/referrals/{rid}"),
                      "cancel": sender.csrf(f"/referrals/{rid}")}
            answers = {}
            lock = HeldLock(database_url, rid).__enter__()

            def act(browser, action, name):
                answers[action] = browser.http.post(
                    f"{server.url}/referrals/{rid}/{action}", allow_redirects=False,
                    timeout=60, data={"csrf_token": tokens[action]},
                    headers={"X-Test-Arrival": name})

            first = threading.Thread(target=act, args=(receiver, "accept", f"a{round_}"))
            second = threading.Thread(target=act, args=(sender, "cancel", f"c{round_}"))
            # Alternate who comes first; the second is sent only once the first is inside a
            # worker (a sync worker serves one request at a time, so it goes to the other).
            order = [first, second] if round_ % 2 == 0 else [second, first]
            names = [f"a{round_}", f"c{round_}"] if round_ % 2 == 0 else [f"c{round_}",
                                                                          f"a{round_}"]
            for thread, name in zip(order, names):
                thread.start()
                wait_until(lambda: (faults / f"arrived-{name}").exists(), name)
            if not database_url.startswith("sqlite"):
                # Both read "requested" and now wait to write it: a real race on the version.
                wait_until(lambda: lock.waiting_on_it() >= 2, "both writers blocked")
            lock.release()
            first.join(60)
            second.join(60)
            pids = {(faults / f"arrived-{name}").read_text() for name in names}
            assert len(pids) == 2, "both requests were served by one worker"
            statuses = sorted(r.status_code for r in answers.values())
            assert statuses == [302, 409], {a: r.status_code for a, r in answers.items()}
            loser = next(r for r in answers.values() if r.status_code == 409)
            assert is_refusal(loser), loser.text[:1000]
            db.session.expire_all()
            stored = db.session.get(Referral, rid)
            winner = next(a for a, r in answers.items() if r.status_code == 302)
            assert stored.status == {"accept": "accepted", "cancel": "cancelled"}[winner]
            steps = db.session.scalars(sa.select(ReferralStep.action).where(
                ReferralStep.referral_id == rid, ReferralStep.action != "send")).all()
            assert steps == [winner]
