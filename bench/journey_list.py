"""Time the journey list (``/journeys``) per sort and filter, for a coordinator and for staff.

    python -m bench.journey_list --database-url sqlite:///bench/data/crm.sqlite [--generate]
    python -m bench.journey_list --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench

Reuses the data of :mod:`bench.timeline` (``--generate`` first tops the company register up to
``--companies``; its ``setup`` adds 8 organisations, a coordinator of Utrecht and ``--noise``
interventions with a tenth as many referrals, spread over all companies). The coordinator's list
covers every company in Utrecht; the staff member's list the companies their organisation worked
with. Each line is the whole page through the test client, signed in (target ≤ 200 ms p50).
"""
import argparse
import statistics
import time

from .generate import bench_app
from .search import percentile
from .timeline import PASSWORD, setup

TARGET_MS = 200
QUERIES = [("by name (default)", ""), ("latest step first", "sort=-last_step"),
           ("most organisations first", "sort=-organisations"),
           ("most open referrals first", "sort=-open_referrals"),
           ("size micro, sector C", "size=micro&sector=C"),
           ("has an open referral", "open_referral=1"),
           ("last step a failed referral", "failed_last=1"),
           ("organisation visited", "organisation={org}"),
           ("page 20", "page=20")]


def measure(app, runs: int) -> None:
    import sqlalchemy as sa

    from crm.extensions import db
    from crm.journeys import journey_list as jl
    from crm.models import Organisation, User

    with app.app_context():
        org = db.session.scalar(sa.select(Organisation.id).where(
            Organisation.name == "Tijdlijnbench Organisatie 1"))
        backend = db.engine.dialect.name
        sizes = {}
        for email in ("tijdlijnbench-coordinator@example.nl", "tijdlijnbench1@example.nl"):
            user = db.session.scalar(sa.select(User).where(User.email == email))
            sizes[email] = jl.count(db.session, jl.scope_for(user), jl.Filters())
        db.session.remove()
    print(f"\nbackend: {backend}")
    print(f"{'viewer / list':<52}{'n':>4}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for email, label in (("tijdlijnbench-coordinator@example.nl", "coordinator"),
                         ("tijdlijnbench1@example.nl", "staff (org 1)")):
        print(f"{label}: {sizes[email]:,} companies in scope")
        client = app.test_client()
        if client.post("/login", data={"email": email, "password": PASSWORD}
                       ).status_code != 302:
            raise SystemExit("sign-in failed")
        for name, query in QUERIES:
            url = "/journeys?" + query.format(org=org)
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                client.get(url).get_data()
                times.append((time.perf_counter() - started) * 1000)
            p50 = statistics.median(times)
            verdict = "  ok" if p50 <= TARGET_MS else f"  MISSED (target p50 ≤ {TARGET_MS} ms)"
            print(f"  {name:<50}{runs:>4}{p50:>9.1f}{percentile(times, 99):>9.1f}"
                  f"{max(times):>9.1f}{verdict}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true",
                        help="first generate (top up to) --companies companies")
    parser.add_argument("--companies", type=int, default=1_400_000)
    parser.add_argument("--noise", type=int, default=1_000_000,
                        help="background interventions (bench.timeline), with a tenth as many "
                             "referrals")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)

    app = bench_app(args.database_url,
                    generate_companies=args.companies if args.generate else None)
    with app.app_context():
        setup(args.noise, args.seed)
    measure(app, args.runs)


if __name__ == "__main__":
    main()
