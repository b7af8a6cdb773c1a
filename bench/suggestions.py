"""Time next-door suggestions and the map's filter page against 5,000 offerings.

    python -m bench.suggestions --database-url sqlite:////work/main/bench/data/crm.sqlite
    python -m bench.suggestions --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench

Reuses the company register of :mod:`bench.generate` (run that first; this script upgrades the
schema to the latest migration), then adds, once (found again on later runs by the
``Aanbodbench`` prefix of its organisations): 220 organisations (as many initiatives as the
Regioscan mapped) with 5,000 offerings spread over the 12 archetypes and the provinces in the
proportions of the Regioscan tables — about 15 % national, 10 % for a named region, the rest
for one or two provinces — with target-group, form, technology, bottleneck and market-failure
tags, providers, periods (some expired, some withdrawn, some not taking referrals), a user, and
interventions with bottlenecks and topics for half of the 200 sample companies.

Then measures the median and 99th percentile of
:func:`crm.journeys.suggestions.suggest_next_doors` for 200 different companies, without and
with a question (target ≤ 20 ms p50), each call in a fresh session with the company and the
user loaded first, as a request has them in hand; and of the map's filter page
``GET /offerings?…`` through the test client with a signed-in user, for a mix of filters
(target ≤ 50 ms p50).
"""
import argparse
import gc
import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from .generate import absolute_sqlite_url
from .search import percentile

PREFIX = "Aanbodbench"
PASSWORD = "Bench-wachtwoord-2026"
USER_EMAIL = "aanbodbench@example.nl"
ORGANISATIONS = 220
BATCH = 1_000

#: Regioscan: number of activities per archetype (of 582).
ARCHETYPE_COUNTS = {
    "signaleren": 15, "netwerken": 86, "faciliteiten": 41, "werken-met-studenten": 66,
    "onderwijs-studenten": 40, "onderwijs-professionals": 42, "advisering": 61,
    "subsidies": 52, "workshops": 86, "onderzoek": 42, "scans": 30, "kennisplatform": 21,
}
#: Regioscan: activities per province.
PROVINCE_COUNTS = {
    "Drenthe": 23, "Flevoland": 27, "Fryslân": 32, "Gelderland": 70, "Groningen": 45,
    "Limburg": 37, "Noord-Brabant": 42, "Noord-Holland": 68, "Overijssel": 74, "Utrecht": 57,
    "Zeeland": 20, "Zuid-Holland": 87,
}
ORG_KINDS = ["edih", "werkplaats", "programma", "rom", "gemeente", "provincie",
             "kennisinstelling", "bank", "branche", "overig"]
PROVIDERS = [("Ministerie van EZK", 30), ("Rabobank", 25), ("Provincie Noord-Holland", 18),
             ("Hanzehogeschool Groningen", 16), ("Provincie Noord-Brabant", 15), ("RUG", 14),
             ("Oost NL", 13), ("Provincie Overijssel", 13), ("NHL Stenden", 13), ("EU", 12),
             ("TNO", 11), ("KVK", 9), ("ROM Utrecht", 8), ("Hogeschool van Amsterdam", 8)]
NAME_PARTS = {
    "signaleren": ["Ondernemersloket", "Digitaal spreekuur", "Vraagbaak"],
    "netwerken": ["Netwerk", "Ondernemerscafé", "Platform", "Kennisnetwerk"],
    "faciliteiten": ["Fieldlab", "Proeftuin", "Makerspace", "Testomgeving"],
    "werken-met-studenten": ["Digitale Werkplaats", "Studentenproject", "Praktijkopdracht"],
    "onderwijs-studenten": ["Minor", "Leerlijn", "Opleiding"],
    "onderwijs-professionals": ["Leergang", "Masterclassreeks", "Bijscholing", "Academie"],
    "advisering": ["Adviestraject", "Digitaliseringscoach", "Adviesvoucher"],
    "subsidies": ["Subsidieregeling", "Voucher", "Innovatiekrediet", "MIT-regeling"],
    "workshops": ["Workshop", "Kennissessie", "Inspiratiesessie", "Masterclass"],
    "onderzoek": ["Onderzoeksproject", "Living lab", "Innovatieproject"],
    "scans": ["Digitale scan", "Quickscan", "Volwassenheidsscan", "Nulmeting"],
    "kennisplatform": ["Kennisbank", "Toolkit", "Online platform"],
}
THEMES = [("webshop en online verkoop", ["online-marketing"]),
          ("cybersecurity", ["cybersecurity"]), ("AI in de praktijk", ["ai"]),
          ("data en dashboards", ["data-analytics"]), ("robotisering", ["robotica"]),
          ("slimme sensoren", ["iot"]), ("Smart Industry", ["smart-industry"]),
          ("procesautomatisering", ["automatisering"]), ("productiviteit", ["productiviteit"]),
          ("digitale basisvaardigheden", [])]
