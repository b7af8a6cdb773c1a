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


def run(database_url: str, per_category: int, seed: int, warmup: int, freeze: bool,
        show_slowest: int) -> None:
    from crm import create_app
    from crm.extensions import db
    from crm.journeys.search import search_companies

    os.environ.setdefault("CRM_SECRET_KEY", "benchmark-only-secret-key")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    rng = random.Random(seed)
    with app.app_context():
        session = db.session
        count = session.scalar(sa.text("SELECT count(*) FROM companies"))
        backend = db.engine.dialect.name
        queries = build_queries(session, per_category, rng)
        session.remove()

        def one(q, province_id):
            started = time.perf_counter()
            result = search_companies(db.session, q, province_id=province_id)
            for company in result.items:  # what a results page shows
                _ = company.name, company.kvk, company.municipality and company.municipality.name
            elapsed = time.perf_counter() - started
            db.session.remove()  # a fresh session per request, as in the app
            return elapsed, result

        # Warm-up: caches (OS, database, SQLAlchemy compiled statements).
        mixed = [pair for pairs in queries.values() for pair in pairs]
        for q, province_id in rng.sample(mixed, min(warmup, len(mixed))):
            one(q, province_id)
        if freeze:
            gc.collect()
            gc.freeze()

        timings: dict[str, list[float]] = {}
        slowest = []
        order = [(category, q, p) for category, pairs in queries.items() for q, p in pairs]
        rng.shuffle(order)
        for category, q, province_id in order:
            elapsed, result = one(q, province_id)
            timings.setdefault(category, []).append(elapsed * 1000)
            slowest.append((elapsed * 1000, category, q, province_id, len(result.items)))

    print(f"\nbackend: {backend}   companies: {count:,}   queries: {len(order):,}   "
          f"gc.freeze: {'yes' if freeze else 'no'}")
    print(f"{'category':<26}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    everything = []
    for category in queries:
        values = timings[category]
        everything += values
        print(f"{category:<26}{len(values):>6}{statistics.median(values):>9.2f}"
              f"{percentile(values, 99):>9.2f}{max(values):>9.2f}")
    print(f"{'overall':<26}{len(everything):>6}{statistics.median(everything):>9.2f}"
          f"{percentile(everything, 99):>9.2f}{max(everything):>9.2f}")
    if show_slowest:
        print("\nslowest:")
        for ms, category, q, province_id, n in sorted(slowest, reverse=True)[:show_slowest]:
            print(f"  {ms:7.2f} ms  {category:<24} {q!r} province={province_id} items={n}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", type=int, metavar="N",
                        help="first generate (top up to) N companies")
    parser.add_argument("--queries", type=int, default=300, help="queries per category")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the garbage collector alone after warm-up")
    parser.add_argument("--slowest", type=int, default=10, help="list the N slowest queries")
    args = parser.parse_args(argv)
    url = absolute_sqlite_url(args.database_url)
    if args.generate:
        generate(url, args.generate)
    run(url, args.queries, args.seed, args.warmup, not args.no_freeze, args.slowest)


if __name__ == "__main__":
    main()
