"""Generate a realistic company register for benchmarking.

    python -m bench.generate --database-url sqlite:///bench/data/crm.sqlite --companies 1000000
    python -m bench.generate --database-url postgresql+psycopg://postgres@127.0.0.1/crm_bench \
        --companies 1000000 --reset

Migrates the database to the latest revision, adds municipalities beyond the shipped reference
set (so places are spread the way companies are), and bulk-loads companies: plausible Dutch
names, trade names for some, SBI codes over all sections, sizes skewed to zzp and micro,
municipalities weighted by population, unique 8-digit KVK numbers (leading zeros included).
Rows go in with Core executemany in batches (PostgreSQL: COPY). Without ``--reset`` it tops
up to the requested number; ``--reset`` starts from an empty database (PostgreSQL: drops and
recreates the database named in the URL, never ``test`` or ``postgres``).
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from crm.journeys.companies import search_fields
from crm.models import size_class_for
from crm.reference import normalise, section_for_sbi

BATCH = 10_000
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1"}

#: Municipalities beyond the shipped reference data: (code, name, province code, population
#: in thousands). Shipped ones get their population here too.
MUNICIPALITIES = [
    ("GM0363", "Amsterdam", "PV27", 930), ("GM0599", "Rotterdam", "PV28", 670),
    ("GM0518", "'s-Gravenhage", "PV28", 560), ("GM0344", "Utrecht", "PV26", 370),
    ("GM0772", "Eindhoven", "PV30", 240), ("GM0014", "Groningen", "PV20", 240),
    ("GM0855", "Tilburg", "PV30", 225), ("GM0034", "Almere", "PV24", 220),
    ("GM0758", "Breda", "PV30", 185), ("GM0268", "Nijmegen", "PV25", 180),
    ("GM0200", "Apeldoorn", "PV25", 167), ("GM0392", "Haarlem", "PV27", 165),
    ("GM0202", "Arnhem", "PV25", 165), ("GM0153", "Enschede", "PV23", 160),
    ("GM0479", "Zaanstad", "PV27", 160), ("GM0307", "Amersfoort", "PV26", 160),
    ("GM0796", "'s-Hertogenbosch", "PV30", 158), ("GM1783", "Westland", "PV28", 112),
    ("GM0637", "Zoetermeer", "PV28", 126), ("GM0193", "Zwolle", "PV23", 131),
    ("GM0546", "Leiden", "PV28", 127), ("GM0935", "Maastricht", "PV31", 122),
    ("GM0505", "Dordrecht", "PV28", 120), ("GM0228", "Ede", "PV25", 120),
    ("GM0080", "Leeuwarden", "PV21", 125), ("GM0503", "Delft", "PV28", 105),
    ("GM0150", "Deventer", "PV23", 102), ("GM0402", "Hilversum", "PV27", 92),
    ("GM0983", "Venlo", "PV31", 102), ("GM0361", "Alkmaar", "PV27", 110),
    ("GM0917", "Heerlen", "PV31", 87), ("GM0114", "Emmen", "PV22", 108),
    ("GM0164", "Hengelo", "PV23", 82), ("GM0362", "Amstelveen", "PV27", 92),
    ("GM1883", "Sittard-Geleen", "PV31", 91), ("GM0794", "Helmond", "PV30", 93),
    ("GM0828", "Oss", "PV30", 93), ("GM0441", "Hoorn", "PV27", 74),
    ("GM0995", "Lelystad", "PV24", 80), ("GM0106", "Assen", "PV22", 69),
    ("GM0664", "Goes", "PV29", 38), ("GM0718", "Vlissingen", "PV29", 45),
    ("GM0715", "Terneuzen", "PV29", 55), ("GM0687", "Middelburg", "PV29", 49),
    ("GM1900", "Súdwest-Fryslân", "PV21", 90), ("GM0074", "Heerenveen", "PV21", 51),
    ("GM0345", "Veenendaal", "PV26", 67), ("GM0356", "Nieuwegein", "PV26", 64),
    ("GM0321", "Houten", "PV26", 50), ("GM0355", "Zeist", "PV26", 66),
    ("GM0232", "Epe", "PV25", 33), ("GM0119", "Meppel", "PV22", 35),
    ("GM0118", "Hoogeveen", "PV22", 56), ("GM0166", "Kampen", "PV23", 55),
    ("GM0141", "Almelo", "PV23", 74), ("GM0957", "Roermond", "PV31", 59),
    ("GM1942", "Gooise Meren", "PV27", 59), ("GM0406", "Huizen", "PV27", 42),
    ("GM0417", "Laren", "PV27", 11), ("GM0376", "Blaricum", "PV27", 12),
    ("GM1696", "Wijdemeren", "PV27", 24), ("GM0317", "Eemnes", "PV26", 9),
    ("GM0037", "Stadskanaal", "PV20", 32), ("GM0047", "Veendam", "PV20", 28),
    ("GM0090", "Smallingerland", "PV21", 56), ("GM0984", "Venray", "PV31", 44),
    ("GM0232X", "Brummen", "PV25", 21), ("GM0297", "Zaltbommel", "PV25", 30),
    ("GM1680", "Aa en Hunze", "PV22", 25), ("GM0303", "Dronten", "PV24", 42),
    ("GM0184", "Urk", "PV24", 22), ("GM0171", "Noordoostpolder", "PV24", 48),
]

SURNAMES = """De Jong|Jansen|De Vries|Van den Berg|Van Dijk|Bakker|Janssen|Visser|Smit|Meijer|
De Boer|Mulder|De Groot|Bos|Vos|Peters|Hendriks|Van Leeuwen|Dekker|Brouwer|De Wit|Dijkstra|
Smits|De Graaf|Van der Meer|Van der Linden|Kok|Jacobs|De Haan|Vermeulen|Van den Heuvel|
Van der Veen|Van den Broek|De Bruijn|De Bruin|Van der Heijden|Schouten|Van Beek|Willems|
Van Vliet|Van de Ven|Hoekstra|Maas|Verhoeven|Koster|Van Dam|Van der Wal|Prins|Blom|Huisman|
Peeters|De Koning|Van Wijk|Postma|Kuipers|Van den Bosch|Kramer|Bosman|Van Doorn|Mertens|
Gerritsen|Timmermans|Wouters|Claassen|Kuiper|Veenstra|Boersma|Sanders|Evers|Hermans|Koopman|
Van Rijn|Zwart|Groen|Wijnands|Van Os|Molenaar|Scholten|Haverkamp|Nijhuis|Oosterhuis|Çelik|
Yılmaz|Öztürk|Kaya|Müller|Brüggemann|Nguyen|El Amrani|Bouzid|Van 't Hof|D'Hondt|Lefèvre|
Schröder|Søndergaard|Ruiz|Fernández|Kowalski|Nowak|Wiśniewski|Adébáyọ̀|Hoogendoorn|Terpstra|
Van Veen|Vink|Pronk|Kloosterman|Hofman|Lammers|Verbeek|Dam|Vonk|Sluiter|Steenbergen|Zijlstra
""".replace("\n", "").split("|")

FIRST_NAMES = """Daan|Sem|Lucas|Levi|Finn|Noah|Milan|Luuk|Bram|Jesse|Thomas|Ruben|Tim|Lars|Sanne|
Emma|Julia|Sophie|Lotte|Anna|Eva|Fleur|Lisa|Iris|Noor|Femke|Mila|Tess|Zoë|Chloë|Mohamed|Ayşe|
Fatima|Kees|Henk|Jan|Piet|Marieke|Annemiek|José|René|Hélène|Joëlle|Björn""".replace(
    "\n", "").split("|")

FANTASY_A = ["Blue", "Green", "Nova", "Flex", "Smart", "Solid", "Prime", "Fresh", "Bright",
             "Next", "Eco", "Digi", "Snel", "Sterk", "Oranje", "Holland", "Noord", "Zuid",
             "Polder", "Delta", "Dijk", "Molen", "Tulp", "Klomp", "Zon", "Regen", "Wind",
             "Golf", "Kompas", "Anker", "Brug", "Toren", "Linde", "Eik", "Berk", "Vonk"]
FANTASY_B = ["wave", "works", "point", "line", "lab", "hub", "sync", "base", "field", "stone",
             "wise", "form", "craft", "stad", "land", "kracht", "werk", "plein", "hof",
             "haven", "poort", "zicht", "licht", "stroom", "net", "veld", "markt", "kamer"]
FANTASY_C = ["Solutions", "Media", "Design", "Group", "Groep", "Services", "Consultancy",
             "Studio", "Projects", "Partners", "Support", "Systems", "Holding", "Collective"]

#: section → (share of companies in percent, activities, SBI codes)
SECTIONS = {
    "A": (3.5, ["Veehouderij", "Akkerbouw", "Kwekerij", "Loonbedrijf", "Melkveebedrijf",
                "Tuinderij", "Boomkwekerij"], ["0111", "0113", "0130", "0141", "0161", "0150"]),
    "B": (0.05, ["Zandwinning", "Grindwinning"], ["0812", "0899"]),
    "C": (3.5, ["Bakkerij", "Metaalbewerking", "Meubelmakerij", "Drukkerij",
                "Machinefabriek", "Brouwerij", "Houtbewerking", "Kaasmakerij"],
          ["1071", "2562", "3101", "1812", "2829", "1105", "1623", "1051"]),
    "D": (0.3, ["Energie", "Zonne-energie", "Windenergie"], ["3511", "3514"]),
    "E": (0.2, ["Afvalverwerking", "Recycling", "Rioolreiniging"], ["3811", "3832", "3700"]),
    "F": (12, ["Bouwbedrijf", "Aannemersbedrijf", "Schildersbedrijf", "Installatietechniek",
               "Dakdekkersbedrijf", "Timmerbedrijf", "Loodgietersbedrijf", "Elektrotechniek",
               "Tegelzetbedrijf", "Stukadoorsbedrijf", "Klussenbedrijf", "Grondwerken"],
          ["4120", "4399", "4334", "4322", "4391", "4332", "4322", "4321", "4333", "4331",
           "4399", "4312"]),
    "G": (15, ["Autobedrijf", "Groothandel", "Bloemenhandel", "Fietsenwinkel", "Slagerij",
               "Supermarkt", "Juwelier", "Wijnhandel", "Webshop", "Kaashandel", "Bakkerij",
               "Groentehandel", "Boekhandel", "Autoschadebedrijf"],
          ["4511", "4690", "4776", "4764", "4722", "4711", "4777", "4725", "4791", "4729",
           "4724", "4721", "4761", "4520"]),
    "H": (3.5, ["Transport", "Koeriersdienst", "Taxibedrijf", "Logistiek", "Verhuisbedrijf",
                "Expeditie"], ["4941", "5320", "4932", "5210", "4942", "5229"]),
    "I": (5, ["Café", "Restaurant", "Eetcafé", "Hotel", "Lunchroom", "Snackbar", "Brasserie",
              "Pizzeria", "Catering", "Bed & Breakfast"],
          ["5630", "5610", "5610", "5510", "5610", "5610", "5610", "5610", "5621", "5520"]),
    "J": (6, ["ICT", "Software", "Webdesign", "Media", "IT Services", "Uitgeverij",
              "Automatisering", "Hosting"], ["6201", "6201", "6201", "5911", "6202", "5814",
                                             "6203", "6311"]),
    "K": (2.5, ["Financieel Advies", "Assurantiën", "Hypotheken", "Beleggingen"],
          ["6619", "6622", "6619", "6630"]),
    "L": (2.5, ["Vastgoed", "Makelaardij", "Vastgoedbeheer"], ["6820", "6831", "6832"]),
    "M": (18, ["Advies", "Architectenbureau", "Administratiekantoor", "Accountants",
               "Advocatenkantoor", "Ingenieursbureau", "Consultancy", "Fotografie",
               "Marketing", "Communicatie", "Interim Management", "Vertaalbureau",
               "Reclamebureau", "Dierenartsenpraktijk"],
          ["7022", "7111", "6920", "6920", "6910", "7112", "7022", "7420", "7311", "7021",
           "7022", "7430", "7311", "7500"]),
    "N": (7, ["Schoonmaakbedrijf", "Uitzendbureau", "Beveiliging", "Hoveniersbedrijf",
              "Verhuur", "Reisbureau"], ["8121", "7820", "8010", "8130", "7739", "7911"]),
    "O": (0.05, ["Gemeentewerken"], ["8411"]),
    "P": (5, ["Rijschool", "Bijles", "Opleidingen", "Muziekles", "Taalschool", "Training"],
          ["8553", "8559", "8559", "8552", "8559", "8559"]),
    "Q": (9, ["Fysiotherapie", "Tandartspraktijk", "Huisartsenpraktijk", "Thuiszorg",
              "Kinderopvang", "Psychologenpraktijk", "Verloskundigen", "Zorg"],
          ["8691", "8623", "8621", "8810", "8891", "8622", "8692", "8899"]),
    "R": (5, ["Sportschool", "Dansschool", "Theater", "Muziek", "Kunst", "Yoga"],
          ["9313", "8552", "9004", "9001", "9003", "9313"]),
    "S": (6, ["Kapsalon", "Schoonheidssalon", "Pedicure", "Nagelstudio", "Stomerij",
              "Reparatie", "Vereniging"], ["9602", "9602", "9604", "9602", "9601", "9524",
                                           "9499"]),
    "T": (0.02, ["Huishouding"], ["9700"]),
    "U": (0.01, ["Ambassade"], ["9900"]),
}

SIZES = [("zzp", 60, (1, 1)), ("micro", 30, (2, 9)), ("klein", 7, (10, 49)),
         ("middelgroot", 2.5, (50, 249)), ("groot", 0.5, (250, 5000))]
LEGAL = [("", 52), (" B.V.", 35), (" V.O.F.", 6), (" Holding B.V.", 3), (" C.V.", 1),
         (" N.V.", 0.3), (" Stichting", 2.7)]


def _choices(pairs):
    return [p[0] for p in pairs], [p[1] for p in pairs]


class NameMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.sections, self.section_weights = list(SECTIONS), [v[0] for v in SECTIONS.values()]
        self.legal, self.legal_weights = _choices(LEGAL)

    def fantasy(self):
        r = self.rng
        word = r.choice(FANTASY_A) + r.choice(FANTASY_B)
        return word + " " + r.choice(FANTASY_C) if r.random() < 0.5 else word

    def person(self):
        r = self.rng
        return self.full_name() if r.random() < 0.3 else r.choice(SURNAMES)

    def full_name(self):
        # After a first name the tussenvoegsel is lower-case: "Sem van der Heijden".
        r = self.rng
        surname = r.choice(SURNAMES)
        if surname.startswith(("Van ", "De ", "Van'", "D'")):
            surname = surname[0].lower() + surname[1:]
        return f"{r.choice(FIRST_NAMES)} {surname}"

    def name(self, activity: str, size: str, place: str) -> str:
        r = self.rng
        style = r.random()
        if style < 0.28:
            base = f"{activity} {r.choice(SURNAMES)}"
        elif style < 0.55:
            base = f"{self.person()} {activity}"
        elif style < 0.70:
            base = self.fantasy()
        elif style < 0.78:
            base = f"{activity} {place}"
        elif style < 0.86:
            base = f"{r.choice(SURNAMES)} & {r.choice(SURNAMES)} {activity}"
        elif style < 0.94:
            base = self.full_name()  # a one-person business under the owner's name
        else:
            base = f"{activity} {r.choice(FANTASY_A)}{r.choice(FANTASY_B)}"
        legal = r.choices(self.legal, self.legal_weights)[0]
        if size == "zzp" and legal.strip() in ("N.V.", "Holding B.V."):
            legal = ""
        name = "Stichting " + base if legal == " Stichting" else base + legal
        return name[:200]

    def trade_names(self, name: str, activity: str) -> str:
        r = self.rng
        if r.random() > 0.25:
            return ""
        names = []
        for _ in range(r.choice((1, 1, 1, 2, 3))):
            pick = r.random()
            if pick < 0.4:
                names.append(self.fantasy())
            elif pick < 0.7:
                names.append(f"{r.choice(SURNAMES)} {activity}")
            else:
                names.append(f"{activity} {r.choice(FANTASY_A)}{r.choice(FANTASY_B)}")
        return "\n".join(dict.fromkeys(n for n in names if n != name))


def _ensure_municipalities(conn) -> list[tuple[int, int, str, float]]:
    """Add the benchmark municipalities that are missing; (id, province id, name, weight)."""
    provinces = dict(conn.execute(sa.text("SELECT code, id FROM provinces")).all())
    have = dict(conn.execute(sa.text("SELECT code, id FROM municipalities")).all())
    rows = [{"code": code[:6], "name": name, "search_name": normalise(name),
             "province_id": provinces[prov]}
            for code, name, prov, _ in MUNICIPALITIES if code[:6] not in have
            and name not in {n for (n,) in conn.execute(sa.text(
                "SELECT name FROM municipalities")).all()}]
    if rows:
        conn.execute(sa.text("INSERT INTO municipalities (code, name, search_name, province_id)"
                             " VALUES (:code, :name, :search_name, :province_id)"), rows)
    population = {name: pop for _, name, _, pop in MUNICIPALITIES}
    return [(mid, pid, name, population.get(name, 20)) for mid, pid, name in conn.execute(
        sa.text("SELECT id, province_id, name FROM municipalities ORDER BY id")).all()]


def company_rows(n: int, kvks: list[int], municipalities, seed: int):
    """Yield ``n`` company rows (dicts of column values)."""
    rng = random.Random(seed)
    maker = NameMaker(rng)
    places, weights = municipalities, [m[3] for m in municipalities]
    sizes, size_weights = [s[0] for s in SIZES], [s[1] for s in SIZES]
    size_ranges = {s[0]: s[2] for s in SIZES}
    phases = ["starter", "scale-up", "overig", None]
    for i in range(n):
        section = rng.choices(maker.sections, maker.section_weights)[0]
        activities, codes = SECTIONS[section][1], SECTIONS[section][2]
        k = rng.randrange(len(activities))
        activity, code = activities[k], codes[k % len(codes)]
        if section_for_sbi(code) != section:
            code = codes[0]
        size = rng.choices(sizes, size_weights)[0]
        employees = rng.randint(*size_ranges[size]) if rng.random() < 0.8 else None
        municipality_id, province_id, place, _ = rng.choices(places, weights)[0]
        name = maker.name(activity, size, place)
        trade = maker.trade_names(name, activity)
        kvk = f"{kvks[i]:08d}"
        yield {"kvk": kvk, "name": name, "trade_names": trade,
               **search_fields(name, trade), "sbi_code": code,
               "sbi_section": section_for_sbi(code), "employees": employees,
               "size_class": size_class_for(employees) or size,
               "phase": rng.choice(phases), "municipality_id": municipality_id,
               "province_id": province_id}


COLUMNS = ["kvk", "name", "trade_names", "sort_name", "search_text", "sbi_code", "sbi_section",
           "employees", "size_class", "phase", "municipality_id", "province_id"]


def absolute_sqlite_url(database_url: str) -> str:
    """A SQLite URL with an absolute path (Flask-SQLAlchemy would resolve a relative one
    against the instance folder, not the working directory)."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=False)


