"""Time the monitor: all dashboard figures, the whole ``/monitor`` page and the regional PDF
for the province of :mod:`bench.generate_journeys`, as its coordinator.

    python -m bench.dashboard --database-url sqlite:///bench/data/crm.sqlite
    python -m bench.dashboard --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench

Targets (issue 5): the dashboard ≤ 500 ms p50 with 100,000 companies, 1,000,000 interventions
and 100,000 referrals in the region; the regional PDF ≤ 2 s. Measured for two periods: the
default (the 12 months up to the end of the data, 2026-10-31) and all of the data
(2023-01-01 … 2026-12-31). The reach statement runs on a second connection alongside the
others, as in the app; ``--one-connection`` computes everything on one connection, one
statement after the other, for comparison. ``--generate`` first runs :mod:`bench.generate_journeys` with its
defaults (and ``--companies`` for the register). Next to the wall time of the figures it
prints the CPU time of this process (telling load on a shared machine from slowness).
"""
import argparse
import gc
import statistics
import time

import sqlalchemy as sa

from .generate import absolute_sqlite_url
from .generate_journeys import COORDINATOR, PASSWORD
from .search import percentile

PERIODS = {"12 months": {"from": "2025-11-01", "to": "2026-10-31"},
           "all data": {"from": "2023-01-01", "to": "2026-12-31"}}


def _line(label, values, target=None):
    p50, p99 = statistics.median(values), percentile(values, 99)
    verdict = ""
    if target is not None:
        verdict = "  ok" if p50 <= target else f"  MISSED (target p50 ≤ {target:g} ms)"
    return f"{label:<46}{len(values):>5}{p50:>10.1f}{p99:>10.1f}{verdict}"


def measure(database_url: str, runs: int, pdf_runs: int, warmup: int) -> None:
    from crm import create_app
    from crm.extensions import db
    from crm.journeys.monitor import dashboard_figures, scope_from_params
    from crm.models import User
    from crm.reports.regional import regional_report

    app = create_app({"SQLALCHEMY_DATABASE_URI": absolute_sqlite_url(database_url),
                      "TESTING": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        coordinator = db.session.scalars(sa.select(User).where(User.email == COORDINATOR)).first()
        if coordinator is None:
            raise SystemExit("Error: no benchmark journeys; run bench.generate_journeys first")
        province = coordinator.provinces[0].name
        counts = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in (
            "companies", "interventions", "referrals", "survey_responses", "dma_assessments")}
        in_region = db.session.scalar(sa.text(
            "SELECT count(*) FROM companies WHERE province_id = :p"),
            {"p": coordinator.provinces[0].id})
        db.session.remove()
    print(f"{sa.make_url(database_url).get_backend_name()}"
          f": {counts['companies']:,} companies ({in_region:,} in {province}), "
          f"{counts['interventions']:,} interventions, {counts['referrals']:,} referrals, "
          f"{counts['survey_responses']:,} survey answers, {counts['dma_assessments']:,} DMA "
          f"results")
    print(f"{'':<46}{'runs':>5}{'p50 ms':>10}{'p99 ms':>10}")

    def figures(params):
        with app.app_context():
            user = db.session.scalars(sa.select(User).where(User.email == COORDINATOR)).one()
            _ = list(user.provinces), user.organisation.name
            scope = scope_from_params(db.session, user, params)
            started, cpu = time.perf_counter(), time.process_time()
            result = dashboard_figures(db.session, scope, user)
            elapsed = (time.perf_counter() - started) * 1000
            cpu_times.append((time.process_time() - cpu) * 1000)
            db.session.remove()
            return elapsed, result

    cpu_times: list[float] = []
    client = app.test_client()
    response = client.post("/login", data={"email": COORDINATOR, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: {response.status_code}")

    for label, params in PERIODS.items():
        _, result = figures(params)
        print(f"-- {label}: {result['companies_reached']:,} companies reached, "
              f"{result['contacts']:,} contacts, {result['funnel']['sent']:,} referrals")
        for _ in range(warmup):
            figures(params)
        gc.collect()
        cpu_times.clear()
        times = [figures(params)[0] for _ in range(runs)]
        print(_line(f"dashboard_figures ({label})", times, 500))
        # On a loaded machine the wall time includes waiting for a core; the CPU time of this
        # process (on SQLite including the database engine; on PostgreSQL without the server's
        # work) does not.
        print(_line(f"  of which CPU of this process ({label})", list(cpu_times)))
        query = "&".join(f"{k}={v}" for k, v in params.items())
        page = []
        for i in range(runs + warmup):
            started = time.perf_counter()
            response = client.get(f"/monitor?{query}")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"/monitor answered {response.status_code}")
            if i >= warmup:
                page.append(elapsed)
        print(_line(f"/monitor page ({label})", page, 500))
        pdf = []
        for i in range(pdf_runs + 1):
            started = time.perf_counter()
            response = client.get(f"/monitor/report.pdf?{query}")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"/monitor/report.pdf answered {response.status_code}")
            if i:
                pdf.append(elapsed)
        print(_line(f"regional PDF, whole request ({label})", pdf, 2000))
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == COORDINATOR)).one()
        with app.test_request_context():
            from flask_login import login_user
            login_user(user)
            scope = scope_from_params(db.session, user, PERIODS["12 months"])
            f = dashboard_figures(db.session, scope, user)
            times = []
            for _ in range(pdf_runs):
                started = time.perf_counter()
                regional_report(db.session, scope, user, figures=f)
                times.append((time.perf_counter() - started) * 1000)
            print(_line("regional PDF typesetting only (12 months)", times))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pdf-runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--generate", action="store_true",
                        help="first add the benchmark journeys (bench.generate_journeys)")
    parser.add_argument("--companies", type=int, default=0)
    parser.add_argument("--one-connection", action="store_true",
                        help="compute every figure on the request's own connection, one "
                             "statement after the other (for comparison)")
    args = parser.parse_args(argv)
    if args.one_connection:
        from crm.journeys.monitor import figures
        figures.SHARE_WORK = False
    if args.generate:
        from .generate_journeys import main as generate_main
        extra = ["--companies", str(args.companies)] if args.companies else []
        generate_main(["--database-url", args.database_url, *extra])
    measure(args.database_url, args.runs, args.pdf_runs, args.warmup)


if __name__ == "__main__":
    main()
