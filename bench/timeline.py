"""Time a long company journey: building the timeline, and the whole company page.

    python -m bench.timeline --database-url sqlite:///bench/data/crm.sqlite [--generate]
    python -m bench.timeline --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench

Reuses the company register of :mod:`bench.generate` (``--generate`` first tops it up to
1,000,000 companies, or ``--companies``), then adds, once (it is found again on later runs):
8 organisations with a user each and a regional coordinator, one company with a journey of 300
events from those 8 organisations (interventions with bottlenecks and topics, referrals with
their steps, consent given, withdrawn and given again), and background noise on other
companies: 200,000 interventions with bottlenecks and topics, referrals with steps, and
consents, loaded with Core executemany.

Then measures, per viewer (a party to most of the journey, the province's coordinator, and an
organisation that sees only what consent shares), the median and 99th percentile of
:func:`crm.journeys.timeline.timeline_for` (target ≤ 5 ms p50), and of the whole company page
``/companies/<id>`` rendered through the test client with a signed-in user (target ≤ 15 ms
p50). Each timeline call gets a fresh session with the company and the user loaded first, as a
request has them in hand.
"""
import argparse
import gc
import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from .generate import bench_app
from .search import percentile

PREFIX = "Tijdlijnbench"
COMPANY_NAME = f"{PREFIX} Bakkerij De Volgende Deur B.V."
PASSWORD = "Bench-wachtwoord-2026"
EVENTS = 300
BATCH = 10_000
ORG_KINDS = ["edih", "rom", "kvk", "werkplaats", "kennisinstelling", "gemeente", "programma",
             "bank"]


# --- the data -----------------------------------------------------------------------------------

def _bench_company(session):
    from crm.models import Company
    return session.scalars(sa.select(Company).where(Company.name == COMPANY_NAME)).first()


def _users(session):
    from crm.models import User
    return {u.email: u for u in session.scalars(
        sa.select(User).where(User.email.like("tijdlijnbench%")))}


