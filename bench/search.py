"""Time company search in-process against a generated register.

    python -m bench.search --database-url sqlite:///bench/data/crm.sqlite [--generate 1000000]

Runs a mix of queries through :func:`crm.journeys.search.search_companies` (server-side
latency: the SQL and loading the page of ORM objects with their municipality) and prints the
median and 99th percentile per category and overall. Query categories, each with and without a
province filter: name fragments of 3 to 8 characters cut from real names, common words, full
KVK numbers (some typed with spaces or dots), 4-digit KVK prefixes and place names.
"""
import argparse
import gc
import logging
import os
import random
import statistics
import time

import sqlalchemy as sa

from .generate import absolute_sqlite_url, generate

COMMON_WORDS = ["bakkerij", "bv", "b.v.", "holding", "installatietechniek", "ict", "advies",
                "jansen", "de vries", "van den berg", "transport", "kapsalon", "bouw",
                "consultancy", "schilders", "café", "cafe", "media", "zorg", "stichting"]
PLACES = ["Utrecht", "Zwolle", "Amsterdam", "Rotterdam", "Groningen", "Ede", "Epe", "Assen",
          "Eindhoven", "Maastricht", "Almere", "Gravenhage", "Hilversum", "Leeuwarden",
          "Enschede", "Delft", "Breda", "Tilburg", "Arnhem", "Nijmegen"]


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def build_queries(session, n: int, rng: random.Random) -> dict[str, list[tuple[str, int | None]]]:
    """Category → [(query, province id or None)], ``n`` queries per category."""
    from crm.models import Company
    max_id = session.scalar(sa.select(sa.func.max(Company.id)))
    sample_ids = rng.sample(range(1, max_id + 1), min(max_id, n * 3))
    rows = session.execute(sa.select(Company.name, Company.kvk, Company.province_id)
                           .where(Company.id.in_(sample_ids))).all()
    rng.shuffle(rows)
    rows = rows[:n]
    provinces = list(session.scalars(sa.text("SELECT id FROM provinces")))

    def fragment(name):
        length = rng.randint(3, 8)
        if len(name) <= length:
            return name
        start = rng.randrange(0, len(name) - length + 1)
        return name[start:start + length]

    def kvk_typed(kvk):
        style = rng.random()
        if style < 0.2:
            return f"{kvk[:4]} {kvk[4:]}"
        if style < 0.3:
            return f"{kvk[:2]}.{kvk[2:4]}.{kvk[4:6]}.{kvk[6:]}"
        return kvk

    queries = {
        "name fragment": [(fragment(r.name), None) for r in rows],
        "common word": [(COMMON_WORDS[i % len(COMMON_WORDS)], None) for i in range(n)],
        "kvk": [(kvk_typed(r.kvk), None) for r in rows],
        "kvk prefix": [(r.kvk[:4], None) for r in rows],
        "place": [(PLACES[i % len(PLACES)], None) for i in range(n)],
    }
    for category in list(queries):
        # The same queries filtered on a province: the company's own, or any.
        queries[category + " +province"] = [
            (q, r.province_id if rng.random() < 0.5 else rng.choice(provinces))
            for (q, _), r in zip(queries[category], rows)]
    return queries


class _Counter(logging.Handler):
    count = 0

    def emit(self, record):
        if "timed out" in record.getMessage():
            self.count += 1


