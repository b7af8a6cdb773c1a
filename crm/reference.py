"""Reference data shipped with the application (``crm/data/*.csv``) and look-ups on it.

The data is loaded into the database by a migration (:func:`load_reference_data`), and the
same files answer look-ups that need no database (which SBI section a code belongs to, which
province a name means), so validation stays pure Python.
"""
import csv
import unicodedata
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, column, insert, select, table

DATA = Path(__file__).parent / "data"

#: Names people use for a province besides the CBS spelling.
PROVINCE_ALIASES = {"friesland": "Fryslân"}


def normalise(text: str) -> str:
    """Lower-case, accent-free, single-spaced: the form names are searched and sorted in."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def is_digits(text: str) -> bool:
    """Only the ASCII digits 0-9 (``str.isdigit`` also accepts ``²`` and ``٣``)."""
    return bool(text) and text.isascii() and text.isdigit()


#: The largest id the database's integer columns hold (PostgreSQL's ``integer``).
MAX_ID = 2**31 - 1


def parse_id(text) -> int | None:
    """The record id that ``text`` (a form field or query parameter) names, or ``None`` when it
    names none: only ASCII digits, from 1 to :data:`MAX_ID`. A larger number is no id of ours
    and would not fit the database's integers (SQLite refuses more than 64 bits outright);
    ``²`` or ``٣`` pass ``str.isdigit`` but not ``int``."""
    if not isinstance(text, str) or len(text) > 10 or not is_digits(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def _rows(name: str) -> list[dict]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def provinces() -> list[dict]:
    return _rows("provinces.csv")


@cache
def municipalities() -> list[dict]:
    return _rows("municipalities.csv")


@cache
def regions() -> list[dict]:
    return _rows("regions.csv")


@cache
def sbi_sections() -> list[dict]:
    return _rows("sbi_sections.csv")


def province_name(text: str) -> str | None:
    """The CBS name of the province ``text`` names (``friesland`` → ``Fryslân``), or None."""
    key = normalise(text)
    if key in PROVINCE_ALIASES:
        return PROVINCE_ALIASES[key]
    for row in provinces():
        if normalise(row["name"]) == key:
            return row["name"]
    return None


def section_for_sbi(code: str) -> str | None:
    """The SBI section letter of an SBI code (its first two digits), or None if unknown."""
    if not code or len(code) < 2 or not is_digits(code):
        return None
    division = int(code[:2])
    for row in sbi_sections():
        if int(row["first_division"]) <= division <= int(row["last_division"]):
            return row["letter"]
    return None


_provinces = table("provinces", column("id"), column("code"), column("name"))
_municipalities = table("municipalities", column("id"), column("code"), column("name"),
                        column("search_name"), column("province_id"))
_regions = table("regions", column("id"), column("name"))
_region_municipalities = table("region_municipalities", column("region_id"),
                               column("municipality_id"))
_sections = table("sbi_sections", column("letter"), column("name_nl"), column("name_en"),
                  column("first_division"), column("last_division"))


def load_reference_data(conn: Connection) -> None:
    """Insert the shipped reference rows that are missing (idempotent; never deletes)."""
    have = set(conn.execute(select(_sections.c.letter)).scalars())
    rows = [{**r, "first_division": int(r["first_division"]),
             "last_division": int(r["last_division"])}
            for r in sbi_sections() if r["letter"] not in have]
    if rows:
        conn.execute(insert(_sections), rows)

    have = set(conn.execute(select(_provinces.c.code)).scalars())
    rows = [r for r in provinces() if r["code"] not in have]
    if rows:
        conn.execute(insert(_provinces), rows)
    province_ids = dict(conn.execute(select(_provinces.c.code, _provinces.c.id)).all())

    have = set(conn.execute(select(_municipalities.c.code)).scalars())
    rows = [{"code": r["code"], "name": r["name"], "search_name": normalise(r["name"]),
             "province_id": province_ids[r["province_code"]]}
            for r in municipalities() if r["code"] not in have]
    if rows:
        conn.execute(insert(_municipalities), rows)
    municipality_ids = dict(conn.execute(
        select(_municipalities.c.code, _municipalities.c.id)).all())

    have = set(conn.execute(select(_regions.c.name)).scalars())
    new = sorted({r["region"] for r in regions()} - have)
    if new:
        conn.execute(insert(_regions), [{"name": n} for n in new])
        region_ids = dict(conn.execute(select(_regions.c.name, _regions.c.id)).all())
        conn.execute(insert(_region_municipalities), [
            {"region_id": region_ids[r["region"]],
             "municipality_id": municipality_ids[r["municipality_code"]]}
            for r in regions() if r["region"] in new])