SECTIONS = list("ABCDEFGHIJKLMNOPQRS")
QUESTIONS = ["Wij willen een webshop beginnen", "Hoe beveiligen wij onze klantgegevens?",
             "Kunnen wij AI gebruiken voor offertes?", "Subsidie voor een nieuwe machine",
             "Hulp bij data en dashboards", "Robot in de productie"]
MAP_FILTERS = [
    {}, {"q": "webshop"}, {"archetype": "scans"}, {"size": "micro", "maturity": "laag"},
    {"bottleneck": "kunnen", "technology": "ai"}, {"sector": "C", "size": "klein"},
    {"q": "cyber", "takes_referrals": "1"}, {"form": "data", "phase": "starter"},
    {"market_failure": "informatiegebreken"}, {"archetype": "subsidies", "expired": "1"},
]


def _weighted(rng, counts: dict):
    keys = list(counts)
    return rng.choices(keys, weights=[counts[k] for k in keys])[0]


def setup(engine, n_offerings: int, sample_companies: list[int], seed: int) -> None:
    """Organisations, offerings with their tags, providers, places, a user and interventions."""
    from werkzeug.security import generate_password_hash

    from crm.models import Intervention, Offering, OfferingProvider, OfferingTag, Organisation
    from crm.models import User
    from crm.models.intervention import intervention_bottlenecks, intervention_topics
    from crm.models.offering import offering_provinces, offering_regions
    from crm.models.organisation import organisation_provinces
    from crm.reference import normalise
    from crm.models.vocabulary import (BOTTLENECK_SLUGS, DIGITALISATION_FORMS, MARKET_FAILURES,
                                       TECHNOLOGY_TAGS, TOPIC_SLUGS)

    with engine.connect() as conn:
        have = conn.scalar(sa.select(sa.func.count()).select_from(Offering.__table__).join(
            Organisation.__table__, Organisation.id == Offering.organisation_id).where(
            Organisation.name.like(f"{PREFIX}%")))
    if have >= n_offerings:
        print(f"{have} benchmark offerings present; not adding them again", flush=True)
        return
    if have:
        raise SystemExit(f"{have} of {n_offerings} benchmark offerings present: a half-done "
                         "earlier run; remove the Aanbodbench organisations and run again")
    rng = random.Random(seed)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    today = date.today()
    with engine.begin() as conn:
        provinces = dict(conn.execute(sa.text("SELECT name, id FROM provinces")).all())
        region_ids = conn.scalars(sa.text("SELECT id FROM regions ORDER BY id")).all()
        conn.execute(sa.insert(Organisation.__table__), [
            {"name": f"{PREFIX} {rng.choice(['Stichting', 'Programma', 'Hub', 'Netwerk'])} "
                     f"{i + 1:03d}", "kind": ORG_KINDS[i % len(ORG_KINDS)], "active": True,
             "intake_point": False, "created_at": now}
            for i in range(ORGANISATIONS + 1)])
        orgs = conn.execute(sa.select(Organisation.id, Organisation.name).where(
            Organisation.name.like(f"{PREFIX}%")).order_by(Organisation.id)).all()
        org_names = dict(orgs)
        own_org, orgs = orgs[0][0], [o for o, _ in orgs[1:]]
        home = {o: _weighted(rng, PROVINCE_COUNTS) for o in orgs}
        conn.execute(sa.insert(organisation_provinces), [
            {"organisation_id": o, "province_id": provinces[p]} for o, p in home.items()])
        conn.execute(sa.insert(User.__table__), [{
            "email": USER_EMAIL, "name": "Aanbodbench Medewerker",
            "password_hash": generate_password_hash(PASSWORD), "organisation_id": own_org,
            "role": "staff", "active": True, "created_at": now}])
        user_id = conn.scalar(sa.select(User.id).where(User.email == USER_EMAIL))

    forms = [f for f, _ in DIGITALISATION_FORMS]
    technologies = [t for t, _ in TECHNOLOGY_TAGS]
    failures = [m for m, _ in MARKET_FAILURES]
    done = 0
    while done < n_offerings:
        size = min(BATCH, n_offerings - done)
        rows, extras = [], []
        for _ in range(size):
            org = rng.choice(orgs)
            archetype = _weighted(rng, ARCHETYPE_COUNTS)
            theme, theme_tech = rng.choice(THEMES)
            reach = rng.random()
            if reach < 0.15:
                places, regions = [], []
            elif reach < 0.25:
                places, regions = [], [rng.choice(region_ids)]
            else:
                places = [home[org]]
                if rng.random() < 0.2:
                    places.append(_weighted(rng, PROVINCE_COUNTS))
                regions = []
            where = " en ".join(dict.fromkeys(places)) or ("de regio" if regions else "heel Nederland")
            name = f"{rng.choice(NAME_PARTS[archetype])} {theme}"
            ends = None
            period = rng.random()
            if period < 0.12:
                ends = today - timedelta(days=rng.randint(1, 700))
            elif period < 0.35:
                ends = today + timedelta(days=rng.randint(1, 900))
            rows.append({
                "organisation_id": org, "name": name[:200],
                "description": (f"{name} voor ondernemers in {where}. Wij helpen mkb'ers met "
                                f"{theme}: van eerste verkenning tot concrete stappen."),
                "archetype": archetype, "cost_kind": rng.choice(["gratis"] * 3 + [
                    "eigen-bijdrage", "betaald"]),
                "cost_note": "", "starts_on": date(2022, 1, 1) + timedelta(days=rng.randrange(900)),
                "ends_on": ends, "contact_name": "Loket", "contact_email": "info@example.nl",
                "contact_phone": "", "url": "", "takes_referrals": rng.random() < 0.9,
                "active": rng.random() < 0.95, "created_at": now})
            tags = set()
            if rng.random() < 0.55:
                tags |= {("size", s) for s in rng.sample(["zzp", "micro", "klein", "middelgroot"],
                                                         rng.randint(1, 3))}
            if rng.random() < 0.35:
                tags |= {("sector", s) for s in rng.sample(SECTIONS, rng.randint(1, 3))}
            if rng.random() < 0.25:
                tags |= {("phase", rng.choice(["starter", "scale-up", "overig"]))}
            if rng.random() < 0.5:
                tags |= {("maturity", m) for m in rng.sample(
                    ["laag", "middel", "hoog", "ongespecificeerd"], rng.randint(1, 2))}
            tags |= {("bottleneck", b) for b in rng.sample(BOTTLENECK_SLUGS, rng.randint(1, 2))}
            tags |= {("form", f) for f in rng.sample(forms, rng.randint(1, 2))}
            tags |= {("technology", t) for t in theme_tech}
            if rng.random() < 0.4:
                tags.add(("technology", rng.choice(technologies)))
            tags.add(("market-failure", rng.choice(failures)))
            providers = {}
            for _ in range(rng.randint(0, 2)):
                providers[_weighted(rng, dict(PROVIDERS))] = rng.choice(
                    ["initiatiefnemer", "financier", "uitvoerder"])
            extras.append((dict.fromkeys(places), regions, tags, providers))
            # What the ORM's before_flush hook fills for offerings made in the app.
            rows[-1]["search_text"] = normalise(" ".join(
                [rows[-1]["name"], rows[-1]["description"], org_names[org], *providers]))
            rows[-1]["profile"] = " ".join(
                sorted(f"{d}:{v}" for d, v in tags)
                + [f"province:{provinces[p]}" for p in dict.fromkeys(places)]
                + [f"region:{r}" for r in regions])
        with engine.begin() as conn:
            first = (conn.scalar(sa.select(sa.func.max(Offering.id))) or 0) + 1
            conn.execute(sa.insert(Offering.__table__), rows)
            ids = conn.scalars(sa.select(Offering.id).where(Offering.id >= first)
                               .order_by(Offering.id)).all()
            assert len(ids) == size
            conn.execute(sa.insert(OfferingTag.__table__), [
                {"offering_id": i, "dimension": d, "value": v}
                for i, (_, _, tags, _) in zip(ids, extras) for d, v in tags])
            places = [{"offering_id": i, "province_id": provinces[p]}
                      for i, (ps, _, _, _) in zip(ids, extras) for p in ps]
            if places:
                conn.execute(sa.insert(offering_provinces), places)
            regions = [{"offering_id": i, "region_id": r}
                       for i, (_, rs, _, _) in zip(ids, extras) for r in rs]
            if regions:
                conn.execute(sa.insert(offering_regions), regions)
            providers = [{"offering_id": i, "name": n, "role": role}
                         for i, (_, _, _, ps) in zip(ids, extras) for n, role in ps.items()]
            if providers:
                conn.execute(sa.insert(OfferingProvider.__table__), providers)
        done += size
    print(f"{ORGANISATIONS} organisations and {done} offerings added in "
          f"{time.perf_counter() - started:.1f} s", flush=True)

    # Half the sample companies have a journey with the bench organisation: their open
    # bottlenecks and topics then count.
    with engine.begin() as conn:
        first = (conn.scalar(sa.select(sa.func.max(Intervention.id))) or 0) + 1
        rows = []
        for cid in sample_companies[::2]:
            for _ in range(rng.randint(1, 4)):
                rows.append({"company_id": cid, "organisation_id": own_org, "user_id": user_id,
                             "occurred_on": today - timedelta(days=rng.randrange(900)),
                             "kind": rng.choice(["intake", "telefoon", "scans", "advisering"]),
                             "summary": f"{PREFIX}: gesprek", "internal_note": "",
                             "created_at": now})
        conn.execute(sa.insert(Intervention.__table__), rows)
        ids = conn.scalars(sa.select(Intervention.id).where(Intervention.id >= first)).all()
        conn.execute(sa.insert(intervention_bottlenecks), [
            {"intervention_id": i, "bottleneck": b}
            for i in ids for b in rng.sample(BOTTLENECK_SLUGS, rng.randint(1, 2))])
        conn.execute(sa.insert(intervention_topics), [
            {"intervention_id": i, "topic": t}
            for i in ids for t in rng.sample(TOPIC_SLUGS, rng.randint(0, 2))])
    print(f"{len(rows)} interventions added for {len(sample_companies[::2])} companies",
          flush=True)


