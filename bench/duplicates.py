"""Time the per-company "possible duplicates" look-up against a big company register.

    python -m bench.duplicates --database-url sqlite:////work/main/bench/data/crm.sqlite
    python -m bench.duplicates --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench \
        --generate 1000000

Reuses the register of :mod:`bench.generate` (``--generate N`` tops it up first). Plants, once,
:data:`PLANTED` near-duplicates without a KVK number next to randomly chosen companies — the
same name spelled differently (legal form dropped or added, words swapped, a letter doubled) in
the same municipality — recognisable by their website ``https://dubbelbench.example``. Then measures
:func:`crm.journeys.duplicates.find_duplicates` for ``--companies`` different companies (half
of them with a planted twin) in a fresh session each, as the company page's fragment does:
median, 99th percentile and maximum wall time, the client CPU time, and the recall on the
planted twins (how many were found).
"""
import argparse
import os
import random
import statistics
import time

import sqlalchemy as sa

from .generate import absolute_sqlite_url, generate
from .search import percentile

PLANTED = 2_000
#: The planted twins' website (not part of the name or search text, so blocking ignores it).
MARK = "https://dubbelbench.example"


def _variant(name: str, rng: random.Random) -> str:
    words = name.replace(" B.V.", "").replace(" V.O.F.", "").split()
    kind = rng.randrange(4)
    if kind == 0 and len(words) > 1:
        words = words[1:] + words[:1]  # "Bakkerij Jansen" → "Jansen Bakkerij"
    elif kind == 1:
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[longest]
        position = len(word) // 2
        words[longest] = word[:position] + word[position] + word[position:]  # a typo
    text = " ".join(words)
    return text + rng.choice(["", " B.V.", " VOF", " Holding"]) if kind != 3 else text.upper()


def _plant(session, rng: random.Random) -> None:
    from crm.journeys.companies import search_fields
    # Earlier versions marked the twins with a trade name (which blocking then used): redo.
    session.execute(sa.text("DELETE FROM companies WHERE trade_names = 'Dubbelbench'"))
    have = session.scalar(sa.text("SELECT count(*) FROM companies WHERE website = :m"),
                          {"m": MARK})
    if have >= PLANTED:
        return
    total = session.scalar(sa.text("SELECT max(id) FROM companies"))
    rows = []
    originals = session.execute(sa.text(
        "SELECT name, sbi_code, sbi_section, size_class, municipality_id, province_id "
        "FROM companies WHERE id IN ({}) AND kvk IS NOT NULL".format(
            ",".join(str(rng.randrange(1, total + 1)) for _ in range(PLANTED - have))))).all()
    for name, sbi, section, size, municipality, province in originals:
        twin = _variant(name, rng)
        rows.append({"name": twin, "trade_names": "", "website": MARK,
                     **search_fields(twin, ""),
                     "sbi_code": sbi, "sbi_section": section, "size_class": size,
                     "municipality_id": municipality, "province_id": province})
    session.execute(sa.text(
        "INSERT INTO companies (name, trade_names, website, sort_name, search_text, sbi_code, "
        "sbi_section, size_class, municipality_id, province_id, non_mailing, "
        "digital_maturity, created_at, version) VALUES (:name, :trade_names, :website, "
        ":sort_name, :search_text, :sbi_code, :sbi_section, :size_class, :municipality_id, "
        ":province_id, false, 'onbekend', CURRENT_TIMESTAMP, 1)"), rows)
    session.commit()


def run(database_url: str, n: int, seed: int, repeat: int) -> None:
    from crm import create_app
    from crm.extensions import db
    from crm.journeys.duplicates import find_duplicates
    from crm.models import Company

    os.environ.setdefault("CRM_SECRET_KEY", "benchmark-only-secret-key")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    rng = random.Random(seed)
    with app.app_context():
        _plant(db.session, rng)
        count = db.session.scalar(sa.text("SELECT count(*) FROM companies"))
        twins = db.session.execute(sa.text(
            "SELECT id, name, municipality_id FROM companies WHERE website = :m"),
            {"m": MARK}).all()
        top = db.session.scalar(sa.text("SELECT max(id) FROM companies"))
        sample = [t[0] for t in rng.sample(twins, min(n // 2, len(twins)))]
        sample += [rng.randrange(1, top + 1) for _ in range(n - len(sample))]
        db.session.remove()
        wall, cpu, found_twins, sizes = [], [], 0, []
        twin_ids = {t[0] for t in twins}
        for company_id in sample:
            company = db.session.get(Company, company_id)
            if company is None:
                db.session.remove()
                continue
            runs = []
            for _ in range(repeat):
                db.session.expire_all()
                started, started_cpu = time.perf_counter(), time.thread_time()
                matches = find_duplicates(company)
                runs.append((time.perf_counter() - started, time.thread_time() - started_cpu))
            wall.append(min(r[0] for r in runs) * 1000)
            cpu.append(min(r[1] for r in runs) * 1000)
            sizes.append(len(matches))
            if company_id in twin_ids and matches:
                found_twins += 1
            db.session.remove()
        backend = db.engine.dialect.name
    planted_asked = sum(1 for i in sample if i in twin_ids)
    print(f"backend: {backend}   companies: {count:,}   look-ups: {len(wall)} (best of {repeat})"
          f"   load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"possible-duplicates look-up   p50 {statistics.median(wall):.2f} ms   "
          f"p99 {percentile(wall, 99):.2f} ms   max {max(wall):.2f} ms   "
          f"client CPU p50 {statistics.median(cpu):.2f} ms")
    print(f"planted twins found: {found_twins} of {planted_asked}   "
          f"matches per company: mean {statistics.mean(sizes):.2f}, max {max(sizes)}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--generate", type=int, metavar="N",
                        help="first generate (top up to) N companies")
    parser.add_argument("--companies", type=int, default=400, help="companies looked up")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    url = absolute_sqlite_url(args.database_url)
    if args.generate:
        generate(url, args.generate)
    run(url, max(2, args.companies), args.seed, max(1, args.repeat))


if __name__ == "__main__":
    main()
