"""Demo offerings for ``seed-demo``: about 150 activities of the seeded organisations, spread
over the 12 archetypes and the 12 provinces in the proportions of the Regioscan Digitalisering
MKB (582 activities), so the map, its white spots and the next-door suggestions are meaningful
out of the box.

Deterministic given the random generator passed in. Periods are relative to today (some
offerings have ended, some start later, most are open-ended), as the other demo data is.
Rows are inserted through the ORM and satisfy the model's CHECK constraints.
"""
import random
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .journeys.clock import today
from .models import Offering, OfferingProvider, OfferingTag, Organisation, Province
from .reference import normalise

#: Activities per archetype in the Regioscan (count of 582).
ARCHETYPE_COUNTS = {
    "netwerken": 86, "workshops": 86, "werken-met-studenten": 66, "advisering": 61,
    "subsidies": 52, "onderzoek": 42, "onderwijs-professionals": 42, "faciliteiten": 41,
    "onderwijs-studenten": 40, "scans": 30, "kennisplatform": 21, "signaleren": 15,
}
#: Activities per province in the Regioscan (count of 582).
PROVINCE_COUNTS = {
    "Drenthe": 23, "Flevoland": 27, "Fryslân": 32, "Gelderland": 70, "Groningen": 45,
    "Limburg": 37, "Noord-Brabant": 42, "Noord-Holland": 68, "Overijssel": 74, "Utrecht": 57,
    "Zeeland": 20, "Zuid-Holland": 87,
}
#: How many offerings the demo network gets.
TOTAL = 150

#: Which archetypes each kind of organisation typically runs (weight 0-4).
AFFINITY = {
    "edih": {"signaleren": 3, "netwerken": 3, "faciliteiten": 3, "advisering": 4, "scans": 4,
             "workshops": 3, "onderzoek": 2, "subsidies": 2, "onderwijs-professionals": 2},
    "werkplaats": {"werken-met-studenten": 4, "workshops": 2, "scans": 2, "signaleren": 2,
                   "advisering": 1},
    "programma": {"signaleren": 3, "netwerken": 3, "advisering": 3, "workshops": 3,
                  "faciliteiten": 2, "onderwijs-professionals": 1, "onderzoek": 1},
    "kvk": {"signaleren": 2, "scans": 2, "workshops": 3, "kennisplatform": 4, "advisering": 1},
    "rom": {"subsidies": 4, "netwerken": 3, "advisering": 2, "onderzoek": 2},
    "provincie": {"subsidies": 4, "netwerken": 2, "faciliteiten": 1},
    "gemeente": {"netwerken": 3, "signaleren": 2, "subsidies": 1, "workshops": 1},
    "kennisinstelling": {"onderwijs-studenten": 4, "onderwijs-professionals": 4,
                         "werken-met-studenten": 4, "onderzoek": 4, "faciliteiten": 3,
                         "workshops": 1},
    "bank": {"subsidies": 3, "workshops": 2, "netwerken": 2, "advisering": 1},
    "branche": {"netwerken": 2, "kennisplatform": 3, "workshops": 3,
                "onderwijs-professionals": 2, "scans": 1},
    "commercieel": {"advisering": 3, "workshops": 2, "scans": 1},
}
#: Any organisation can run any archetype with a partner doing the work (the provinces that
#: have no regional organisation in the demo network still get their full share).
FALLBACK_AFFINITY = 0.15

