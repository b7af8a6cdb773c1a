"""Time the company import: 100,000 valid rows from a CSV file, on SQLite and PostgreSQL.

    python -m bench.import_companies                       # SQLite (a fresh temporary file)
    python -m bench.import_companies --database-url postgresql+psycopg://postgres@127.0.0.1/x
    python -m bench.import_companies --rows 10000          # smaller

Generates the rows as a semicolon-separated CSV file with Dutch headers (plausible names,
trade names for a quarter, SBI codes over all sections, working persons, municipality names,
websites), then imports it with :func:`crm.imports.import_file` into an empty, migrated
database and prints the time to read and check the file, to write it (batched Core inserts,
search triggers/indexes included, and the commit), and the total. Writing overlaps checking
(:mod:`crm.imports.pipeline`): the database writes each part of 5,000 rows while the next is
checked, so "check" is until the last part was checked (the parts before it are written
meanwhile; the checking waits whenever two checked parts wait for the writer), "write" what is
left of the writing after that, and the commit. Next to it: the raw Core
executemany rate of the very same rows into a scratch table without indexes or triggers.

SQLite uses a new temporary file; PostgreSQL a new uniquely named database on the server in
``--database-url`` (the URL's own database is never touched), dropped afterwards.
"""
import argparse
import contextlib
import gc
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

#: The target of the issue: 100,000 rows checked and imported within this many seconds.
TARGET_SECONDS = 4.0


def generate_csv(path: Path, rows: int, seed: int = 11) -> int:
    """Write ``rows`` valid company rows; returns the file size in bytes."""
    from crm.reference import municipalities

    from .generate import SECTIONS, SIZES, NameMaker
    rng = random.Random(seed)
    maker = NameMaker(rng)
    places = [m["name"] for m in municipalities()]
    sizes, weights = [s[0] for s in SIZES], [s[1] for s in SIZES]
    ranges = {s[0]: s[2] for s in SIZES}
    kvks = rng.sample(range(1_000_000, 99_999_999), rows)
    lines = ["KvK-nummer;Naam;Handelsnamen;SBI-code;Werkzame personen;Gemeente;Website"]
    for i in range(rows):
        section = rng.choices(maker.sections, maker.section_weights)[0]
        activities, codes = SECTIONS[section][1], SECTIONS[section][2]
        k = rng.randrange(len(activities))
        activity, code = activities[k], codes[k % len(codes)]
        size = rng.choices(sizes, weights)[0]
        employees = str(rng.randint(*ranges[size])) if rng.random() < 0.8 else ""
        place = rng.choice(places)
        name = maker.name(activity, size, place)
        trade = maker.trade_names(name, activity).replace("\n", "|")
        website = f"www.{normalised_host(name)}.nl" if rng.random() < 0.3 else ""
        lines.append(";".join([f"{kvks[i]:08d}", _quote(name), _quote(trade), code, employees,
                               _quote(place), website]))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(data)
    return len(data)


def normalised_host(name: str) -> str:
    from crm.reference import normalise
    return "".join(c for c in normalise(name) if c.isalnum())[:40] or "bedrijf"


def _quote(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ';"\n') else text


@contextlib.contextmanager
def scratch_database(url: str | None):
    """A fresh database URL: a temporary SQLite file, or a new PostgreSQL database."""
    if not url or sa.make_url(url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'import-bench.sqlite'}"
        return
    server = sa.make_url(url)
    name = f"crm_import_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def raw_executemany_rate(session, rows: list[dict]) -> float:
    """Rows per second of a plain Core executemany of ``rows`` into an unindexed table."""
    from crm.imports.bulk import BATCH
    from crm.models import Company
    metadata = sa.MetaData()
    columns = [sa.Column(c.name, c.type) for c in Company.__table__.columns if c.name != "id"]
    scratch = sa.Table("import_bench_scratch", metadata, *columns)
    bind = session.connection()
    metadata.create_all(bind)
    statement = sa.insert(scratch)
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        session.execute(statement, rows[start:start + BATCH])
    session.commit()
    elapsed = time.perf_counter() - started
    metadata.drop_all(session.connection())
    session.commit()
    return len(rows) / elapsed


def run(database_url: str, csv_path: Path) -> dict:
    from flask_migrate import upgrade

    from crm import create_app
    from crm.extensions import db
    from crm.imports import import_file, read_table
    from crm.imports.operation import check_table

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        session = db.session
        data = csv_path.read_bytes()
        # The raw rate, with the rows exactly as the import would insert them.
        checked, plan = check_table("companies", read_table(data), session=session)
        raw = raw_executemany_rate(session, plan.inserts)
        del checked, plan
        gc.collect()
        gc.disable()
        try:
            started, cpu_started = time.perf_counter(), time.process_time()
            result = import_file("companies", data, by=None, session=session,
                                 filename=csv_path.name)
            before_commit = time.perf_counter()
            session.commit()
            done, cpu = time.perf_counter(), time.process_time() - cpu_started
        finally:
            gc.enable()
        assert result.ok and result.created == result.total, result.errors[:5]
        count = session.scalar(sa.text("SELECT count(*) FROM companies"))
        assert count == result.total
        timings = dict(result.timings)
        timings["write"] += done - before_commit  # the commit is part of writing
        timings["total"] = done - started
        db.session.remove()
        db.engine.dispose()
    return {"rows": result.total, "raw": raw, "cpu": cpu, **timings}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url",
                        help="PostgreSQL server URL (a scratch database is created on it); "
                             "default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "bedrijven.csv"
        started = time.perf_counter()
        size = generate_csv(csv_path, args.rows, args.seed)
        print(f"generated {args.rows:,} company rows ({size / 1e6:.1f} MB CSV) in "
              f"{time.perf_counter() - started:.1f} s")
        with scratch_database(args.database_url) as url:
            backend = sa.make_url(url).get_backend_name()
            figures = run(url, csv_path)
    rows = figures["rows"]
    read_check = figures["read"] + figures["check"]
    print(f"\nimport of {rows:,} companies on {backend} (cores: {os.cpu_count()})")
    print(f"  read file            {figures['read']:7.2f} s")
    print(f"  check rows           {figures['check']:7.2f} s   (incl. KVK look-ups; the parts "
          "checked are written meanwhile)")
    print(f"  read + check         {read_check:7.2f} s")
    print(f"  rest of write+commit {figures['write']:7.2f} s   (after the last part was checked; "
          "FTS5 / trigram index included)")
    print(f"  writer busy          {figures['writer']:7.2f} s   (the writer thread: writing each "
          "part, the search index)")
    print(f"  total                {figures['total']:7.2f} s   {rows / figures['total']:10,.0f} "
          f"rows/s   (target: 100,000 rows in {TARGET_SECONDS:.0f} s)")
    print(f"  CPU time of this process {figures['cpu']:5.2f} s   (SQLite: nearly all of the work; "
          "PostgreSQL: the client side only)")
    print(f"  raw Core executemany                {figures['raw']:10,.0f} rows/s   "
          "(same rows, scratch table without indexes or triggers)")


if __name__ == "__main__":
    main()
