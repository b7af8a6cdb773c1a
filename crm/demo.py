"""Demo data for ``flask crm seed-demo``: a plausible network of organisations, their users,
and a few hundred companies with Dutch names, spread over the provinces the network covers.

Everything but the passwords is deterministic (one seeded :class:`random.Random`), so two
runs on an empty database give the same network. Passwords come from :mod:`secrets`.
"""
import random
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .journeys.companies import search_fields
from .models import (Company, ContactPerson, Municipality, Organisation, Province, Region, User,
                     size_class_for)
from .reference import normalise, section_for_sbi

ALL_PROVINCES = ("Groningen", "Fryslân", "Drenthe", "Overijssel", "Flevoland", "Gelderland",
                 "Utrecht", "Noord-Holland", "Zuid-Holland", "Zeeland", "Noord-Brabant",
                 "Limburg")

#: (name, kind, provinces, regions, mail domain). Names the sources mention, or generic ones.
ORGANISATIONS = [
    ("EDIH Noord-West", "edih", ("Utrecht", "Noord-Holland", "Flevoland"), (),
     "edih-noordwest.example.nl"),
    ("EDIH Oost-Nederland", "edih", ("Gelderland", "Overijssel"), (), "edih-oost.example.nl"),
    ("SPOT035", "programma", ("Noord-Holland", "Utrecht"), ("Gooi & Vechtstreek",),
     "spot035.example.nl"),
    ("Digitale Werkplaats Gooi & Vechtstreek", "werkplaats", ("Noord-Holland",),
     ("Gooi & Vechtstreek",), "werkplaats-gv.example.nl"),
    ("Digitale Werkplaats Utrecht", "werkplaats", ("Utrecht",), (),
     "werkplaats-utrecht.example.nl"),
    ("KVK", "kvk", ALL_PROVINCES, (), "kvk.example.nl"),
    ("ROM Utrecht Region", "rom", ("Utrecht",), (), "rom-utrecht.example.nl"),
    ("Oost NL", "rom", ("Gelderland", "Overijssel"), (), "oostnl.example.nl"),
    ("Provincie Utrecht", "provincie", ("Utrecht",), (), "provincie-utrecht.example.nl"),
    ("Provincie Noord-Holland", "provincie", ("Noord-Holland",), (), "noord-holland.example.nl"),
    ("Gemeente Hilversum", "gemeente", ("Noord-Holland",), ("Gooi & Vechtstreek",),
     "hilversum.example.nl"),
    ("Hanzehogeschool Groningen", "kennisinstelling", ("Groningen", "Drenthe", "Fryslân"), (),
     "hanze.example.nl"),
    ("Rabobank", "bank", ALL_PROVINCES, (), "rabobank.example.nl"),
    ("Brainport Development", "programma", ("Noord-Brabant",), (), "brainport.example.nl"),
    ("MKB-Nederland", "branche", ALL_PROVINCES, (), "mkb-nederland.example.nl"),
    ("Webbureau Vooruit", "commercieel", ("Utrecht", "Zuid-Holland"), (),
     "webbureau-vooruit.example.nl"),
    ("Volgende Deur – beheer", "overig", (), (), "volgendedeur.example.nl"),
]

#: (name, organisation, role, coordinated provinces). E-mail: first.last@<organisation domain>.
USERS = [
    ("Sanne de Vries", "EDIH Noord-West", "account_manager", ()),
    ("Mark Bakker", "EDIH Noord-West", "staff", ()),
    ("Fatima El Amrani", "SPOT035", "account_manager", ()),
    ("Joost Visser", "SPOT035", "staff", ()),
    ("Lotte Smit", "Digitale Werkplaats Gooi & Vechtstreek", "staff", ()),
    ("Ruben Mulder", "Oost NL", "account_manager", ()),
    ("Noah de Boer", "KVK", "account_manager", ()),
    ("Anouk Postma", "Hanzehogeschool Groningen", "staff", ()),
    ("Eva Jansen", "Provincie Utrecht", "coordinator", ("Utrecht",)),
    ("Thomas Meijer", "Provincie Noord-Holland", "coordinator", ("Noord-Holland", "Flevoland")),
    ("Beheerder Volgende Deur", "Volgende Deur – beheer", "admin", ()),
]

FIRST_NAMES = ("Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Jesse", "Bram", "Thijs",
               "Ruben", "Emma", "Julia", "Mila", "Sophie", "Tess", "Sara", "Anna", "Noor",
               "Fenna", "Lieke", "Mohamed", "Yasmina", "Ahmet", "Elif", "Priya", "Wei",
               "Kees", "Henk", "Ingrid", "Marloes", "Gerrit", "Annemiek")
SURNAMES = ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
            "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
            "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra",
            "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "Vermeulen",
            "van Beek", "Hoekstra", "Postma", "Kramer", "Yilmaz", "El Idrissi", "Nguyen")