#: Universities of applied sciences (and a university) per province: the usual uitvoerders
#: of student, education and research activities.
SCHOOLS = {
    "Groningen": ("Hanzehogeschool Groningen", "Rijksuniversiteit Groningen"),
    "Fryslân": ("NHL Stenden Hogeschool",),
    "Drenthe": ("Hanzehogeschool Groningen", "Drenthe College"),
    "Overijssel": ("Saxion Hogeschool", "Hogeschool Windesheim", "Universiteit Twente"),
    "Flevoland": ("Hogeschool Windesheim",),
    "Gelderland": ("Hogeschool van Arnhem en Nijmegen", "Wageningen University & Research"),
    "Utrecht": ("Hogeschool Utrecht", "Universiteit Utrecht"),
    "Noord-Holland": ("Hogeschool van Amsterdam", "Hogeschool Inholland"),
    "Zuid-Holland": ("Hogeschool Rotterdam", "De Haagse Hogeschool", "TU Delft"),
    "Zeeland": ("HZ University of Applied Sciences",),
    "Noord-Brabant": ("Fontys Hogescholen", "Avans Hogeschool", "TU Eindhoven"),
    "Limburg": ("Zuyd Hogeschool", "Brightlands"),
}
#: Regional development agencies (ROMs) per province, as financiers and implementers.
ROMS = {
    "Groningen": "NOM", "Fryslân": "NOM", "Drenthe": "NOM", "Overijssel": "Oost NL",
    "Gelderland": "Oost NL", "Flevoland": "Horizon Flevoland", "Utrecht": "ROM Utrecht Region",
    "Noord-Holland": "ROM InWest", "Zuid-Holland": "InnovationQuarter",
    "Zeeland": "Impuls Zeeland", "Noord-Brabant": "BOM", "Limburg": "LIOF",
}
#: National financiers and the archetypes they typically fund.
NATIONAL_FUNDERS = [
    ("Ministerie van EZK", 30), ("Rabobank", 25), ("EU (EFRO)", 8), ("EU (Digital Europe)", 4),
    ("TNO", 6), ("RVO", 6),
]

