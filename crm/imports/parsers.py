"""Parsers of one cell each: a non-empty text in, the stored value out, or :class:`Bad` with a
message (an English msgid) and its parameters. Pure Python, no database."""
import re
from datetime import date, timedelta
from functools import cache

from ..journeys.clock import today
from ..journeys.errors import N_
from ..models import Maturity, Phase, SizeClass
from ..models.vocabulary import BOTTLENECKS, INTERVENTION_KINDS, TOPICS
from ..reference import is_digits, normalise, section_for_sbi

EARLIEST = date(2000, 1, 1)


class Bad(Exception):
    def __init__(self, message: str, **params):
        self.message, self.params = message, params


_SPACE_DOT = re.compile(r"[\s.]")


def parse_kvk(text: str) -> str:
    if len(text) == 8 and text.isdigit() and text.isascii():
        return text  # the usual case, checked quickly
    kvk = _SPACE_DOT.sub("", text)
    if is_digits(kvk) and len(kvk) == 7:
        kvk = "0" + kvk  # a spreadsheet dropped the leading zero
    if not (len(kvk) == 8 and is_digits(kvk)):
        raise Bad(N_("A KVK number is exactly 8 digits, for example 01234567."))
    return kvk


def parse_establishment(text: str) -> str:
    number = _SPACE_DOT.sub("", text)
    if is_digits(number) and 9 <= len(number) < 12:
        number = number.zfill(12)  # leading zeros dropped by a spreadsheet
    if not (len(number) == 12 and is_digits(number)):
        raise Bad(N_("An establishment number (vestigingsnummer) is exactly 12 digits."))
    return number


def parse_name(text: str) -> str:
    name = " ".join(text.split())
    if len(name) > 200:
        raise Bad(N_("The name may be at most %(max)d characters."), max=200)
    return name


_TRADE_SEPARATORS = re.compile(r"[\n|;]")


def parse_trade_names(text: str) -> str:
    names = [" ".join(n.split()) for n in _TRADE_SEPARATORS.split(text)]
    names = [n for n in names if n]
    if any(len(n) > 200 for n in names):
        raise Bad(N_("A trade name may be at most %(max)d characters."), max=200)
    return "\n".join(dict.fromkeys(names))


def parse_sbi(text: str) -> str:
    code = _SPACE_DOT.sub("", text)
    if not (is_digits(code) and 2 <= len(code) <= 5 and section_for_sbi(code)):
        raise Bad(N_("%(code)s is not an SBI code (2 to 5 digits, such as 6201)."), code=text)
    return code


def parse_employees(text: str) -> int:
    number = text.replace(" ", "")
    if number.endswith(".0"):
        number = number[:-2]
    if not is_digits(number):
        raise Bad(N_("Enter a whole number of working persons."))
    value = int(number)
    if value > 1_000_000:
        raise Bad(N_("Enter a number of working persons from 0 upwards."))
    return value


def _choices(pairs) -> dict[str, str]:
    return {normalise(alias): value for value, aliases in pairs for alias in (value, *aliases)}


_SIZES = _choices([("zzp", ("zelfstandige", "zzp'er", "zzper", "self-employed", "eenmanszaak")),
                   ("micro", ()), ("klein", ("small", "kleinbedrijf")),
                   ("middelgroot", ("medium", "medium-sized", "middel", "middelgroot bedrijf")),
                   ("groot", ("large", "grootbedrijf"))])
_PHASES = _choices([("starter", ("start-up", "startup", "start")),
                    ("scale-up", ("scaleup", "scale up", "groeier")),
                    ("overig", ("other", "anders", "overige"))])
_MATURITIES = _choices([("laag", ("low",)), ("middel", ("medium",)), ("hoog", ("high",)),
                        ("onbekend", ("unknown",))])
_BOOLEANS = {**{k: True for k in ("ja", "j", "yes", "y", "true", "waar", "1", "x")},
             **{k: False for k in ("nee", "n", "no", "false", "onwaar", "0", "-")}}
assert set(_SIZES.values()) == {s.value for s in SizeClass}
assert set(_PHASES.values()) == {p.value for p in Phase}
assert set(_MATURITIES.values()) == {m.value for m in Maturity}


def parse_size(text: str) -> str:
    value = _SIZES.get(normalise(text))
    if value is None:
        raise Bad(N_("Use one of the size classes zzp, micro, klein, middelgroot or groot."))
    return value


def parse_phase(text: str) -> str:
    value = _PHASES.get(normalise(text))
    if value is None:
        raise Bad(N_("Use one of the phases starter, scale-up or overig."))
    return value


def parse_bool(text: str) -> bool:
    value = _BOOLEANS.get(normalise(text))
    if value is None:
        raise Bad(N_("Use ja or nee."))
    return value


_WEBSITE = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)


def parse_website(text: str) -> str:
    if len(text) > 300 or not _WEBSITE.match(text):
        raise Bad(N_("Enter a web address such as https://www.example.nl."))
    return text if text.lower().startswith(("http://", "https://")) else "https://" + text