PREFIXES = ("Noorder", "Zuider", "Ooster", "Wester", "Groen", "Blauw", "Helder", "Klaver",
            "Eiken", "Linden", "Duin", "Polder", "Dijk", "Molen", "Zon", "Sterre", "Vlier",
            "Berken", "Water", "Veen", "Heide", "Kade", "Haven", "Brug")
SUFFIXES = ("licht", "veld", "hof", "stroom", "kracht", "werk", "poort", "sprong", "bron",
            "wind", "kamp", "lande", "weide", "horst")

#: (SBI code, weight, words that name such a business). Spread over the SBI sections.
ACTIVITIES = [
    ("0113", 2, ("Kwekerij", "Tuinderij")), ("0141", 2, ("Melkveebedrijf", "Zuivelboerderij")),
    ("1071", 4, ("Bakkerij", "Banketbakkerij")), ("2562", 4, ("Metaalbewerking", "Draaierij")),
    ("2829", 3, ("Machinebouw", "Machinefabriek")), ("3109", 2, ("Meubelmakerij",)),
    ("2222", 2, ("Kunststoffen", "Verpakkingen")), ("3512", 1, ("Energiecoöperatie",)),
    ("4120", 5, ("Bouwbedrijf", "Aannemersbedrijf")), ("4321", 4, ("Elektrotechniek",)),
    ("4322", 4, ("Installatietechniek", "Loodgietersbedrijf")),
    ("4332", 3, ("Timmerbedrijf",)), ("4334", 3, ("Schildersbedrijf",)),
    ("4520", 4, ("Autobedrijf", "Garage")), ("4690", 4, ("Groothandel", "Handelsonderneming")),
    ("4711", 2, ("Supermarkt",)), ("4771", 4, ("Modehuis", "Boetiek")),
    ("4791", 5, ("Webwinkel", "Online Store")), ("4941", 3, ("Transport", "Koeriersdienst")),
    ("5229", 2, ("Logistiek",)), ("5510", 2, ("Hotel",)), ("5610", 5, ("Restaurant", "Eetcafé")),
    ("5630", 3, ("Café",)), ("5911", 3, ("Filmproducties", "Mediaproducties")),
    ("5811", 1, ("Uitgeverij",)), ("6201", 5, ("Software", "Softwareontwikkeling")),
    ("6202", 4, ("IT-advies", "ICT-diensten")), ("6311", 2, ("Hosting", "Datadiensten")),
    ("6622", 2, ("Assurantiekantoor",)), ("6831", 2, ("Makelaardij",)),
    ("6920", 5, ("Administratiekantoor", "Boekhoudkantoor")),
    ("7022", 4, ("Adviesbureau", "Advies")), ("7111", 2, ("Architectenbureau",)),
    ("7112", 2, ("Ingenieursbureau",)), ("7311", 3, ("Reclamebureau", "Marketing")),
    ("8121", 2, ("Schoonmaakbedrijf",)), ("8559", 2, ("Opleidingen", "Trainingen")),
    ("8690", 3, ("Fysiotherapie", "Praktijk")), ("9313", 2, ("Sportschool",)),
    ("9602", 4, ("Kapsalon", "Schoonheidssalon")),
]

CONTACT_ROLES = ("eigenaar", "directeur", "IT-verantwoordelijke", "bedrijfsleider",
                 "office manager", "marketingmedewerker")

#: Larger places get more companies (municipality name → weight; others weigh 1).
PLACE_WEIGHTS = {"Amsterdam": 8, "Rotterdam": 7, "'s-Gravenhage": 6, "Utrecht": 6,
                 "Eindhoven": 4, "Groningen": 4, "Almere": 3, "Nijmegen": 3, "Enschede": 3,
                 "Arnhem": 3, "Amersfoort": 3, "Hilversum": 3, "Haarlem": 3, "Tilburg": 3,
                 "Breda": 3, "Zwolle": 3, "Apeldoorn": 3, "Leeuwarden": 2, "Maastricht": 2}


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", normalise(text))


def email_for(name: str, domain: str) -> str:
    first, _, rest = name.partition(" ")
    return f"{_slug(first)}.{_slug(rest) or 'demo'}@{domain}"


def _company_name(rng: random.Random, words: tuple, place: str, used: set) -> str:
    for _ in range(50):
        word = rng.choice(words)
        form = rng.random()
        if form < 0.35:
            base = f"{word} {rng.choice(SURNAMES)}"
        elif form < 0.55:
            surname = rng.choice(SURNAMES)
            base = f"{surname[0].upper()}{surname[1:]} {word}"
        elif form < 0.75:
            base = f"{word} {place}"
        else:
            base = f"{rng.choice(PREFIXES)}{rng.choice(SUFFIXES)} {word}"
        legal = rng.choices(("", " B.V.", " V.O.F."), weights=(5, 4, 1))[0]
        name = base + legal
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("could not invent a new company name")