# (name, technologies, forms, sectors). "{p}" is the province, "{o}" the organisation.
TEMPLATES = {
    "signaleren": [
        ("Digitaal Ondernemersloket {p}", (), ("diensten",), ()),
        ("Keukentafelgesprek: wat is uw digitale vraag?", (), (), ()),
        ("Ondernemerscoach digitalisering {p}", ("automatisering",), (), ()),
        ("Vraagbaak Digitaal Doen {p}", ("online-marketing",), ("interface",), ("G", "I")),
    ],
    "netwerken": [
        ("Smart Industry Netwerk {p}", ("smart-industry", "robotica"), ("intelligentie",),
         ("C",)),
        ("Digitale Ontbijtsessies {p}", ("productiviteit",), (), ()),
        ("Regionale Data Alliantie {p}", ("data-analytics",), ("data",), ()),
        ("Cyberweerbaarheidsnetwerk {p}", ("cybersecurity",), ("zachte-infrastructuur",), ()),
        ("Netwerk Digitale Retail {p}", ("online-marketing",), ("interface",), ("G",)),
        ("Agri & Food Tech Tafel {p}", ("iot", "data-analytics"), ("data",), ("A", "C")),
        ("Bouw Digitaal Netwerk {p}", ("automatisering",), ("data",), ("F",)),
        ("Logistiek Digitaal Platform {p}", ("iot", "automatisering"), ("data",), ("H",)),
    ],
    "faciliteiten": [
        ("Fieldlab Smart Manufacturing {p}", ("smart-industry", "robotica"),
         ("harde-infrastructuur",), ("C",)),
        ("Robotica Proeftuin {p}", ("robotica", "automatisering"), ("harde-infrastructuur",),
         ("C",)),
        ("Datalab voor het mkb {p}", ("data-analytics", "ai"), ("data",), ()),
        ("IoT Testomgeving {p}", ("iot",), ("harde-infrastructuur",), ()),
        ("Makerspace Digitaal Produceren {p}", ("smart-industry",), ("harde-infrastructuur",),
         ("C",)),
    ],
    "werken-met-studenten": [
        ("Digitale Werkplaats: studenten helpen met je webshop", ("online-marketing",),
         ("interface",), ("G", "I")),
        ("Studententeam Data & Procesautomatisering {p}", ("data-analytics",
                                                             "automatisering"), ("data",), ()),
        ("Praktijkopdracht social media door studenten {p}", ("online-marketing",),
         ("interface",), ()),
        ("Student Innovatie Challenge {p}", ("ai", "iot"), ("intelligentie",), ()),
        ("Afstudeerproject Cybersecurity Check {p}", ("cybersecurity",),
         ("zachte-infrastructuur",), ()),
    ],
    "onderwijs-studenten": [
        ("Minor Digitale Transformatie in het mkb", ("productiviteit",), ("diensten",), ()),
        ("Associate degree Smart Industry", ("smart-industry",), ("intelligentie",), ("C",)),
        ("Keuzedeel Cybersecurity voor mbo", ("cybersecurity",), ("zachte-infrastructuur",),
         ()),
        ("Hybride leeromgeving Data Science", ("data-analytics", "ai"), ("data",), ()),
    ],
    "onderwijs-professionals": [
        ("Masterclass AI voor de maakindustrie", ("ai",), ("intelligentie",), ("C",)),
        ("Leergang Data-gedreven ondernemen", ("data-analytics",), ("data",), ()),
        ("Digitale vaardigheden voor medewerkers", ("productiviteit",), ("diensten",), ()),
        ("Cursus Cybersecurity Basis voor het mkb", ("cybersecurity",),
         ("zachte-infrastructuur",), ()),
        ("Leven Lang Ontwikkelen: Smart Industry", ("smart-industry", "robotica"),
         ("intelligentie",), ("C",)),
    ],
    "advisering": [
        ("Digitaliseringsadvies op maat {p}", ("automatisering",), ("diensten",), ()),
        ("Innovatieadviseur Smart Industry {p}", ("smart-industry",), ("intelligentie",),
         ("C",)),
        ("Cyber Hulp: advies na een incident", ("cybersecurity",), ("zachte-infrastructuur",),
         ()),
        ("AI-adviestraject voor het mkb {p}", ("ai",), ("intelligentie",), ()),
        ("Datastrategie-coaching {p}", ("data-analytics",), ("data",), ()),
        ("Online verkopen: adviesgesprekken {p}", ("online-marketing",), ("interface",),
         ("G", "I")),
    ],
    "subsidies": [
        ("SLIM-subsidie begeleiding {p}", ("productiviteit",), (), ()),
        ("MIT-regeling: haalbaarheid en R&D-samenwerking {p}", ("ai", "smart-industry"),
         ("intelligentie",), ()),
        ("Digitaliseringsvoucher {p}", ("automatisering",), (), ()),
        ("Innovatiekrediet digitalisering {p}", ("smart-industry",), (), ("C",)),
        ("Mijn Digitale Zaak: subsidie voor de winkel", ("online-marketing",), ("interface",),
         ("G",)),
        ("Rabo Innovatielening", ("automatisering",), (), ()),
    ],
    "workshops": [
        ("Cybersecurity Roadshow {p}", ("cybersecurity",), ("zachte-infrastructuur",), ()),
        ("Inspiratiesessie Aan de slag met AI {p}", ("ai",), ("intelligentie",), ()),
        ("Workshop Online zichtbaar in één dag {p}", ("online-marketing",), ("interface",),
         ("G", "I", "S")),
        ("Kennisevent Smart Industry {p}", ("smart-industry", "robotica"), ("intelligentie",),
         ("C",)),
        ("Webinarreeks Data in het mkb", ("data-analytics",), ("data",), ()),
        ("Digitale Dinsdag {p}", ("productiviteit",), (), ()),
        ("Themabijeenkomst Slim boekhouden en automatiseren {p}", ("automatisering",),
         ("diensten",), ("M", "N")),
    ],
    "onderzoek": [
        ("Praktijkgericht onderzoek Digital Twins {p}", ("iot", "data-analytics"), ("data",),
         ("C",)),
        ("Lectoraat Data-gedreven ondernemen: onderzoek met mkb", ("data-analytics",),
         ("data",), ()),
        ("Living Lab Slimme Logistiek {p}", ("iot",), ("intelligentie",), ("H",)),
        ("Haalbaarheidsonderzoek AI in productie {p}", ("ai", "smart-industry"),
         ("intelligentie",), ("C",)),
    ],
    "scans": [
        ("MKB Digitaal scan", ("productiviteit",), (), ()),
        ("Digitale Volwassenheidsscan (DMA) {p}", ("automatisering",), (), ()),
        ("Cyberveilig Check", ("cybersecurity",), ("zachte-infrastructuur",), ()),
        ("Quickscan Smart Industry {p}", ("smart-industry",), ("intelligentie",), ("C",)),
        ("Retailscan Mijn Digitale Zaak", ("online-marketing",), ("interface",), ("G",)),
        ("AI-readiness scan {p}", ("ai",), ("intelligentie",), ()),
    ],
    "kennisplatform": [
        ("Kennisbank Digitaal Ondernemen", ("productiviteit",), ("diensten",), ()),
        ("Podcastreeks Digitaal Doen", ("online-marketing", "ai"), (), ()),
        ("Handreikingen cybersecurity voor ondernemers", ("cybersecurity",),
         ("zachte-infrastructuur",), ()),
        ("Online leerplatform Digitale Vaardigheden", ("productiviteit",), ("diensten",), ()),
    ],
}