def setup(noise: int, seed: int) -> None:
    """Add the organisations, users, the company with its journey, and the noise (once)."""
    from werkzeug.security import generate_password_hash

    from crm.extensions import db
    from crm.journeys.consent import give_consent, withdraw_consent
    from crm.journeys.interventions import log_intervention
    from crm.journeys.referrals import refer, transition
    from crm.models import Company, Organisation, Province, Referral, ReferralStep, User
    from crm.models.vocabulary import (BOTTLENECK_SLUGS, INTERVENTION_KIND_SLUGS,
                                       REFERRAL_REASON_SLUGS, TOPIC_SLUGS)
    from crm.reference import normalise

    session = db.session
    if _bench_company(session) is not None:
        print("benchmark journey present; not adding it again", flush=True)
        return
    rng = random.Random(seed)
    started = time.perf_counter()
    utrecht = session.scalars(sa.select(Province).where(Province.name == "Utrecht")).one()
    municipality_id = session.scalar(sa.text(
        "SELECT id FROM municipalities WHERE name = 'Utrecht'"))
    password_hash = generate_password_hash(PASSWORD)
    orgs, users = [], []
    for i in range(8):
        org = Organisation(name=f"{PREFIX} Organisatie {i + 1}", kind=ORG_KINDS[i])
        org.provinces = [utrecht]
        session.add(org)
        orgs.append(org)
        user = User(email=f"tijdlijnbench{i + 1}@example.nl", name=f"Medewerker {i + 1}",
                    password_hash=password_hash, organisation=org,
                    role="account_manager" if i % 2 == 0 else "staff")
        session.add(user)
        users.append(user)
    regio = Organisation(name=f"{PREFIX} Regio", kind="provincie")
    outsider_org = Organisation(name=f"{PREFIX} Buitenstaander", kind="commercieel")
    session.add_all([regio, outsider_org])
    coordinator = User(email="tijdlijnbench-coordinator@example.nl", name="Coördinator",
                       password_hash=password_hash, organisation=regio, role="coordinator")
    coordinator.provinces = [utrecht]
    outsider = User(email="tijdlijnbench-outsider@example.nl", name="Buitenstaander",
                    password_hash=password_hash, organisation=outsider_org, role="staff")
    session.add_all([coordinator, outsider])
    session.flush()

    kvk = 99999999
    while session.scalar(sa.select(Company.id).where(Company.kvk == f"{kvk:08d}")):
        kvk -= 1
    company = Company(kvk=f"{kvk:08d}", name=COMPANY_NAME, sort_name=normalise(COMPANY_NAME),
                      search_text=normalise(COMPANY_NAME), sbi_code="1071", sbi_section="C",
                      employees=12, size_class="klein", municipality_id=municipality_id,
                      province_id=utrecht.id)
    session.add(company)
    session.flush()

    # The journey: 300 events over three years from the 8 organisations.
    events, day = 0, date(2023, 4, 3)
    give_consent(company, "mondeling bij intake", by=users[0])
    events += 1
    referrals = []
    while events < EVENTS:
        day += timedelta(days=rng.randint(1, 4))
        user = users[rng.randrange(8)]
        if rng.random() < 0.11 and events < EVENTS - 4:
            receiver = rng.choice([u for u in users if u.organisation_id != user.organisation_id])
            referral = refer(company, receiver.organisation,
                             f"{PREFIX}: vraag van de ondernemer nummer {events}", by=user,
                             context="Wat wij al weten: " + "context " * 20,
                             entrepreneur_agrees=True)
            events += 1
            path = rng.choice([["accept"], ["accept", "start"], ["accept", "start", "complete"],
                               ["reject"], ["accept", "fail"], []])
            for action in path:
                args = {}
                if action == "complete":
                    args["outcome"] = "Scan uitgevoerd en vervolg afgesproken."
                elif action in ("reject", "fail"):
                    args["reason"] = rng.choice(REFERRAL_REASON_SLUGS[:-1])
                transition(referral, action, by=receiver, **args)
                events += 1
            referrals.append((referral, day))
        else:
            log_intervention(company, {
                "kind": rng.choice(INTERVENTION_KIND_SLUGS), "occurred_on": day,
                "summary": f"{PREFIX}: gesprek over de digitale plannen, " + "tekst " * 30,
                "internal_note": "Interne notitie " * 5,
                "bottlenecks": rng.sample(BOTTLENECK_SLUGS, rng.randint(1, 2)),
                "topics": rng.sample(TOPIC_SLUGS, rng.randint(1, 3))}, by=user)
            events += 1
        if events == 150:
            withdraw_consent(company, by=users[1], note="Even niet.")
            give_consent(company, "getekend formulier", by=users[2])
            events += 2
    session.flush()
    # Spread the referrals' moments over the journey instead of all "now".
    for referral, on in referrals:
        moment = datetime(on.year, on.month, on.day, 10, tzinfo=timezone.utc)
        referral.created_at = moment
        for n, step in enumerate(session.scalars(sa.select(ReferralStep).where(
                ReferralStep.referral_id == referral.id).order_by(ReferralStep.id))):
            step.at = moment + timedelta(days=n * 2)
    session.commit()
    print(f"journey of {events} events added in {time.perf_counter() - started:.1f} s",
          flush=True)
    _noise(db.engine, company.id, [o.id for o in orgs], [u.id for u in users], noise, rng)