def _reset(url: sa.URL) -> None:
    if url.get_backend_name() == "sqlite":
        if url.database:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(url.database + suffix).unlink(missing_ok=True)
        return
    name = url.database
    if not name or name in PROTECTED_DATABASES or name.startswith("template"):
        sys.exit(f"refusing to reset database {name!r}: name a benchmark database "
                 f"such as crm_bench")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _create_postgres_database_if_missing(url: sa.URL) -> None:
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": url.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def _load_sqlite(engine, rows_iter, n) -> None:
    insert = sa.text(f"INSERT INTO companies ({', '.join(COLUMNS)}) "
                     f"VALUES ({', '.join(':' + c for c in COLUMNS)})")
    done, started = 0, time.perf_counter()
    with engine.connect() as conn:
        batch = []
        for row in rows_iter:
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(insert, batch)
                conn.commit()
                done += len(batch)
                batch = []
                _progress(done, n, started)
        if batch:
            conn.execute(insert, batch)
            conn.commit()
            done += len(batch)
    _progress(done, n, started, final=True)


def _load_postgres(engine, rows_iter, n) -> None:
    done, started = 0, time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # The trigram index is far cheaper to build once than to maintain row by row.
        cursor.execute("DROP INDEX IF EXISTS ix_trgm_companies_search_text")
        raw.commit()
        batch = []

        def flush():
            nonlocal done
            with cursor.copy(f"COPY companies ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row([row[c] for c in COLUMNS])
            raw.commit()
            done += len(batch)
            batch.clear()
            _progress(done, n, started)

        for row in rows_iter:
            batch.append(row)
            if len(batch) >= BATCH * 5:
                flush()
        if batch:
            flush()
        _progress(done, n, started, final=True)
        t = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("CREATE INDEX IF NOT EXISTS ix_trgm_companies_search_text "
                       "ON companies USING gin (search_text gin_trgm_ops)")
        raw.commit()
        print(f"trigram index built in {time.perf_counter() - t:.1f} s", flush=True)
    finally:
        raw.close()


def _progress(done, n, started, final=False):
    if final or done % 100_000 == 0:
        elapsed = time.perf_counter() - started
        print(f"{done:>9,} / {n:,} companies  {done / max(elapsed, 1e-9):,.0f} rows/s"
              + ("  (done)" if final else ""), flush=True)


def generate(database_url: str, companies: int, *, reset: bool = False, seed: int = 42) -> None:
    from flask_migrate import upgrade

    from crm import create_app
    from crm.extensions import db

    database_url = absolute_sqlite_url(database_url)
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    if reset:
        _reset(url)
    elif url.get_backend_name() == "postgresql":
        _create_postgres_database_if_missing(url)
    os.environ.setdefault("CRM_SECRET_KEY", "benchmark-only-secret-key")
    # Benchmark users sign in with a password only (two-step verification is timed nowhere).
    os.environ.setdefault("CRM_MFA_REQUIRED_ROLES", "")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        t = time.perf_counter()
        upgrade()
        print(f"migrated in {time.perf_counter() - t:.1f} s", flush=True)
        engine = db.engine
        with engine.begin() as conn:
            municipalities = _ensure_municipalities(conn)
            existing = conn.scalar(sa.text("SELECT count(*) FROM companies"))
            taken = set()
            if existing:
                taken = {int(k) for k in conn.execute(sa.text(
                    "SELECT kvk FROM companies WHERE kvk IS NOT NULL")).scalars()}
        missing = companies - existing
        if missing <= 0:
            print(f"{existing:,} companies present; nothing to do")
            return
        rng = random.Random(seed + existing)
        kvks = [k for k in rng.sample(range(10 ** 8), missing + len(taken)) if k not in taken]
        kvks = kvks[:missing]
        rows = company_rows(missing, kvks, municipalities, seed + existing)
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            _load_postgres(engine, rows, missing)
        else:
            _load_sqlite(engine, rows, missing)
        elapsed = time.perf_counter() - started
        print(f"loaded {missing:,} companies in {elapsed:.1f} s "
              f"({missing / elapsed:,.0f} rows/s including indexes)", flush=True)
        t = time.perf_counter()
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE companies"))
                conn.execute(sa.text("ANALYZE municipalities"))
        else:
            with engine.connect() as conn:
                # Merge the full-text index segments the row-by-row triggers left behind.
                conn.exec_driver_sql("INSERT INTO company_fts(company_fts) VALUES ('optimize')")
                conn.exec_driver_sql("PRAGMA analysis_limit = 2000")
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
                # Outside the transaction: a checkpoint inside one finds the tables locked.
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"analysed in {time.perf_counter() - t:.1f} s", flush=True)



def bench_app(database_url: str, *, generate_companies: int | None = None):
    """The app on ``database_url`` (an SQLite path made absolute), with the register generated
    first when asked and the schema migrated to the latest revision: what every benchmark starts
    from before its own set-up."""
    from flask_migrate import upgrade

    from crm import create_app

    url = absolute_sqlite_url(database_url)
    if generate_companies:
        generate(url, generate_companies)
    os.environ.setdefault("CRM_SECRET_KEY", "benchmark-only-secret-key")
    # Benchmark users sign in with a password only (two-step verification is timed nowhere).
    os.environ.setdefault("CRM_MFA_REQUIRED_ROLES", "")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
    return app

def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--reset", action="store_true",
                        help="start from an empty database (drops it first)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    generate(args.database_url, args.companies, reset=args.reset, seed=args.seed)


if __name__ == "__main__":
    main()