DESCRIPTIONS = {
    "signaleren": "Een laagdrempelig eerste gesprek waarin we samen met de ondernemer de "
                  "digitale hulpvraag scherp krijgen en de juiste volgende stap kiezen.",
    "netwerken": "Ondernemers, kennisinstellingen en overheden ontmoeten elkaar rond een "
                 "thema, delen ervaringen en starten samen projecten.",
    "faciliteiten": "Gedeelde apparatuur en ruimte waar mkb'ers nieuwe technologie kunnen "
                    "uitproberen voordat ze investeren.",
    "werken-met-studenten": "Een team studenten werkt een semester aan een concrete opdracht "
                            "van de ondernemer, begeleid door een docent.",
    "onderwijs-studenten": "Onderwijs dat studenten opleidt voor de digitale vragen van het "
                           "regionale mkb, met opdrachten uit de praktijk.",
    "onderwijs-professionals": "Scholing voor ondernemers en medewerkers: compact, praktisch "
                               "en toegespitst op het eigen bedrijf.",
    "advisering": "Een adviseur brengt de situatie in kaart en stelt met de ondernemer een "
                  "concreet plan van aanpak op.",
    "subsidies": "Hulp bij het vinden en aanvragen van subsidie of financiering, zodat de "
                 "drempel om te investeren lager wordt.",
    "workshops": "Inspiratie en kennis in een middag: voorbeelden van collega-ondernemers en "
                 "direct toepasbare tips.",
    "onderzoek": "Praktijkgericht onderzoek waarin mkb'ers samen met onderzoekers nieuwe "
                 "toepassingen ontwikkelen en testen.",
    "scans": "Een korte scan die laat zien waar het bedrijf staat en welke stappen de "
             "grootste winst opleveren.",
    "kennisplatform": "Vrij toegankelijke kennis: artikelen, handreikingen, video's en "
                      "voorbeelden van collega-ondernemers.",
}