def run(database_url: str, per_category: int, seed: int, warmup: int, freeze: bool,
        show_slowest: int, repeat: int) -> None:
    from crm import create_app
    from crm.extensions import db
    from crm.journeys.search import search_companies

    os.environ.setdefault("CRM_SECRET_KEY", "benchmark-only-secret-key")
    timeouts = _Counter()
    logging.getLogger("crm.journeys.search").addHandler(timeouts)
    logging.getLogger("crm.journeys.search").setLevel(logging.INFO)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    from crm.database import commit_if_only_read
    rng = random.Random(seed)
    with app.app_context():
        session = db.session
        count = session.scalar(sa.text("SELECT count(*) FROM companies"))
        backend = db.engine.dialect.name
        queries = build_queries(session, per_category, rng)
        session.remove()

        def one(q, province_id):
            cpu = time.thread_time()
            started = time.perf_counter()
            result = search_companies(db.session, q, province_id=province_id)
            for company in result.items:  # what a results page shows
                _ = company.name, company.kvk, company.municipality and company.municipality.name
            elapsed = time.perf_counter() - started
            cpu = time.thread_time() - cpu
            # a fresh session per request, ended as a request ends it (crm/database.py)
            commit_if_only_read()
            db.session.remove()
            return elapsed, cpu, result

        # Warm-up: caches (OS, database, SQLAlchemy compiled statements).
        mixed = [pair for pairs in queries.values() for pair in pairs]
        for q, province_id in rng.sample(mixed, min(warmup, len(mixed))):
            one(q, province_id)
        if freeze:
            gc.collect()
            gc.freeze()
        timeouts.count = 0

        # Each query runs ``repeat`` times in a row. "first" is its first run; "best" the
        # fastest run, which filters out time lost to other processes on a busy machine.
        first: dict[str, list[float]] = {}
        best: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        slowest = []
        order = [(category, q, p) for category, pairs in queries.items() for q, p in pairs]
        rng.shuffle(order)
        for category, q, province_id in order:
            runs = [one(q, province_id) for _ in range(repeat)]
            first.setdefault(category, []).append(runs[0][0] * 1000)
            best.setdefault(category, []).append(min(r[0] for r in runs) * 1000)
            cpu.setdefault(category, []).append(min(r[1] for r in runs) * 1000)
            slowest.append((min(r[0] for r in runs) * 1000, category, q, province_id,
                            len(runs[0][2].items)))

    print(f"\nsubstring searches that gave up (PostgreSQL timeout): {timeouts.count}")
    print(f"backend: {backend}   companies: {count:,}   queries: {len(order):,} x {repeat}   "
          f"gc.freeze: {'yes' if freeze else 'no'}   load average: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'':<26}{'':>6}{'first run (wall)':>27}{'best of ' + str(repeat) + ' (wall)':>27}"
          f"{'client CPU':>18}")
    print(f"{'category':<26}{'n':>6}" + f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}" * 2
          + f"{'p50 ms':>9}{'p99 ms':>9}")
    totals = {"first": [], "best": [], "cpu": []}
    for category in queries:
        totals["first"] += first[category]
        totals["best"] += best[category]
        totals["cpu"] += cpu[category]
        print(_line(category, first[category], best[category], cpu[category]))
    print(_line("overall", totals["first"], totals["best"], totals["cpu"]))
    if show_slowest:
        print("\nslowest (best of the runs):")
        for ms, category, q, province_id, n in sorted(slowest, reverse=True)[:show_slowest]:
            print(f"  {ms:7.2f} ms  {category:<24} {q!r} province={province_id} items={n}")


def _line(label, first, best, cpu) -> str:
    cells = ""
    for values in (first, best):
        cells += (f"{statistics.median(values):>9.2f}{percentile(values, 99):>9.2f}"
                  f"{max(values):>9.2f}")
    cells += f"{statistics.median(cpu):>9.2f}{percentile(cpu, 99):>9.2f}"
    return f"{label:<26}{len(first):>6}" + cells


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", type=int, metavar="N",
                        help="first generate (top up to) N companies")
    parser.add_argument("--queries", type=int, default=300, help="queries per category")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each query (the best is reported next to the first)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the garbage collector alone after warm-up")
    parser.add_argument("--slowest", type=int, default=10, help="list the N slowest queries")
    args = parser.parse_args(argv)
    url = absolute_sqlite_url(args.database_url)
    if args.generate:
        generate(url, args.generate)
    run(url, args.queries, args.seed, args.warmup, not args.no_freeze, args.slowest,
        max(1, args.repeat))


if __name__ == "__main__":
    main()