def _noise(engine, skip_company: int, org_ids, user_ids, n: int, rng: random.Random) -> None:
    """Interventions (with bottlenecks and topics), referrals (with steps) and consents on other
    companies, so the tables and their indexes have a realistic size."""
    from crm.models import Consent, Intervention, Referral, ReferralStep
    from crm.models.intervention import intervention_bottlenecks, intervention_topics
    from crm.models.vocabulary import (BOTTLENECK_SLUGS, INTERVENTION_KIND_SLUGS,
                                       REFERRAL_REASON_SLUGS, TOPIC_SLUGS)

    started = time.perf_counter()
    with engine.connect() as conn:
        max_id = conn.scalar(sa.text("SELECT max(id) FROM companies"))
        first = (conn.scalar(sa.text("SELECT max(id) FROM interventions")) or 0) + 1

    def company():
        while True:
            cid = rng.randint(1, max_id)
            if cid != skip_company:
                return cid

    now = datetime.now(timezone.utc)
    start_day = date(2022, 1, 3)
    done = 0
    while done < n:
        size = min(BATCH, n - done)
        rows = []
        for _ in range(size):
            o = rng.randrange(8)
            rows.append({"company_id": company(), "organisation_id": org_ids[o],
                         "user_id": user_ids[o],
                         "occurred_on": start_day + timedelta(days=rng.randrange(1400)),
                         "kind": rng.choice(INTERVENTION_KIND_SLUGS), "summary": "Ruis " * 10,
                         "internal_note": "", "created_at": now})
        with engine.begin() as conn:
            conn.execute(sa.insert(Intervention.__table__), rows)
            ids = conn.scalars(sa.select(Intervention.id).where(
                Intervention.id >= first).order_by(Intervention.id.desc()).limit(size)).all()
            conn.execute(sa.insert(intervention_bottlenecks), [
                {"intervention_id": i, "bottleneck": rng.choice(BOTTLENECK_SLUGS)}
                for i in ids])
            conn.execute(sa.insert(intervention_topics), [
                {"intervention_id": i, "topic": t} for i in ids
                for t in rng.sample(TOPIC_SLUGS, rng.randint(1, 2))])
        done += size
        if done % 50_000 == 0 or done == n:
            print(f"{done:>9,} / {n:,} noise interventions  "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)

    referrals = n // 10
    statuses = ["requested", "accepted", "in-progress", "on-hold", "completed", "rejected",
                "failed", "cancelled"]
    with engine.connect() as conn:
        first = (conn.scalar(sa.text("SELECT max(id) FROM referrals")) or 0) + 1
    done = 0
    while done < referrals:
        size = min(BATCH, referrals - done)
        rows = []
        for _ in range(size):
            a, b = rng.sample(range(8), 2)
            status = rng.choice(statuses)
            rows.append({
                "company_id": company(), "from_organisation_id": org_ids[a],
                "to_organisation_id": org_ids[b], "question": "Ruisvraag", "context": "",
                "entrepreneur_agrees": True, "status": status,
                "reason": rng.choice(REFERRAL_REASON_SLUGS[:-1])
                if status in ("rejected", "failed") else None,
                "outcome": "Gedaan" if status == "completed" else None,
                "accept_due_on": start_day + timedelta(days=rng.randrange(1400)),
                "created_by_id": user_ids[a], "created_at": now, "version": 1})
        with engine.begin() as conn:
            conn.execute(sa.insert(Referral.__table__), rows)
            got = conn.execute(sa.select(Referral.id, Referral.status,
                                         Referral.from_organisation_id,
                                         Referral.to_organisation_id)
                               .where(Referral.id >= first).order_by(Referral.id.desc())
                               .limit(size)).all()
            steps = []
            for rid, status, from_id, to_id in got:
                steps.append({"referral_id": rid, "from_status": None, "to_status": "requested",
                              "action": "send", "organisation_id": from_id, "at": now})
                if status != "requested":
                    steps.append({"referral_id": rid, "from_status": "requested",
                                  "to_status": status, "action": "accept",
                                  "organisation_id": to_id, "at": now})
            conn.execute(sa.insert(ReferralStep.__table__), steps)
        done += size
    consents = n // 5
    with engine.begin() as conn:
        taken = set(conn.scalars(sa.select(Consent.company_id).where(
            Consent.withdrawn_at.is_(None))))
        ids = [c for c in rng.sample(range(1, max_id + 1), consents + len(taken) + 1)
               if c not in taken and c != skip_company][:consents]
        for start in range(0, len(ids), BATCH):
            conn.execute(sa.insert(Consent.__table__), [
                {"company_id": c, "organisation_id": org_ids[rng.randrange(8)],
                 "basis": "mondeling", "given_at": now} for c in ids[start:start + BATCH]])
    print(f"noise: {n:,} interventions, {referrals:,} referrals, {consents:,} consents "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    t = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("interventions", "intervention_bottlenecks", "intervention_topics",
                          "referrals", "referral_steps", "consents", "organisations", "users"):
                conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
    else:
        with engine.connect() as conn:
            # Read every PRAGMA's answer: an unfinished statement would keep the checkpoint
            # from running ("database table is locked").
            conn.exec_driver_sql("PRAGMA analysis_limit = 2000").all()
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").all()
    print(f"analysed in {time.perf_counter() - t:.1f} s", flush=True)


# --- the measurements ---------------------------------------------------------------------------

def _stats(values):
    return statistics.median(values), percentile(values, 99), max(values)


def _line(label, values, target=None):
    p50, p99, worst = _stats(values)
    verdict = ""
    if target is not None:
        verdict = "  ok" if p50 <= target else f"  MISSED (target p50 ≤ {target} ms)"
    return (f"{label:<44}{len(values):>6}{p50:>9.2f}{p99:>9.2f}{worst:>9.2f}{verdict}")


def measure(app, runs: int, warmup: int, freeze: bool, profile: str | None) -> None:
    from crm.extensions import db
    from crm.journeys.timeline import timeline_for
    from crm.models import Company, User

    with app.app_context():
        session = db.session
        company = _bench_company(session)
        company_id = company.id
        users = _users(session)
        viewers = [("party (org 1, most events)", users["tijdlijnbench1@example.nl"].id),
                   ("coordinator of the province", users[
                       "tijdlijnbench-coordinator@example.nl"].id),
                   ("third organisation (consent)", users[
                       "tijdlijnbench-outsider@example.nl"].id)]
        from crm.database import commit_if_only_read
        backend, engine = db.engine.dialect.name, db.engine
        counts = {t: session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in (
            "companies", "interventions", "referrals", "referral_steps", "consents")}
        session.remove()

        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        def one(uid, record=None):
            # End the previous call's transaction as a request does (see crm/database.py)
            commit_if_only_read()
            db.session.remove()
            company = db.session.get(Company, company_id)
            viewer = db.session.get(User, uid)
            _ = viewer.organisation.name, list(viewer.provinces), company.province_id
            if record is not None:
                sa.event.listen(db.engine, "before_cursor_execute", count)
            started = time.perf_counter()
            timeline = timeline_for(company, viewer)
            elapsed = time.perf_counter() - started
            if record is not None:
                sa.event.remove(db.engine, "before_cursor_execute", count)
            return elapsed * 1000, timeline

        details = {}
        for label, uid in viewers:
            statements.clear()
            _, timeline = one(uid, record=True)
            details[label] = (len(timeline.items), len(timeline.open_referrals),
                              len(statements))
        for _ in range(warmup):
            for _, uid in viewers:
                one(uid)
        if freeze:
            gc.collect()
            gc.freeze()
        timings = {label: [] for label, _ in viewers}
        for _ in range(runs):
            for label, uid in viewers:
                timings[label].append(one(uid)[0])
        db.session.remove()
        if profile:
            _profile_timeline(one, viewers[0][1])

    # The whole page, through the test client, signed in as the party user. Outside the app
    # context above, so that every request has its own (its own session, its own g), as in
    # production.
    client = app.test_client()
    response = client.post("/login", data={"email": "tijdlijnbench1@example.nl",
                                           "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: {response.status_code}")
    url = f"/companies/{company_id}"
    response = client.get(url)
    html = response.get_data(as_text=True)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    on_page = html.count(f"{PREFIX}: gesprek")
    page_statements = []
    listener = lambda conn, cursor, statement, *args: page_statements.append(statement)  # noqa
    sa.event.listen(engine, "before_cursor_execute", listener)
    client.get(url)
    sa.event.remove(engine, "before_cursor_execute", listener)
    for _ in range(warmup):
        client.get(url)
    page = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        page.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200

    if profile:
        _profile_page(client, url)

    print(f"\nbackend: {backend}   " + "   ".join(f"{t}: {n:,}" for t, n in counts.items())
          + f"   gc.freeze: {'yes' if freeze else 'no'}")
    print(f"company {company_id}: journey of {EVENTS} events from 8 organisations")
    for label, (items, open_refs, n) in details.items():
        print(f"  {label:<32} sees {items:>3} items, {open_refs} open referrals, "
              f"{n} SQL statements")
    print(f"\n{'measurement':<44}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, values in timings.items():
        print(_line(f"timeline_for: {label}", values, target=5))
    print(_line(f"GET {url} (whole page)", page, target=15))
    print(f"page: {len(page_statements)} SQL statements per request")
    print(f"page size {len(html):,} bytes; timeline entries found on the page: {on_page}"
          + ("" if on_page else "  (the timeline is not on the company page yet)"))


def _profile_timeline(one, uid):
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        one(uid)
    profiler.disable()
    print("\n--- profile: 200 × timeline_for (cumulative) ---")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    print("\n--- profile: 200 × timeline_for (own time) ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def _profile_page(client, url):
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        client.get(url)
    profiler.disable()
    print("\n--- profile: 200 × GET company page (cumulative) ---")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    print("\n--- profile: 200 × GET company page (own time) ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true",
                        help="first generate (top up to) --companies companies")
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--noise", type=int, default=200_000,
                        help="background interventions on other companies")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the garbage collector alone after warm-up")
    parser.add_argument("--profile", action="store_true", help="print cProfile output too")
    args = parser.parse_args(argv)

    app = bench_app(args.database_url,
                    generate_companies=args.companies if args.generate else None)
    with app.app_context():
        setup(args.noise, args.seed)
    measure(app, args.runs, args.warmup, not args.no_freeze,
            "cprofile" if args.profile else None)


if __name__ == "__main__":
    main()