#: Archetype → (bottlenecks with weights, typical target maturities, market failures).
PROFILE = {
    "signaleren": (("vraagarticulatie", "weten"), ("laag", "ongespecificeerd"),
                   ("informatiegebreken",)),
    "netwerken": (("weten", "kunnen"), ("ongespecificeerd", "middel"),
                  ("coordinatiegebreken",)),
    "faciliteiten": (("kunnen",), ("middel", "hoog"), ("publieke-goederen", "externaliteiten")),
    "werken-met-studenten": (("kunnen", "willen"), ("laag", "middel"),
                             ("externaliteiten", "informatiegebreken")),
    "onderwijs-studenten": (("kunnen",), ("ongespecificeerd",), ("externaliteiten",)),
    "onderwijs-professionals": (("kunnen", "weten"), ("laag", "middel", "hoog"),
                                ("externaliteiten", "informatiegebreken")),
    "advisering": (("kunnen", "vraagarticulatie"), ("laag", "middel"),
                   ("informatie-asymmetrie", "informatiegebreken")),
    "subsidies": (("kunnen", "willen"), ("middel", "hoog", "ongespecificeerd"),
                  ("externaliteiten", "informatie-asymmetrie")),
    "workshops": (("weten", "willen"), ("laag", "middel", "ongespecificeerd"),
                  ("informatiegebreken",)),
    "onderzoek": (("kunnen",), ("hoog", "middel"), ("externaliteiten", "publieke-goederen")),
    "scans": (("weten", "vraagarticulatie"), ("laag", "middel"), ("informatiegebreken",)),
    "kennisplatform": (("weten",), ("ongespecificeerd", "laag"),
                       ("publieke-goederen", "informatiegebreken")),
}
#: Archetype → weights of gratis, eigen-bijdrage and betaald (others: mostly free).
COSTS = {
    "advisering": (3, 5, 2), "onderwijs-professionals": (2, 4, 4),
    "werken-met-studenten": (5, 5, 0), "faciliteiten": (3, 5, 2), "onderzoek": (4, 4, 2),
}
COST_NOTES = {
    "gratis": ("", "Kosteloos voor ondernemers.", ""),
    "eigen-bijdrage": ("Eigen bijdrage € 250.", "Eigen bijdrage 25% van de kosten.",
                       "€ 95 per deelnemer.", "Eigen bijdrage € 500 per opdracht."),
    "betaald": ("Vanaf € 1.250 excl. btw.", "€ 395 per deelnemer.",
                "Dagtarief € 950 excl. btw."),
}
#: Archetypes that are open to everyone rather than taking referrals for a company.
MOSTLY_NO_REFERRALS = {"kennisplatform", "onderwijs-studenten"}
#: The organisations that become the network's intake points (one front door).
INTAKE_POINTS = ("EDIH Noord-West", "EDIH Oost-Nederland")

CONTACT_DESKS = ("Servicedesk", "Aanbodteam", "Ondernemersdesk", "Projectbureau")
CONTACT_PEOPLE = ("Marieke Hoekstra", "Jeroen van Dam", "Samira Bouzid", "Pieter de Graaf",
                  "Linda Kuipers", "Hasan Demir", "Esther van Wijk", "Bas Willems",
                  "Ilse Verhoeven", "Tim Schouten", "Nadia Benali", "Gert-Jan Brink")


def allocate(counts: dict[str, int], total: int) -> dict[str, int]:
    """``total`` split over the keys in proportion to ``counts`` (largest remainders)."""
    whole = sum(counts.values())
    exact = {k: total * v / whole for k, v in counts.items()}
    out = {k: int(x) for k, x in exact.items()}
    rest = sorted(counts, key=lambda k: (-(exact[k] - out[k]), k))
    for k in rest[:total - sum(out.values())]:
        out[k] += 1
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalise(text)).strip("-")


def _domain(org_name: str) -> str:
    from .demo import ORGANISATIONS
    for name, _, _, _, domain in ORGANISATIONS:
        if name == org_name:
            return domain
    return f"{_slug(org_name)}.example.nl"


def _pick_organisation(rng, archetype, province, orgs):
    candidates, weights = [], []
    for org in orgs:
        names = {p.name for p in org.provinces}
        if province not in names:
            continue
        affinity = AFFINITY.get(org.kind, {}).get(archetype, 0) or FALLBACK_AFFINITY
        regional = 3 if len(names) < 12 else 1  # regional organisations run most activities
        candidates.append(org)
        weights.append(affinity * regional)
    return rng.choices(candidates, weights=weights)[0]