def sample_companies(engine, n: int, seed: int) -> list[int]:
    """``n`` different companies spread over the register (deterministic for a seed)."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        max_id = conn.scalar(sa.text("SELECT max(id) FROM companies")) or 0
        if not max_id:
            raise SystemExit("no companies: run python -m bench.generate first")
        wanted = sorted({rng.randint(1, max_id) for _ in range(n * 3)})
        found = conn.scalars(sa.text(
            "SELECT id FROM companies WHERE id IN ({}) AND municipality_id IS NOT NULL".format(
                ",".join(map(str, wanted))))).all()
    rng.shuffle(found)
    return sorted(found[:n])


def _stats(values):
    return statistics.median(values), percentile(values, 99)


def _line(label, values, target=None):
    p50, p99 = _stats(values)
    verdict = "" if target is None else ("  OK" if p50 <= target else f"  OVER {target} ms")
    print(f"{label:<48} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (n={len(values)}){verdict}",
          flush=True)


def measure(app, companies: list[int], runs: int, warmup: int) -> None:
    from sqlalchemy.orm import joinedload

    from crm.extensions import db
    from crm.journeys.suggestions import suggest_next_doors
    from crm.models import Company, User

    user_id = db.session.scalar(sa.select(User.id).where(User.email == USER_EMAIL))
    offerings = db.session.scalar(sa.text("SELECT count(*) FROM offerings"))
    print(f"{offerings} offerings in the database; {len(companies)} companies", flush=True)

    from crm.database import commit_if_only_read

    def one(cid, question=None, record=None):
        commit_if_only_read()  # end the previous call as a request ends (crm/database.py)
        db.session.remove()
        company = db.session.get(Company, cid, options=[joinedload(Company.province),
                                                        joinedload(Company.municipality)])
        user = db.session.get(User, user_id)
        _ = user.provinces  # noqa: F841 (loaded with the user in a request)
        gc.disable()
        started = time.perf_counter()
        result = suggest_next_doors(company, viewer=user, question=question, limit=10)
        elapsed = (time.perf_counter() - started) * 1000
        gc.enable()
        if record is not None:
            record.append(elapsed)
        return result

    for cid in companies[:warmup]:
        one(cid)
    plain, asked, counts = [], [], []
    for i in range(runs):
        cid = companies[i % len(companies)]
        counts.append(len(one(cid, record=plain)))
    for i in range(runs):
        cid = companies[i % len(companies)]
        one(cid, QUESTIONS[i % len(QUESTIONS)], record=asked)
    _line("suggest_next_doors (no question)", plain, 20)
    _line("suggest_next_doors (with a question)", asked, 20)
    # The catalogue in memory is read again after any change to the offerings: what that
    # first suggestion after a change costs (reading and indexing the catalogue).
    from crm.journeys import suggestion_catalogue
    cold = []
    for i in range(10):
        suggestion_catalogue._cache.clear()
        db.session.remove()
        started = time.perf_counter()
        suggestion_catalogue.catalogue(db.session)
        cold.append((time.perf_counter() - started) * 1000)
    _line("  catalogue read after a change (once per process)", cold)
    print(f"  suggestions per company: min {min(counts)}, median "
          f"{statistics.median(counts)}", flush=True)
    example = one(companies[0], QUESTIONS[0])
    for s in example[:3]:
        print(f"  e.g. {s.score:6.2f}  {s.offering.name} ({s.offering.archetype}) — "
              f"{s.reason_text}", flush=True)

    # The map's filter page through the test client, signed in.
    db.session.remove()
    client = app.test_client()
    response = client.post("/login", data={"email": USER_EMAIL, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    if client.get("/offerings").status_code == 404:
        print("GET /offerings: not there (404)", flush=True)
        return
    province_ids = db.session.scalars(sa.text("SELECT id FROM provinces ORDER BY id")).all()
    urls = []
    for i in range(max(runs, 200)):
        args = dict(MAP_FILTERS[i % len(MAP_FILTERS)])
        if i % 3 == 0:
            args["province"] = province_ids[i % len(province_ids)]
        urls.append("/offerings?" + "&".join(f"{k}={v}" for k, v in args.items()))
    for url in urls[:warmup]:
        client.get(url)
    pages = []
    for url in urls:
        gc.disable()
        started = time.perf_counter()
        response = client.get(url)
        pages.append((time.perf_counter() - started) * 1000)
        gc.enable()
        assert response.status_code == 200, (url, response.status_code)
    _line("GET /offerings?… (map filter page)", pages, 50)
    per_filter = {}
    for url, ms in zip(urls, pages):
        per_filter.setdefault(url.split("&province")[0], []).append(ms)
    for url, values in per_filter.items():
        _line(f"  {url[:46]}", values)


def _upgrade(upgrade, db) -> None:
    """``flask db upgrade``. On SQLite with data, a batch migration that rebuilds a referenced
    table (``organisations``) fails while foreign keys are enforced, so they are switched off
    for the upgrade (as SQLite's own ALTER TABLE procedure prescribes) and on again after."""
    if db.engine.dialect.name != "sqlite":
        upgrade()
        return
    from crm.database import _sqlite_pragmas

    def without_foreign_keys(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    sa.event.remove(sa.engine.Engine, "connect", _sqlite_pragmas)
    sa.event.listen(sa.engine.Engine, "connect", without_foreign_keys)
    db.engine.dispose()
    try:
        upgrade()
        with db.engine.connect() as conn:
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise SystemExit(f"foreign key problems after the upgrade: {problems[:5]}")
    finally:
        sa.event.remove(sa.engine.Engine, "connect", without_foreign_keys)
        sa.event.listen(sa.engine.Engine, "connect", _sqlite_pragmas)
        db.engine.dispose()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--offerings", type=int, default=5_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args(argv)

    from flask_migrate import upgrade

    from crm import create_app
    from crm.extensions import db

    url = absolute_sqlite_url(args.database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "SERVER_NAME": None})
    with app.app_context():
        _upgrade(upgrade, db)
        companies = sample_companies(db.engine, args.companies, args.seed)
        setup(db.engine, args.offerings, companies, args.seed)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execute(sa.text("ANALYZE offerings, offering_tags, offering_provinces, "
                                     "offering_regions, offering_providers, interventions"))
                conn.commit()
        measure(app, companies, args.runs, args.warmup)


if __name__ == "__main__":
    main()
