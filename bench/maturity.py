"""Time the impact figures: mean DMA change per archetype / organisation, and survey results.

    python -m bench.maturity --database-url sqlite:///bench/data/crm.sqlite [--generate]
    python -m bench.maturity --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench

Reuses the company register of :mod:`bench.generate` (``--generate`` first tops it up to
``--companies``), then adds once (found again on later runs): 8 organisations, and for
``--assessed`` companies two or three DMA results a few months apart with 1–6 interventions of
random archetypes around them, plus a survey invitation for half of those interventions and an
answer for 60 % of the invitations — loaded with Core executemany.

Then prints the median and 99th percentile of :func:`crm.journeys.maturity.dma_change_select`
(by archetype, by organisation, all), of
:func:`crm.journeys.survey.survey_results_select` (by archetype) and of
:func:`crm.journeys.survey.response_rate_select`.
"""
import argparse
import os
import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from .generate import absolute_sqlite_url, generate
from .search import percentile

PREFIX = "Maturiteitbench"
BATCH = 10_000


def _insert(conn, table, rows):
    for start in range(0, len(rows), BATCH):
        conn.execute(table.insert(), rows[start:start + BATCH])


def setup(assessed: int, seed: int) -> None:
    from crm.extensions import db
    from crm.models import Company, Intervention, Organisation
    from crm.models.survey import DmaAssessment, SurveyInvitation, SurveyResponse
    from crm.models.vocabulary import ARCHETYPE_SLUGS, DMA_DIMENSION_NAMES

    session = db.session
    if session.scalar(sa.select(Organisation.id).where(Organisation.name.like(f"{PREFIX}%"))):
        print("benchmark data present; not adding it again", flush=True)
        return
    started = time.perf_counter()
    rng = random.Random(seed)
    orgs = [Organisation(name=f"{PREFIX} {i + 1}", kind="edih") for i in range(8)]
    session.add_all(orgs)
    session.commit()
    org_ids = [o.id for o in orgs]
    company_ids = session.scalars(sa.select(Company.id).order_by(Company.id)
                                  .limit(assessed)).all()
    now = datetime.now(timezone.utc)
    dma, interventions = [], []
    for company_id in company_ids:
        day = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
        for _ in range(rng.choice((2, 2, 3))):
            values = {d: rng.randrange(101) for d in DMA_DIMENSION_NAMES}
            dma.append({"company_id": company_id, "organisation_id": rng.choice(org_ids),
                        "assessed_on": day, **values, "source": "imported",
                        "average": round(sum(values.values()) / 6, 2), "created_at": now})
            for _ in range(rng.randint(1, 3)):
                interventions.append({
                    "company_id": company_id, "organisation_id": rng.choice(org_ids),
                    "occurred_on": day + timedelta(days=rng.randrange(60)),
                    "kind": rng.choice(ARCHETYPE_SLUGS), "summary": "", "internal_note": "",
                    "created_at": now})
            day += timedelta(days=rng.randint(60, 240))
    with db.engine.begin() as conn:
        _insert(conn, DmaAssessment.__table__, dma)
        _insert(conn, Intervention.__table__, interventions)
        rows = conn.execute(sa.select(Intervention.id, Intervention.company_id,
                                      Intervention.organisation_id, Intervention.kind)
                            .where(Intervention.organisation_id.in_(org_ids))).all()
        invitations = []
        for iid, cid, oid, kind in rows:
            if rng.random() < 0.5:
                invitations.append({"company_id": cid, "organisation_id": oid,
                                    "intervention_id": iid, "created_at": now,
                                    "expires_at": now + timedelta(days=30),
                                    "token_nonce": f"bench-{iid}",
                                    "used_at": now if rng.random() < 0.6 else None})
        _insert(conn, SurveyInvitation.__table__, invitations)
        answered = conn.execute(sa.select(
            SurveyInvitation.id, SurveyInvitation.company_id, SurveyInvitation.organisation_id,
            Intervention.kind).join(Intervention,
                                    Intervention.id == SurveyInvitation.intervention_id)
            .where(SurveyInvitation.used_at.is_not(None))).all()
        _insert(conn, SurveyResponse.__table__, [
            {"invitation_id": i, "company_id": c, "organisation_id": o, "archetype": k,
             "answered_at": now,
             **{f"answer_{n}": rng.choice((None, 1, 2, 3, 4, 5, 6)) for n in range(1, 11)}}
            for i, c, o, k in answered])
    print(f"added {len(dma):,} DMA results, {len(interventions):,} interventions, "
          f"{len(invitations):,} invitations, {len(answered):,} answers for "
          f"{len(company_ids):,} companies in {time.perf_counter() - started:.1f} s",
          flush=True)


def measure(app, runs: int) -> None:
    from crm.extensions import db
    from crm.journeys.maturity import dma_change_select
    from crm.journeys.survey import response_rate_select, survey_results_select

    cases = [("DMA change per archetype", lambda: dma_change_select("archetype")),
             ("DMA change per organisation", lambda: dma_change_select("organisation")),
             ("DMA change, all companies", lambda: dma_change_select("all")),
             ("survey results per archetype", lambda: survey_results_select("archetype")),
             ("survey response rate", response_rate_select)]
    with app.app_context():
        print(f"database: {db.engine.dialect.name}; {runs} runs each", flush=True)
        for label, build in cases:
            rows = db.session.execute(build()).all()  # warm-up (and a sanity check)
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                db.session.execute(build()).all()  # built each time, as a request does
                times.append((time.perf_counter() - t) * 1000)
                db.session.rollback()
            db.session.rollback()
            print(f"{label:32} p50 {statistics.median(times):8.1f} ms   "
                  f"p99 {percentile(times, 99):8.1f} ms   ({len(rows)} rows)", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true",
                        help="first generate (top up to) --companies companies")
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--assessed", type=int, default=20_000,
                        help="companies with DMA results, interventions and surveys")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from crm import create_app

    url = absolute_sqlite_url(args.database_url)
    if args.generate:
        generate(url, args.companies)
    os.environ.setdefault("CRM_SECRET_KEY", "benchmark-only-secret-key")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        setup(args.assessed, args.seed)
    measure(app, args.runs)


if __name__ == "__main__":
    main()