def _providers(rng, archetype, org, province, org_ids):
    """(name, role) pairs: the organisation itself, plus funders and implementers."""
    own_role = "uitvoerder" if org.kind in ("werkplaats", "kennisinstelling",
                                            "commercieel") else "initiatiefnemer"
    rows = [(org.name, own_role)]
    school = rng.choice(SCHOOLS[province]) if province else "TNO"
    if archetype in ("werken-met-studenten", "onderwijs-studenten", "onderzoek",
                     "faciliteiten") and org.kind != "kennisinstelling":
        rows.append((school, "uitvoerder"))
    if own_role == "uitvoerder" and rng.random() < 0.7:
        rows.append((rng.choice([f"Provincie {province}" if province else "KVK",
                                 "Ministerie van EZK", "MKB-Nederland"]), "initiatiefnemer"))
    funders = []
    if archetype in ("subsidies", "faciliteiten", "onderzoek") or rng.random() < 0.55:
        if province and rng.random() < 0.5:
            funders.append(rng.choice([f"Provincie {province}", ROMS[province]]))
        else:
            names = [n for n, _ in NATIONAL_FUNDERS]
            funders.append(rng.choices(names, weights=[w for _, w in NATIONAL_FUNDERS])[0])
        if rng.random() < 0.25:
            funders.append(rng.choice(["EU (EFRO)", "Rabobank", "Ministerie van EZK"]))
    for name in funders:
        rows.append((name, "financier"))
    seen, out = set(), []
    for name, role in rows:
        if (name, role) not in seen and not (name == org.name and role != own_role):
            seen.add((name, role))
            out.append(OfferingProvider(name=name, role=role, organisation_id=org_ids.get(name)))
    return out


def _period(rng, start_of_today):
    """(starts_on, ends_on): mostly open-ended; some ended, some start later."""
    kind = rng.choices(("open", "running", "ended", "future"), weights=(60, 17, 13, 10))[0]
    if kind == "open":
        started = start_of_today - timedelta(days=rng.randint(60, 1500))
        return (started if rng.random() < 0.5 else None), None
    if kind == "running":
        started = start_of_today - timedelta(days=rng.randint(30, 700))
        return started, start_of_today + timedelta(days=rng.randint(30, 600))
    if kind == "ended":
        ended = start_of_today - timedelta(days=rng.randint(5, 500))
        return ended - timedelta(days=rng.randint(60, 900)), ended
    starts = start_of_today + timedelta(days=rng.randint(14, 150))
    return starts, (starts + timedelta(days=rng.randint(90, 900)) if rng.random() < 0.7
                    else None)


def _tags(rng, archetype, technologies, forms, sectors) -> list[OfferingTag]:
    bottlenecks, maturities, failures = PROFILE[archetype]
    values = {
        "bottleneck": set(rng.sample(bottlenecks, rng.randint(1, len(bottlenecks)))),
        "maturity": set(rng.sample(maturities, rng.randint(1, len(maturities)))),
        "market-failure": set(rng.sample(failures, rng.randint(1, len(failures)))),
        "technology": set(technologies),
        "form": set(forms),
        "sector": set(sectors),
    }
    if "ongespecificeerd" in values["maturity"] and len(values["maturity"]) > 1:
        values["maturity"].discard("ongespecificeerd")
    if rng.random() < 0.15:
        values["bottleneck"].add("weten")
    size = rng.random()
    if size < 0.35:
        values["size"] = set()  # every size
    elif size < 0.6:
        values["size"] = {"zzp", "micro"}
    elif size < 0.8:
        values["size"] = {"micro", "klein"}
    elif archetype in ("onderzoek", "faciliteiten", "subsidies"):
        values["size"] = {"klein", "middelgroot"}
    else:
        values["size"] = {"micro", "klein", "middelgroot"}
    phase = rng.random()
    values["phase"] = ({"starter"} if phase < 0.12 else {"scale-up"} if phase < 0.2
                       else {"starter", "scale-up"} if phase < 0.25 else set())
    return [OfferingTag(dimension=d, value=v) for d in sorted(values) for v in sorted(values[d])]


def _cost(rng, archetype, org):
    weights = COSTS.get(archetype, (8, 2, 0))
    if org.kind == "commercieel":
        weights = (1, 1, 6)
    if archetype in ("subsidies", "kennisplatform", "signaleren", "netwerken"):
        weights = (1, 0, 0)
    kind = rng.choices(("gratis", "eigen-bijdrage", "betaald"), weights=weights)[0]
    return kind, rng.choice(COST_NOTES[kind])