_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def parse_date(text: str) -> date:
    """``31-03-2026``, ``31/3/2026``, ``31.03.2026`` or ISO ``2026-03-31``."""
    text = text.strip()
    match = _DUTCH_DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
        elif (match := _ISO_DATE.match(text)):
            year, month, day = (int(g) for g in match.groups())
        else:
            raise ValueError
        value = date(year, month, day)
    except ValueError:
        raise Bad(N_("Enter a date as dd-mm-jjjj (31-03-2026) or jjjj-mm-dd (2026-03-31)."))
    if not EARLIEST <= value <= today() + timedelta(days=366):
        raise Bad(N_("Enter a date between 2000 and next year."))
    return value


@cache
def _dutch_labels() -> dict[str, str]:
    """English label → Dutch label, from the compiled Dutch catalogue (empty if missing)."""
    from babel.support import NullTranslations, Translations

    from ..i18n import TRANSLATIONS
    translations = Translations.load(str(TRANSLATIONS), ["nl"])
    if isinstance(translations, NullTranslations) and not hasattr(translations, "files"):
        return {}
    return {label: translations.gettext(label)
            for _, label, *rest in [*INTERVENTION_KINDS, *BOTTLENECKS, *TOPICS]}


def _vocabulary(rows) -> dict[str, str]:
    """Slug, English label, Dutch label, and the label up to its bracket → slug."""
    dutch = _dutch_labels()
    lookup: dict[str, str] = {}
    for slug, label, *rest in rows:
        for text in (slug, label, dutch.get(label, label)):
            for variant in (text, text.split("(")[0]):
                key = normalise(variant).strip(" :")
                if key:
                    lookup.setdefault(key, slug)
        lookup.setdefault(normalise(slug.replace("-", " ")), slug)
    return lookup


@cache
def vocabularies() -> dict[str, dict[str, str]]:
    return {"kind": _vocabulary(INTERVENTION_KINDS), "bottleneck": _vocabulary(BOTTLENECKS),
            "topic": _vocabulary(TOPICS)}


def parse_kind(text: str) -> str:
    slug = vocabularies()["kind"].get(normalise(text))
    if slug is None:
        raise Bad(N_("Unknown kind of contact or activity: use intake, telefoon, e-mail, "
                     "bezoek or one of the 12 archetypes (such as scans or workshops)."))
    return slug


_LIST = re.compile(r"[,;|\n]+")


def _parse_list(text: str, vocabulary: str, message: str) -> list[str]:
    lookup = vocabularies()[vocabulary]
    found, unknown = [], []
    for part in _LIST.split(text):
        key = normalise(part).strip(" :")
        if not key:
            continue
        slug = lookup.get(key)
        (found if slug else unknown).append(slug or part.strip())
    if unknown:
        raise Bad(message, value=", ".join(unknown))
    return list(dict.fromkeys(found))


def parse_bottlenecks(text: str) -> list[str]:
    return _parse_list(text, "bottleneck", N_("Unknown bottleneck: %(value)s."))


def parse_topics(text: str) -> list[str]:
    return _parse_list(text, "topic", N_("Unknown topic: %(value)s."))


def parse_text(limit: int):
    def parse(text: str) -> str:
        if len(text) > limit:
            raise Bad(N_("This text may be at most %(max)d characters."), max=limit)
        return text
    return parse


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[+0-9 ()\-]{6,40}")


def parse_email(text: str) -> str:
    email = text.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise Bad(N_("Enter an e-mail address such as naam@bedrijf.nl."))
    return email


def parse_phone(text: str) -> str:
    if not _PHONE.fullmatch(text):
        raise Bad(N_("Enter a phone number of digits, spaces, +, - and brackets."))
    return text


class Municipalities:
    """Municipality look-up by name or CBS code, ignoring case, accents and punctuation."""

    ALIASES = {"den haag": "'s-Gravenhage", "the hague": "'s-Gravenhage",
               "den bosch": "'s-Hertogenbosch"}

    def __init__(self, rows):
        #: key → (municipality id, province id)
        self.by_key: dict[str, tuple[int, int]] = {}
        names = {}
        for id_, code, name, province_id in rows:
            value = (id_, province_id)
            names[name] = value
            self.by_key[self.key(name)] = value
            self.by_key[self.key(code)] = value  # gm0344
            self.by_key[code[2:].lstrip("0")] = value  # 344
        for alias, name in self.ALIASES.items():
            if name in names:
                self.by_key.setdefault(self.key(alias), names[name])

    @staticmethod
    def key(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", " ", normalise(text)).strip()

    def parse(self, text: str) -> tuple[int, int]:
        key = self.key(text)
        found = self.by_key.get(key) or (self.by_key.get(key.lstrip("0")) if key.isdigit()
                                         else None)
        if found is None:
            raise Bad(N_("Unknown municipality: use its name (such as Utrecht) or CBS code "
                         "(such as GM0344)."))
        return found


def parse_score(text: str) -> int:
    """A DMA score: a whole number 0–100 (``75.0`` from a spreadsheet is 75)."""
    number = text.strip()
    if number.endswith(".0"):
        number = number[:-2]
    if not (is_digits(number) and len(number) <= 3 and int(number) <= 100):
        raise Bad(N_("Enter a whole number from 0 to 100."))
    return int(number)


def parse_past_date(text: str) -> date:
    value = parse_date(text)
    if value > today():
        raise Bad(N_("Enter a date between 2000 and today."))
    return value
