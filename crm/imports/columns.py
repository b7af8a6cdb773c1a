"""What each kind of import reads, and recognising the file's column headers (Dutch and
English, any case, accents, spaces, dashes or underscores)."""
import re
from dataclasses import dataclass

from ..journeys.errors import N_
from ..reference import normalise

KINDS = ("companies", "contacts", "interventions", "dma")


@dataclass(frozen=True)
class Field:
    key: str
    #: The field's name shown in the mapping step (an English msgid).
    label: str
    #: Header spellings that mean this field (compared normalised).
    aliases: tuple[str, ...]
    required: bool = False


_KVK = Field("kvk", N_("KVK number"),
             ("kvk", "kvk-nummer", "kvknummer", "kvk nr", "kvk-nr", "kvknr", "kvk number",
              "chamber of commerce number", "coc number", "coc"), required=True)

FIELDS: dict[str, tuple[Field, ...]] = {
    "companies": (
        _KVK,
        Field("name", N_("Name"), ("naam", "name", "bedrijfsnaam", "company name", "company",
                                   "statutaire naam", "handelsnaam hoofd", "organisatie")),
        Field("trade_names", N_("Trade names"), ("handelsnamen", "handelsnaam", "trade names",
                                                 "trade name", "trade_names")),
        Field("establishment_number", N_("Establishment number"),
              ("vestigingsnummer", "vestigingsnr", "establishment number", "branch number")),
        Field("sbi_code", N_("SBI code"), ("sbi", "sbi-code", "sbi code", "sbicode",
                                           "sbi_code", "hoofdactiviteit", "sbi activity")),
        Field("employees", N_("Working persons"),
              ("werkzame personen", "werkzame_personen", "aantal werkzame personen",
               "medewerkers", "aantal medewerkers", "werknemers", "employees",
               "number of employees", "staff", "working persons")),
        Field("size_class", N_("Size class"), ("omvang", "grootteklasse", "size class",
                                               "size_class", "size", "bedrijfsgrootte")),
        Field("phase", N_("Phase"), ("fase", "phase", "levensfase")),
        Field("municipality", N_("Municipality"),
              ("gemeente", "municipality", "gemeentecode", "municipality code", "plaats",
               "vestigingsplaats", "place", "city", "woonplaats")),
        Field("website", N_("Website"), ("website", "site", "url", "internetadres", "web")),
        Field("non_mailing", N_("Non-mailing indicator"),
              ("non-mailing", "non mailing", "non-mailing indicator", "nonmailing",
               "geen reclame")),
    ),
    "contacts": (
        _KVK,
        Field("name", N_("Name"), ("naam", "name", "contactpersoon", "contact person",
                                   "contact", "volledige naam", "full name"), required=True),
        Field("email", N_("E-mail"), ("e-mail", "email", "e-mailadres", "emailadres",
                                      "email address", "e-mail address", "mail")),
        Field("phone", N_("Phone"), ("telefoon", "telefoonnummer", "tel", "phone",
                                     "phone number", "telephone", "mobiel", "mobile")),
        Field("role", N_("Role"), ("rol", "functie", "role", "job title", "position")),
    ),
    "interventions": (
        _KVK,
        Field("occurred_on", N_("Date"), ("datum", "date", "occurred on", "occurred_on",
                                          "datum contact", "contactdatum"), required=True),
        Field("kind", N_("Kind"), ("soort", "kind", "type", "activiteit", "activity",
                                   "archetype", "soort contact"), required=True),
        Field("bottlenecks", N_("Bottlenecks"), ("knelpunten", "knelpunt", "bottlenecks",
                                                 "bottleneck")),
        Field("topics", N_("Topics"), ("onderwerpen", "onderwerp", "topics", "topic",
                                       "thema", "themas")),
        Field("summary", N_("Summary"), ("samenvatting", "summary", "omschrijving",
                                         "beschrijving", "description", "verslag")),
        Field("internal_note", N_("Internal note"), ("interne notitie", "notitie",
                                                     "internal note", "note", "opmerking")),
    ),
    "dma": (
        _KVK,
        Field("assessed_on", N_("Date"), ("datum", "date", "assessed on", "assessment date",
                                          "datum meting", "datum dma", "meetdatum"),
              required=True),
        Field("digital_business_strategy", N_("Digital business strategy"),
              ("digitale bedrijfsstrategie", "bedrijfsstrategie", "strategie",
               "digital business strategy", "business strategy", "strategy"), required=True),
        Field("digital_readiness", N_("Digital readiness"),
              ("digitale paraatheid", "digitale gereedheid", "paraatheid",
               "digital readiness", "readiness"), required=True),
        Field("human_centric", N_("Human-centric digitalisation"),
              ("mensgerichte digitalisering", "mensgericht", "human-centric digitalisation",
               "human centric digitalization", "human-centric", "human centric"),
              required=True),
        Field("data_management", N_("Data management"),
              ("databeheer", "data management", "data governance", "data"), required=True),
        Field("automation_ai", N_("Automation & AI"),
              ("automatisering & ai", "automatisering en ai", "automatisering", "automation & ai",
               "automation and ai", "automation ai", "automation", "ai"), required=True),
        Field("green", N_("Green digitalisation"),
              ("groene digitalisering", "groen", "green digitalisation", "green digitalization",
               "green"), required=True),
    ),
}

KIND_LABELS = {"companies": N_("Companies"), "contacts": N_("Contact persons"),
               "interventions": N_("Interventions (contacts and activities)"),
               "dma": N_("DMA results (digital maturity)")}

_SEPARATORS = re.compile(r"[\s_\-./:()#]+")


def header_key(text: str) -> str:
    """``KvK-Nummer`` → ``kvk nummer``: the form headers and aliases are compared in."""
    return _SEPARATORS.sub(" ", normalise(str(text or ""))).strip()


_ALIASES = {kind: {header_key(a): f.key for f in fields for a in (f.key, *f.aliases)}
            for kind, fields in FIELDS.items()}


def fields_of(kind: str) -> tuple[Field, ...]:
    return FIELDS[kind]


def field_keys(kind: str) -> set[str]:
    return {f.key for f in FIELDS[kind]}


def auto_mapping(kind: str, headers: list[str]) -> list[str | None]:
    """Per column the field its header names (None: not imported). A field is taken once."""
    aliases = _ALIASES[kind]
    taken: set[str] = set()
    mapping: list[str | None] = []
    for header in headers:
        key = aliases.get(header_key(header))
        if key in taken:
            key = None
        if key:
            taken.add(key)
        mapping.append(key)
    return mapping


def check_mapping(kind: str, mapping: list[str | None]) -> list[tuple[str, dict]]:
    """Problems with a mapping: unknown or twice-used fields, required fields missing."""
    problems: list[tuple[str, dict]] = []
    known = {f.key: f for f in FIELDS[kind]}
    seen: set[str] = set()
    for key in mapping:
        if not key:
            continue
        if key not in known:
            problems.append((N_("Unknown field: %(field)s."), {"field": key}))
        elif key in seen:
            problems.append((N_("%(field)s is chosen for more than one column."),
                             {"field": known[key].label}))
        seen.add(key)
    for f in FIELDS[kind]:
        if f.required and f.key not in seen:
            problems.append((N_("Choose the column that holds the %(field)s."),
                             {"field": f.label}))
    return problems