def _contact(rng, org):
    domain = _domain(org.name)
    if rng.random() < 0.45:
        desk = rng.choice(CONTACT_DESKS)
        return (f"{desk} {org.name}", f"{_slug(desk)}@{domain}",
                f"0{rng.randint(10, 79)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}")
    person = rng.choice(CONTACT_PEOPLE)
    first, _, last = person.partition(" ")
    return person, f"{_slug(first)}.{_slug(last).replace('-', '')}@{domain}", ""


def seed_offerings(session: Session, rng: random.Random, *, total: int = TOTAL) -> list[Offering]:
    """Add ``total`` offerings of the seeded organisations, and make the EDIHs intake points."""
    provinces = {p.name: p for p in session.scalars(select(Province))}
    orgs = [o for o in session.scalars(select(Organisation).where(Organisation.active.is_(True))
                                       .order_by(Organisation.id))
            if o.kind != "overig" and o.provinces]
    if not orgs:
        return []
    for org in orgs:
        if org.name in INTAKE_POINTS:
            org.intake_point = True
    org_ids = {o.name: o.id for o in session.scalars(select(Organisation))}
    # Only provinces some organisation serves can get offerings.
    served = {p.name for o in orgs for p in o.provinces}
    counts = {p: n for p, n in PROVINCE_COUNTS.items() if p in served and p in provinces}

    archetypes = [a for a, n in sorted(allocate(ARCHETYPE_COUNTS, total).items()) for _ in range(n)]
    places = [p for p, n in sorted(allocate(counts, total).items()) for _ in range(n)]
    rng.shuffle(archetypes)
    rng.shuffle(places)
    start_of_today = today()
    used_names = set()
    offerings = []
    for archetype, province in zip(archetypes, places):
        org = _pick_organisation(rng, archetype, province, orgs)
        name_template, technologies, forms, sectors = rng.choice(TEMPLATES[archetype])
        national = "{p}" not in name_template and rng.random() < 0.5 \
            and len(org.provinces) == len(PROVINCE_COUNTS)
        name = name_template.format(p=province, o=org.name).strip()
        if name in used_names:
            national = False
            name = f"{name} ({org.name})" if "{p}" in name_template else f"{name} {province}"
        covered = [province]
        if not national and 1 < len(org.provinces) < len(PROVINCE_COUNTS) \
                and rng.random() < 0.2:  # a regional organisation's offering for its area
            others = [p.name for p in org.provinces if p.name != province]
            covered += rng.sample(others, min(len(others), rng.randint(1, 2)))
        n = 2
        base = name
        while name in used_names:
            name, n = f"{base} {n}", n + 1
        used_names.add(name)
        starts_on, ends_on = _period(rng, start_of_today)
        cost_kind, cost_note = _cost(rng, archetype, org)
        contact_name, contact_email, contact_phone = _contact(rng, org)
        takes_referrals = rng.random() < (0.3 if archetype in MOSTLY_NO_REFERRALS else 0.92)
        offering = Offering(
            organisation=org, name=name[:200],
            description=DESCRIPTIONS[archetype], archetype=archetype,
            cost_kind=cost_kind, cost_note=cost_note, starts_on=starts_on, ends_on=ends_on,
            contact_name=contact_name, contact_email=contact_email, contact_phone=contact_phone,
            url=f"https://www.{_domain(org.name)}/aanbod/{_slug(name)}"[:300],
            takes_referrals=takes_referrals, active=rng.random() > 0.03,
            provinces=[] if national else [provinces[p] for p in sorted(covered)],
            regions=[r for r in org.regions
                     if not national and rng.random() < 0.8],
            tags=_tags(rng, archetype, technologies, forms, sectors),
            providers=_providers(rng, archetype, org, None if national else province, org_ids))
        session.add(offering)
        offerings.append(offering)
    session.flush()
    return offerings
