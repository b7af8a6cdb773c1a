"""Time the klantreis PDF of a company with a journey of 300 events (target ≤ 300 ms p50).

    python -m bench.company_pdf --database-url sqlite:///bench/data/crm.sqlite [--generate]
    python -m bench.company_pdf --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench

Reuses the data of :mod:`bench.timeline` (its ``setup`` adds, once, 8 organisations, a
coordinator and an outsider, the company with 300 events, and background noise; ``--generate``
first tops the company register up to ``--companies``). Then measures, per viewer, the median and
99th percentile of :func:`crm.reports.klantreis.klantreis_pdf` in a request context (Dutch), and
of the whole ``GET /companies/<id>/klantreis.pdf`` through the test client, signed in, and prints
the number of pages.
"""
import argparse
import gc
import io
import statistics
import time

from .generate import bench_app
from .search import percentile
from .timeline import PASSWORD, _bench_company, _users, setup

TARGET_MS = 300


def _line(label, values):
    p50 = statistics.median(values)
    verdict = "  ok" if p50 <= TARGET_MS else f"  MISSED (target p50 ≤ {TARGET_MS} ms)"
    return (f"{label:<46}{len(values):>5}{p50:>9.1f}{percentile(values, 99):>9.1f}"
            f"{max(values):>9.1f}{verdict}")


def measure(app, runs: int, warmup: int) -> None:
    from pypdf import PdfReader

    from crm.extensions import db
    from crm.models import Company, User
    from crm.reports.klantreis import klantreis_pdf

    with app.app_context():
        company_id = _bench_company(db.session).id
        users = _users(db.session)
        viewers = [("party (org 1)", users["tijdlijnbench1@example.nl"].id),
                   ("coordinator of the province",
                    users["tijdlijnbench-coordinator@example.nl"].id),
                   ("third organisation (consent)", users["tijdlijnbench-outsider@example.nl"].id)]
        backend = db.engine.dialect.name
        db.session.remove()

    def one(uid):
        with app.test_request_context("/"):
            company = db.session.get(Company, company_id)
            viewer = db.session.get(User, uid)
            started = time.perf_counter()
            pdf = klantreis_pdf(company, viewer, session=db.session)
            elapsed = (time.perf_counter() - started) * 1000
            db.session.remove()
        return elapsed, pdf

    sizes = {}
    for label, uid in viewers:
        _ms, pdf = one(uid)
        sizes[label] = (len(PdfReader(io.BytesIO(pdf)).pages), len(pdf))
    for _ in range(warmup):
        for _label, uid in viewers:
            one(uid)
    gc.collect()
    timings = {label: [] for label, _ in viewers}
    for _ in range(runs):
        for label, uid in viewers:
            timings[label].append(one(uid)[0])

    client = app.test_client()
    if client.post("/login", data={"email": "tijdlijnbench1@example.nl",
                                   "password": PASSWORD}).status_code != 302:
        raise SystemExit("sign-in failed")
    url = f"/companies/{company_id}/klantreis.pdf"
    for _ in range(warmup):
        client.get(url)
    whole = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        whole.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code

    print(f"\nbackend: {backend}; company {company_id} with a journey of 300 events")
    for label, (pages, size) in sizes.items():
        print(f"  {label:<32} {pages} pages, {size:,} bytes")
    print(f"\n{'measurement':<46}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, values in timings.items():
        print(_line(f"klantreis_pdf: {label}", values))
    print(_line(f"GET {url}", whole))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true",
                        help="first generate (top up to) --companies companies")
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--noise", type=int, default=200_000,
                        help="background interventions on other companies (bench.timeline)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)

    app = bench_app(args.database_url,
                    generate_companies=args.companies if args.generate else None)
    with app.app_context():
        setup(args.noise, args.seed)
    measure(app, args.runs, args.warmup)


if __name__ == "__main__":
    main()
