"""Time the exports and the backup on a large company register.

    python -m bench.exports --database-url sqlite:///bench/data/crm.sqlite [--generate]
    python -m bench.exports --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench

``--generate`` first tops the register up to ``--companies`` (default 100,000) with
:mod:`bench.generate`. Then, signed in as a user, it downloads ``/exports/companies.csv`` and
``/exports/companies.xlsx`` through the test client (consuming the stream as a browser would)
and prints rows, seconds, rows per second, size, and how much resident memory grew while
streaming;
then times ``crm backup`` to a temporary file.
"""
import argparse
import resource
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from .generate import bench_app

EMAIL = "exportbench@example.nl"


def _rss_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def _user(app):
    from werkzeug.security import generate_password_hash

    from crm.extensions import db
    from crm.models import Organisation, User
    with app.app_context():
        if db.session.scalar(sa.select(User.id).where(User.email == EMAIL)) is None:
            org = Organisation(name="Exportbench EDIH", kind="edih")
            db.session.add(User(email=EMAIL, name="Export Bench", organisation=org,
                                role="account_manager",
                                password_hash=generate_password_hash("Bench-wachtwoord-2026")))
            db.session.commit()


def _download(client, path: str) -> tuple[int, float, int, float]:
    """Lines, seconds, bytes, and the largest growth of resident memory while streaming."""
    start_rss = _rss_mb()
    started = time.perf_counter()
    response = client.get(path)
    size = lines = 0
    growth = _rss_mb() - start_rss
    for n, chunk in enumerate(response.response):
        chunk = chunk if isinstance(chunk, bytes) else chunk.encode()
        size += len(chunk)
        lines += chunk.count(b"\n")
        if n % 20 == 0:
            growth = max(growth, _rss_mb() - start_rss)
    response.close()
    return lines, time.perf_counter() - started, size, growth


def measure(app, companies: int) -> None:
    from crm.backup import backup
    client = app.test_client()
    response = client.post("/login", data={"email": EMAIL, "password": "Bench-wachtwoord-2026"})
    assert response.status_code == 302, f"sign-in failed: {response.status_code}"
    for fmt in ("csv", "xlsx"):
        lines, seconds, size, growth = _download(client, f"/exports/companies.{fmt}")
        rows = lines - 1 if fmt == "csv" else companies
        print(f"export companies.{fmt}: {rows:,} rows in {seconds:.2f} s "
              f"({rows / seconds:,.0f} rows/s), {size / 1e6:.1f} MB, "
              f"resident memory grew by at most {max(0.0, growth):.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "crm.backup"
        started = time.perf_counter()
        backup(app.config["SQLALCHEMY_DATABASE_URI"], target)
        print(f"backup: {target.stat().st_size / 1e6:.1f} MB in "
              f"{time.perf_counter() - started:.2f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", action="store_true",
                        help="first generate (top up to) --companies companies")
    parser.add_argument("--companies", type=int, default=100_000)
    args = parser.parse_args(argv)

    app = bench_app(args.database_url,
                    generate_companies=args.companies if args.generate else None)
    with app.app_context():
        from crm.extensions import db
        from crm.models import Company
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Company))
    _user(app)
    print(f"{count:,} companies in {sa.make_url(url).get_backend_name()}")
    measure(app, count)


if __name__ == "__main__":
    main()
