"""Journeys for the monitor benchmark: organisations, users, a coordinator, and interventions,
referrals (with their steps), survey invitations and answers and DMA results for the companies
of one province.

    python -m bench.generate_journeys --database-url sqlite:///bench/data/crm.sqlite \
        --province Zuid-Holland --region-companies 100000 --interventions 1000000 \
        --referrals 100000

Uses the company register of :mod:`bench.generate` (``--companies N`` tops it up first). The
"region" is the first ``--region-companies`` companies of the province (by id); when the
province has fewer, all of them. Rows go in with Core executemany in batches of 10,000 (on
PostgreSQL psycopg sends them as multi-row inserts). The data is marked by its organisations'
names (``Monitorbench …``): a second run finds them and adds nothing (``--force`` adds
another batch on top).

The mix: every company has one to three "home" organisations (most contacts are with them);
kinds weighted as in the Regioscan (scans, workshops and networking most); dates over
2023-01-02 … 2026-10-31; referrals completed 30 %, in progress 10 %, accepted 8 %, on hold 2 %,
requested 12 % (most past their accept-by date), declined 13 %, closed without follow-up 15 %,
cancelled 10 %, each with its steps; survey invitations for half as many interventions as there
are referrals, 45 % answered; two DMA assessments for ``--dma`` companies.
"""
import argparse
import random
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from .generate import absolute_sqlite_url, generate

PREFIX = "Monitorbench"
PASSWORD = "Bench-wachtwoord-2026"
COORDINATOR = "monitorbench-coordinator@example.nl"
BATCH = 10_000
START = date(2023, 1, 2)
DAYS = 1398  # up to 2026-10-31
ORG_KINDS = ["edih", "werkplaats", "rom", "kvk", "programma", "gemeente", "kennisinstelling",
             "bank", "branche", "werkplaats", "edih", "commercieel"]
KIND_WEIGHTS = {"scans": 14, "workshops": 16, "netwerken": 14, "intake": 10, "telefoon": 8,
                "e-mail": 6, "bezoek": 5, "advisering": 8, "signaleren": 3, "subsidies": 4,
                "onderwijs-professionals": 3, "kennisplatform": 3, "faciliteiten": 2,
                "werken-met-studenten": 2, "onderwijs-studenten": 1, "onderzoek": 1}
STATUS_MIX = [("completed", 30), ("in-progress", 10), ("accepted", 8), ("on-hold", 2),
              ("requested", 12), ("rejected", 13), ("failed", 15), ("cancelled", 10)]
STEPS = {"requested": [], "accepted": ["accept"], "in-progress": ["accept", "start"],
         "on-hold": ["accept", "start", "hold"], "completed": ["accept", "start", "complete"],
         "rejected": ["reject"], "failed": ["accept", "fail"], "cancelled": ["cancel"]}
TARGET = {"accept": "accepted", "start": "in-progress", "hold": "on-hold",
          "complete": "completed", "reject": "rejected", "fail": "failed",
          "cancel": "cancelled"}


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def _setup_people(session, province) -> tuple[list, list, object]:
    from werkzeug.security import generate_password_hash

    from crm.models import Organisation, User
    existing = session.scalars(sa.select(Organisation).where(
        Organisation.name.like(f"{PREFIX} %")).order_by(Organisation.id)).all()
    if existing:
        users = session.scalars(sa.select(User).where(User.email.like("monitorbench%"))
                                .order_by(User.id)).all()
        coordinator = next(u for u in users if u.email == COORDINATOR)
        return [o for o in existing if o.kind != "provincie"], \
            [u for u in users if u is not coordinator], coordinator
    password_hash = generate_password_hash(PASSWORD)
    orgs, users = [], []
    for i, kind in enumerate(ORG_KINDS):
        org = Organisation(name=f"{PREFIX} Organisatie {i + 1:02d}", kind=kind)
        org.provinces = [province]
        orgs.append(org)
        users.append(User(email=f"monitorbench{i + 1}@example.nl", name=f"Medewerker {i + 1}",
                          password_hash=password_hash, organisation=org,
                          role="staff" if i % 2 else "account_manager"))
    regio = Organisation(name=f"{PREFIX} Provincie", kind="provincie")
    coordinator = User(email=COORDINATOR, name="Coördinator monitor",
                       password_hash=password_hash, organisation=regio, role="coordinator")
    coordinator.provinces = [province]
    session.add_all([*orgs, *users, regio, coordinator])
    session.commit()
    return orgs, users, coordinator


def _insert(engine, table, rows) -> None:
    for start in range(0, len(rows), BATCH):
        with engine.begin() as conn:
            conn.execute(sa.insert(table), rows[start:start + BATCH])


def _new_ids(engine, table, first: int) -> list[int]:
    with engine.connect() as conn:
        return conn.scalars(sa.select(table.c.id).where(table.c.id >= first)
                            .order_by(table.c.id)).all()


def _max_id(engine, table) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.max(table.c.id))) or 0


