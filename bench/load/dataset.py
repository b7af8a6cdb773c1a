"""The load dataset: companies (``bench.generate``), a network of organisations and users, and
events — interventions with bottlenecks, referrals with their steps, consents — loaded with
COPY on PostgreSQL (Core executemany on SQLite) in big batches. Tops up: a second run with the
same numbers adds nothing.

Events are skewed the way journeys are: half of them land on a set of *active* companies
(0.5 % of the register, at least 1,000), so those have long timelines (the company pages the
load generator opens), the rest is spread over the whole register.
"""
import random
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

BATCH = 100_000
PASSWORD = "Bench-wachtwoord-2026"
#: The question of the dataset's referrals (the load's own referrals ask another).
REFERRAL_QUESTION = "Kan de volgende deur helpen?"
ORG_PREFIX = "Loadtest organisatie "
USER_DOMAIN = "load.bench.example"
KINDS = ["edih", "werkplaats", "programma", "kvk", "rom", "gemeente", "provincie",
         "kennisinstelling", "bank", "branche"]


def active_count(companies: int) -> int:
    return max(1_000, companies // 200)


def _copy(conn, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Append rows: COPY on PostgreSQL, executemany elsewhere."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                             rows)


def _next_id(conn, table: str) -> int:
    return (conn.scalar(sa.text(f"SELECT max(id) FROM {table}")) or 0) + 1


def _fix_sequence(conn, table: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def ensure_network(engine, organisations: int, users: int) -> None:
    """``organisations`` active organisations (all over the country) with ``users`` users
    between them, all with password :data:`PASSWORD`."""
    from werkzeug.security import generate_password_hash
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        have = conn.scalar(sa.text("SELECT count(*) FROM organisations WHERE name LIKE :p"),
                           {"p": ORG_PREFIX + "%"})
        provinces = conn.scalars(sa.text("SELECT id FROM provinces ORDER BY id")).all()
        for n in range(have, organisations):
            oid = conn.execute(sa.text(
                "INSERT INTO organisations (name, kind, active, intake_point, created_at) "
                "VALUES (:name, :kind, :active, :intake, :now) RETURNING id"),
                {"name": f"{ORG_PREFIX}{n + 1:04d}", "kind": KINDS[n % len(KINDS)],
                 "active": True, "intake": n < 12, "now": now}).scalar()
            conn.execute(sa.text("INSERT INTO organisation_provinces (organisation_id, "
                                 "province_id) VALUES (:o, :p)"),
                         {"o": oid, "p": provinces[n % len(provinces)]})
        org_ids = conn.scalars(sa.text("SELECT id FROM organisations WHERE name LIKE :p "
                                       "ORDER BY id"), {"p": ORG_PREFIX + "%"}).all()
        have = conn.scalar(sa.text("SELECT count(*) FROM users WHERE email LIKE :d"),
                           {"d": f"%@{USER_DOMAIN}"})
        if have < users:
            hashed = generate_password_hash(PASSWORD)
            roles = ["account_manager", "staff", "staff", "account_manager", "coordinator"]
            rows = [{"email": f"user{n + 1:05d}@{USER_DOMAIN}", "name": f"Loadtest {n + 1}",
                     "hash": hashed, "org": org_ids[n % len(org_ids)],
                     "role": roles[n % len(roles)] if n % len(roles) != 4 else "staff",
                     "now": now} for n in range(have, users)]
            conn.execute(sa.text(
                "INSERT INTO users (email, name, password_hash, organisation_id, role, active, "
                "locale, created_at) VALUES (:email, :name, :hash, :org, :role, true, 'nl', "
                ":now)"), rows)


def network(engine) -> tuple[list[int], dict[int, list[int]]]:
    """(organisation ids, {organisation id: user ids})."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT u.organisation_id, u.id FROM users u JOIN organisations o "
            "ON o.id = u.organisation_id WHERE o.name LIKE :p ORDER BY u.id"),
            {"p": ORG_PREFIX + "%"}).all()
    users: dict[int, list[int]] = {}
    for org, uid in rows:
        users.setdefault(org, []).append(uid)
    return sorted(users), users


def date_referrals(engine) -> int:
    """Give the dataset's referrals made before 2026-12-06, which were all dated when the
    dataset was built, the day of the contact they came from (a week before their accept-by
    day) and their steps the days after: otherwise every referral ever made falls in the
    monitor's last 12 months. Returns how many it re-dated (none on a later run)."""
    late = ("FROM referrals WHERE question = :q AND created_at > "
            "CAST(accept_due_on AS timestamp) - INTERVAL '6 days'")
    with engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            return 0
        ids = conn.execute(sa.text(f"CREATE TEMP TABLE late_referrals ON COMMIT DROP AS "
                                   f"SELECT id {late}"), {"q": REFERRAL_QUESTION}).rowcount
        conn.execute(sa.text(
            "UPDATE referrals r SET created_at = CAST(r.accept_due_on AS timestamp) "
            "- INTERVAL '7 days' + INTERVAL '8 hours' + (r.id % 600) * INTERVAL '1 minute' "
            "FROM late_referrals l WHERE r.id = l.id"))
        conn.execute(sa.text(
            "UPDATE referral_steps s SET at = r.created_at + CASE WHEN s.from_status IS NULL "
            "THEN INTERVAL '0 days' ELSE (1 + r.id % 5) * INTERVAL '1 day' END "
            "FROM referrals r JOIN late_referrals l ON l.id = r.id "
            "WHERE s.referral_id = r.id"))
    return ids


def top_up_events(engine, events: int, *, seed: int = 7) -> None:
    """Interventions (and, per 10 of them, a referral with its steps; per 25, a consent) until
    the interventions table holds ``events`` rows."""
    from crm.models.vocabulary import (BOTTLENECK_SLUGS, INTERVENTION_KIND_SLUGS,
                                       REFERRAL_REASON_SLUGS)
    orgs, users = network(engine)
    with engine.connect() as conn:
        have = conn.scalar(sa.text("SELECT count(*) FROM interventions"))
        max_company = conn.scalar(sa.text("SELECT max(id) FROM companies"))
    missing = events - have
    if missing <= 0:
        print(f"{have:,} events present; nothing to do", flush=True)
        return
    active = active_count(max_company)
    rng = random.Random(seed + have)
    now = datetime.now(timezone.utc)
    first_day = date(2021, 1, 4)
    statuses = ["requested", "accepted", "in-progress", "completed", "rejected", "cancelled"]
    with engine.connect() as conn:  # one current consent per company
        taken = set(conn.scalars(sa.text(
            "SELECT company_id FROM consents WHERE withdrawn_at IS NULL")))
    started = time.perf_counter()
    done = 0
    while done < missing:
        size = min(BATCH, missing - done)
        with engine.begin() as conn:
            iid, rid, sid = (_next_id(conn, t) for t in
                             ("interventions", "referrals", "referral_steps"))
            interventions, bottlenecks, referrals, steps, consents = [], [], [], [], []
            for n in range(size):
                company = (rng.randint(1, active) if rng.random() < 0.5
                           else rng.randint(1, max_company))
                org = rng.choice(orgs)
                day = first_day + timedelta(days=rng.randrange(2000))
                user, kind = rng.choice(users[org]), rng.choice(INTERVENTION_KIND_SLUGS)
                bottleneck = rng.choice(BOTTLENECK_SLUGS) if n % 2 == 0 else ""
                # The list as the tag table's trigger would write it (then it writes nothing).
                interventions.append((iid + n, company, org, user, day, kind,
                                      "Gesprek over de digitale vraag van de ondernemer",
                                      "", now, bottleneck))
                if bottleneck:
                    bottlenecks.append((iid + n, bottleneck))
                if n % 10 == 0:
                    to = rng.choice(orgs)
                    if to == org:
                        continue
                    status = rng.choice(statuses)
                    r = rid + len(referrals)
                    # Sent on the day of the contact it came from (a period's referrals are
                    # then as many as its contacts suggest, not every one ever made).
                    sent = datetime.combine(day, datetime.min.time(), timezone.utc) + \
                        timedelta(hours=8, minutes=rng.randrange(600))
                    referrals.append((r, company, org, to, REFERRAL_QUESTION, "",
                                      True, status, day + timedelta(days=7),
                                      rng.choice(users[org]), sent,
                                      1 if status == "requested" else 2,
                                      rng.choice(REFERRAL_REASON_SLUGS[:-1])
                                      if status == "rejected" else None,
                                      "Geholpen" if status == "completed" else None))
                    steps.append((sid + len(steps), r, None, "requested", "send", org, sent))
                    if status != "requested":
                        action = {"cancelled": "cancel", "rejected": "reject"}.get(status,
                                                                                   "accept")
                        steps.append((sid + len(steps), r, "requested", status, action,
                                      org if action == "cancel" else to,
                                      sent + timedelta(days=rng.randrange(1, 6))))
                if n % 25 == 0:
                    consents.append((company, org, "mondeling", now))
            _copy(conn, "interventions", ["id", "company_id", "organisation_id", "user_id",
                                          "occurred_on", "kind", "summary", "internal_note",
                                          "created_at", "bottleneck_list"], interventions)
            _copy(conn, "intervention_bottlenecks", ["intervention_id", "bottleneck"],
                  bottlenecks)
            _copy(conn, "referrals", ["id", "company_id", "from_organisation_id",
                                      "to_organisation_id", "question", "context",
                                      "entrepreneur_agrees", "status", "accept_due_on",
                                      "created_by_id", "created_at", "version", "reason",
                                      "outcome"],
                  referrals)
            _copy(conn, "referral_steps", ["id", "referral_id", "from_status", "to_status",
                                           "action", "organisation_id", "at"], steps)
            fresh = {}
            for row in consents:
                if row[0] not in taken:
                    fresh.setdefault(row[0], row)
            _copy(conn, "consents", ["company_id", "organisation_id", "basis", "given_at"],
                  list(fresh.values()))
            taken.update(fresh)
            for table in ("interventions", "referrals", "referral_steps"):
                _fix_sequence(conn, table)
        done += size
        rate = done / (time.perf_counter() - started)
        print(f"{have + done:>12,} / {events:,} events ({rate:,.0f}/s)", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            for table in ("interventions", "intervention_bottlenecks", "referrals",
                          "referral_steps", "consents", "users", "organisations"):
                conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
        else:
            conn.exec_driver_sql("ANALYZE")