def _employees(rng: random.Random) -> int | None:
    band = rng.choices(("unknown", "zzp", "micro", "klein", "middelgroot"),
                       weights=(5, 33, 40, 16, 6))[0]
    return {"unknown": None, "zzp": 1, "micro": rng.randint(2, 9),
            "klein": rng.randint(10, 49), "middelgroot": rng.randint(50, 249)}[band]


def company_count(session: Session) -> int:
    """Companies in the database (the demo adds a few near-duplicates to those asked for)."""
    from sqlalchemy import func
    return session.scalar(select(func.count()).select_from(Company))


def seed(session: Session, *, companies: int = 400, seed_value: int = 2025) -> list[tuple]:
    """Add the demo network; returns the logins as (e-mail, role, organisation, password)."""
    rng = random.Random(seed_value)
    provinces = {p.name: p for p in session.scalars(select(Province))}
    regions = {r.name: r for r in session.scalars(select(Region))}

    orgs, domains = {}, {}
    for name, kind, province_names, region_names, domain in ORGANISATIONS:
        org = Organisation(name=name, kind=kind,
                           provinces=[provinces[p] for p in province_names],
                           regions=[regions[r] for r in region_names if r in regions])
        session.add(org)
        orgs[name], domains[name] = org, domain

    from werkzeug.security import generate_password_hash
    logins = []
    for name, org_name, role, province_names in USERS:
        email, password = email_for(name, domains[org_name]), new_password()
        session.add(User(email=email, name=name, organisation=orgs[org_name], role=role,
                         password_hash=generate_password_hash(password),
                         provinces=[provinces[p] for p in province_names]))
        logins.append((email, role, org_name, password))
    session.flush()

    # Places: every municipality in the database, weighted towards the provinces the regional
    # organisations cover (national ones cover all twelve and do not tilt the balance).
    coverage = {p: 1 for p in provinces}
    for _, _, province_names, _, _ in ORGANISATIONS:
        if 0 < len(province_names) < len(ALL_PROVINCES):
            for p in province_names:
                coverage[p] += 3
    places = list(session.scalars(select(Municipality).order_by(Municipality.code)))
    if not places:
        raise RuntimeError("no municipalities in the database: run `flask db upgrade` first")
    place_weights = [coverage[m.province.name] * PLACE_WEIGHTS.get(m.name, 1) for m in places]
    by_province = {}
    for org in orgs.values():
        for p in org.provinces:
            by_province.setdefault(p.id, []).append(org)

    used_names, used_kvk = set(), set()
    activity_weights = [w for _, w, _ in ACTIVITIES]
    for _ in range(companies):
        place = rng.choices(places, weights=place_weights)[0]
        sbi, _, words = rng.choices(ACTIVITIES, weights=activity_weights)[0]
        name = _company_name(rng, words, place.name, used_names)
        kvk = f"{rng.randint(1_000_000, 99_999_999):08d}"
        while kvk in used_kvk:
            kvk = f"{rng.randint(1_000_000, 99_999_999):08d}"
        used_kvk.add(kvk)
        trade_names = ""
        if rng.random() < 0.12:
            trade_names = f"{rng.choice(PREFIXES)}{rng.choice(SUFFIXES)}"
            if rng.random() < 0.3:
                trade_names += f"\n{name.split(' B.V.')[0]} Online"
        employees = _employees(rng)
        slug = _slug(name.replace(" B.V.", "").replace(" V.O.F.", ""))
        company = Company(
            kvk=kvk, establishment_number=(f"{rng.randint(1, 999_999_999_999):012d}"
                                           if rng.random() < 0.7 else None),
            name=name, trade_names=trade_names, sbi_code=sbi, sbi_section=section_for_sbi(sbi),
            employees=employees, size_class=size_class_for(employees),
            phase=rng.choices((None, "starter", "scale-up", "overig"), weights=(12, 20, 8, 60))[0],
            non_mailing=rng.random() < 0.1, municipality_id=place.id,
            province_id=place.province_id,
            website=f"https://www.{slug}.example.nl" if rng.random() < 0.6 else None,
            digital_maturity=rng.choices(("onbekend", "laag", "middel", "hoog"),
                                         weights=(25, 30, 35, 10))[0],
            **search_fields(name, trade_names))
        session.add(company)
        if rng.random() < 0.25:
            session.flush()
            recorders = by_province.get(place.province_id) or list(orgs.values())
            for _ in range(rng.choice((1, 1, 2))):
                first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                session.add(ContactPerson(
                    company_id=company.id, organisation=rng.choice(recorders),
                    name=f"{first} {last}", role=rng.choice(CONTACT_ROLES),
                    email=f"{_slug(first)}.{_slug(last)}@{slug}.example.nl",
                    phone=f"06 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"))
    session.flush()
    from .demo_journeys import seed_journeys
    seed_journeys(session, rng, journeys=min(150, companies // 2))
    from .demo_offerings import seed_offerings
    seed_offerings(session, rng)
    from .demo_insight import seed_insight
    seed_insight(session, rng)
    return logins