def load(engine, companies: list[int], org_ids: list[int], user_ids: list[int], *,
         interventions: int, referrals: int, dma: int, rng: random.Random) -> dict:
    """Insert the journeys; returns the numbers of rows added per table."""
    from crm.models import Intervention, Referral, ReferralStep
    from crm.models.survey import DmaAssessment, SurveyInvitation, SurveyResponse

    n_orgs = len(org_ids)

    def home(company_id: int) -> list[int]:
        r = random.Random(company_id)
        return r.sample(range(n_orgs), 1 + (company_id % 7 == 0) + (company_id % 3 == 0))

    def company() -> int:
        # A long tail: some companies have many contacts, most a few.
        return companies[int(len(companies) * rng.random() ** 1.6)]

    kinds, weights = zip(*KIND_WEIGHTS.items())
    started = time.perf_counter()
    first = _max_id(engine, Intervention.__table__) + 1
    done = 0
    while done < interventions:
        rows = []
        for kind in rng.choices(kinds, weights, k=min(BATCH, interventions - done)):
            cid = company()
            o = rng.choice(home(cid)) if rng.random() < 0.85 else rng.randrange(n_orgs)
            day = START + timedelta(days=rng.randrange(DAYS))
            rows.append({"company_id": cid, "organisation_id": org_ids[o],
                         "user_id": user_ids[o], "occurred_on": day, "kind": kind,
                         "summary": "Gesprek over de digitale plannen", "internal_note": "",
                         "created_by_id": user_ids[o], "created_at": _moment(day, 16)})
        with engine.begin() as conn:
            conn.execute(sa.insert(Intervention.__table__), rows)
        done += len(rows)
        if done % 100_000 == 0 or done == interventions:
            print(f"{done:>10,} / {interventions:,} interventions "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    intervention_ids = _new_ids(engine, Intervention.__table__, first)

    statuses, status_weights = zip(*STATUS_MIX)
    first = _max_id(engine, Referral.__table__) + 1
    rows, plans = [], []
    for status in rng.choices(statuses, status_weights, k=referrals):
        cid = company()
        a, b = rng.sample(range(n_orgs), 2)
        day = START + timedelta(days=rng.randrange(DAYS))
        sent = _moment(day)
        accept_delay = timedelta(hours=rng.randint(2, 24 * 12))
        accepted = sent + accept_delay if "accept" in STEPS[status] else None
        closed = None
        if status in ("completed", "failed"):
            closed = accepted + timedelta(days=rng.randint(3, 90))
        elif status in ("rejected", "cancelled"):
            closed = sent + timedelta(hours=rng.randint(1, 24 * 8))
        due = day + timedelta(days=7)
        rows.append({"company_id": cid, "from_organisation_id": org_ids[a],
                     "to_organisation_id": org_ids[b], "question": "Hulp bij de volgende stap",
                     "context": "", "entrepreneur_agrees": True, "status": status,
                     "reason": rng.choice(["geen-capaciteit", "past-niet", "niet-bereikbaar",
                                           "ziet-ervan-af", "elders-geholpen"])
                     if status in ("rejected", "failed") else None,
                     "outcome": "Geholpen" if status == "completed" else None,
                     "accept_due_on": due, "created_by_id": user_ids[a], "created_at": sent,
                     "accepted_at": accepted, "closed_at": closed, "version": 1})
        plans.append((status, a, b, sent, accepted, closed))
    _insert(engine, Referral.__table__, rows)
    referral_ids = _new_ids(engine, Referral.__table__, first)
    steps = []
    for rid, (status, a, b, sent, accepted, closed) in zip(referral_ids, plans):
        steps.append({"referral_id": rid, "from_status": None, "to_status": "requested",
                      "action": "send", "organisation_id": org_ids[a], "at": sent})
        before, at = "requested", sent
        for action in STEPS[status]:
            at = {"accept": accepted, "complete": closed, "fail": closed, "reject": closed,
                  "cancel": closed}.get(action) or at + timedelta(days=1)
            steps.append({"referral_id": rid, "from_status": before,
                          "to_status": TARGET[action], "action": action,
                          "organisation_id": org_ids[a if action == "cancel" else b],
                          "at": at})
            before = TARGET[action]
    _insert(engine, ReferralStep.__table__, steps)
    print(f"{referrals:,} referrals with {len(steps):,} steps "
          f"({time.perf_counter() - started:.0f} s)", flush=True)

    # Survey invitations after interventions, 45 % answered.
    n_inv = referrals // 2
    first = _max_id(engine, SurveyInvitation.__table__) + 1
    with engine.connect() as conn:
        picked = conn.execute(sa.select(Intervention.id, Intervention.company_id,
                                        Intervention.organisation_id, Intervention.occurred_on,
                                        Intervention.kind)
                              .where(Intervention.id.in_(rng.sample(intervention_ids,
                                                                    min(n_inv, 30_000))))
                              ).all() if intervention_ids else []
    inv_rows, meta = [], []
    for i in range(n_inv if picked else 0):
        iid, cid, oid, day, kind = picked[i % len(picked)]
        created = _moment(day, 17) + timedelta(minutes=i % 600)
        inv_rows.append({"company_id": cid, "organisation_id": oid, "intervention_id": iid,
                         "created_at": created, "expires_at": created + timedelta(days=30),
                         "token_nonce": f"mb-{first}-{i}-{rng.getrandbits(48):x}"})
        meta.append((cid, oid, kind, created))
    _insert(engine, SurveyInvitation.__table__, inv_rows)
    inv_ids = _new_ids(engine, SurveyInvitation.__table__, first)
    answers = [1, 2, 2, 3, 3, 3, 4, 4, 5, 6]
    responses = []
    for inv_id, (cid, oid, kind, created) in zip(inv_ids, meta):
        if rng.random() < 0.45:
            responses.append({"invitation_id": inv_id, "company_id": cid, "organisation_id": oid,
                              "archetype": kind, "answered_at": created + timedelta(days=2),
                              **{f"answer_{q}": rng.choice(answers) if rng.random() < 0.9
                                 else None for q in range(1, 11)}})
    _insert(engine, SurveyResponse.__table__, responses)
    dims = ["digital_business_strategy", "digital_readiness", "human_centric",
            "data_management", "automation_ai", "green"]
    assessments = []
    for cid in rng.sample(companies, min(dma, len(companies))):
        o = org_ids[rng.choice(home(cid))]
        day = START + timedelta(days=rng.randrange(DAYS - 400))
        first_scores = {d: rng.randint(10, 70) for d in dims}
        later = {d: min(100, max(0, s + rng.randint(-5, 25))) for d, s in first_scores.items()}
        for on, scores in ((day, first_scores), (day + timedelta(days=rng.randint(120, 400)),
                                                 later)):
            assessments.append({"company_id": cid, "organisation_id": o, "assessed_on": on,
                                **scores, "average": round(sum(scores.values()) / 6, 2),
                                "source": "imported"})
    _insert(engine, DmaAssessment.__table__, assessments)
    print(f"{len(inv_rows):,} survey invitations, {len(responses):,} answers, "
          f"{len(assessments):,} DMA results ({time.perf_counter() - started:.0f} s)",
          flush=True)
    return {"interventions": interventions, "referrals": referrals, "steps": len(steps),
            "invitations": len(inv_rows), "responses": len(responses),
            "assessments": len(assessments)}


def analyse(engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("companies", "interventions", "referrals", "referral_steps",
                          "survey_invitations", "survey_responses", "dma_assessments"):
                conn.execute(sa.text(f"VACUUM ANALYZE {table}"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit = 2000").all()
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").all()


def generate_journeys(database_url: str, *, province: str, region_companies: int,
                      interventions: int, referrals: int, dma: int, seed: int = 7,
                      force: bool = False) -> None:
    from crm import create_app
    from crm.extensions import db
    from crm.models import Company, Intervention, Organisation, Province

    app = create_app({"SQLALCHEMY_DATABASE_URI": absolute_sqlite_url(database_url),
                      "TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()  # the schema may have moved on since the register was generated
        session = db.session
        row = session.scalars(sa.select(Province).where(Province.name == province)).first()
        if row is None:
            raise SystemExit(f"Error: no province named {province!r}")
        present = session.scalar(sa.select(sa.func.count(Intervention.id)).join(
            Organisation, Organisation.id == Intervention.organisation_id).where(
            Organisation.name.like(f"{PREFIX} %")))
        orgs, users, coordinator = _setup_people(session, row)
        if present and not force:
            print(f"monitor journeys present ({present:,} interventions); not adding them "
                  f"again (--force adds more)", flush=True)
            return
        companies = session.scalars(sa.select(Company.id).where(Company.province_id == row.id)
                                    .order_by(Company.id).limit(region_companies)).all()
        if not companies:
            raise SystemExit(f"Error: no companies in {province}; run bench.generate first")
        if len(companies) < region_companies:
            print(f"note: {province} has {len(companies):,} companies (asked "
                  f"{region_companies:,})", flush=True)
        org_ids = [o.id for o in orgs]
        user_ids = [u.id for u in users]
        engine = db.engine
        session.remove()
    print(f"journeys for {len(companies):,} companies in {province}", flush=True)
    load(engine, companies, org_ids, user_ids, interventions=interventions,
         referrals=referrals, dma=dma, rng=random.Random(seed))
    t = time.perf_counter()
    analyse(engine)
    print(f"analysed in {time.perf_counter() - t:.1f} s", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--companies", type=int, default=0,
                        help="first top up the company register to this many (bench.generate)")
    parser.add_argument("--province", default="Zuid-Holland")
    parser.add_argument("--region-companies", type=int, default=100_000)
    parser.add_argument("--interventions", type=int, default=1_000_000)
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--dma", type=int, default=20_000,
                        help="companies with two DMA assessments")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="add another batch")
    args = parser.parse_args(argv)
    if args.companies:
        generate(args.database_url, args.companies)
    generate_journeys(args.database_url, province=args.province,
                      region_companies=args.region_companies,
                      interventions=args.interventions, referrals=args.referrals, dma=args.dma,
                      seed=args.seed, force=args.force)


if __name__ == "__main__":
    main()
