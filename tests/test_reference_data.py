"""The shipped reference data (``crm/data/*.csv``) is complete and correct.

Municipalities follow the CBS "gemeentelijke indeling op 1 januari 2025" (342 municipalities,
unchanged on 1 January 2026), with CBS codes and CBS names (including the province suffixes
CBS uses for names that occur more than once, such as ``Bergen (NH.)`` and ``Hengelo (O.)``).
"""
import re
from collections import Counter

import pytest
import sqlalchemy as sa

from crm import reference
from crm.extensions import db
from crm.models import Municipality, Region
from crm.reference import normalise, province_name, section_for_sbi

#: Municipalities per province on 1 January 2025 (and 2026), per CBS.
MUNICIPALITIES_PER_PROVINCE = {
    "Groningen": 10, "Fryslân": 18, "Drenthe": 12, "Overijssel": 25, "Flevoland": 6,
    "Gelderland": 51, "Utrecht": 26, "Noord-Holland": 44, "Zuid-Holland": 50, "Zeeland": 13,
    "Noord-Brabant": 56, "Limburg": 31,
}
TOTAL = 342

GOOI_EN_VECHTSTREEK = {"Blaricum", "Gooise Meren", "Hilversum", "Huizen", "Laren (NH.)",
                       "Wijdemeren", "Eemnes"}


def municipalities():
    return reference.municipalities()


def province_names():
    return {row["code"]: row["name"] for row in reference.provinces()}


def by_name():
    names = province_names()
    return {row["name"]: names[row["province_code"]] for row in municipalities()}


def by_code():
    return {row["code"]: row for row in municipalities()}


def regions():
    members = {}
    for row in reference.regions():
        members.setdefault(row["region"], []).append(row["municipality_code"])
    return members


def test_the_per_province_counts_add_up_to_the_total():
    assert sum(MUNICIPALITIES_PER_PROVINCE.values()) == TOTAL
    assert set(MUNICIPALITIES_PER_PROVINCE) == set(province_names().values())


def test_there_are_exactly_342_municipalities():
    assert len(municipalities()) == TOTAL


def test_codes_are_unique_cbs_codes():
    codes = [row["code"] for row in municipalities()]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"GM\d{4}", code) for code in codes), codes


def test_names_are_unique_per_province_and_clean():
    pairs = [(row["name"], row["province_code"]) for row in municipalities()]
    assert len(set(pairs)) == len(pairs)
    for name, _ in pairs:
        assert name == name.strip() and "  " not in name and name


def test_every_municipality_lies_in_a_known_province():
    known = set(province_names())
    assert {row["province_code"] for row in municipalities()} <= known


def test_every_province_has_the_cbs_number_of_municipalities():
    names = province_names()
    counts = Counter(names[row["province_code"]] for row in municipalities())
    assert dict(counts) == MUNICIPALITIES_PER_PROVINCE


@pytest.mark.parametrize("code, name, province", [
    ("GM0344", "Utrecht", "Utrecht"),
    ("GM0363", "Amsterdam", "Noord-Holland"),
    ("GM0518", "'s-Gravenhage", "Zuid-Holland"),
    ("GM0796", "'s-Hertogenbosch", "Noord-Brabant"),
    ("GM0599", "Rotterdam", "Zuid-Holland"),
    ("GM0317", "Eemnes", "Utrecht"),
    ("GM1900", "Súdwest-Fryslân", "Fryslân"),
    ("GM1970", "Noardeast-Fryslân", "Fryslân"),
    ("GM1980", "Dijk en Waard", "Noord-Holland"),
    ("GM1982", "Land van Cuijk", "Noord-Brabant"),
    ("GM1991", "Maashorst", "Noord-Brabant"),
    ("GM1992", "Voorne aan Zee", "Zuid-Holland"),
    ("GM1979", "Eemsdelta", "Groningen"),
    ("GM0014", "Groningen", "Groningen"),
    ("GM0373", "Bergen (NH.)", "Noord-Holland"),
    ("GM0893", "Bergen (L.)", "Limburg"),
    ("GM0164", "Hengelo (O.)", "Overijssel"),
    ("GM0820", "Nuenen, Gerwen en Nederwetten", "Noord-Brabant"),
    ("GM0034", "Almere", "Flevoland"),
    ("GM0935", "Maastricht", "Limburg"),
])
def test_known_municipalities(code, name, province):
    row = by_code()[code]
    assert row["name"] == name
    assert province_names()[row["province_code"]] == province


@pytest.mark.parametrize("gone", [
    "Appingedam", "Delfzijl", "Loppersum", "Brielle", "Hellevoetsluis", "Westvoorne",
    "Weesp", "Beemster", "Heerhugowaard", "Langedijk", "Boxmeer", "Cuijk", "Grave",
    "Mill en Sint Hubert", "Sint Anthonis", "Uden", "Landerd", "Haaren",
])
def test_merged_municipalities_are_gone(gone):
    assert gone not in by_name()


@pytest.mark.parametrize("gone", ["GM0003", "GM0501", "GM0530", "GM0614", "GM0457", "GM0856"])
def test_codes_of_merged_municipalities_are_gone(gone):
    assert gone not in by_code()


def test_region_rows_are_unique_and_name_existing_municipalities():
    rows = [(row["region"], row["municipality_code"]) for row in reference.regions()]
    assert len(set(rows)) == len(rows)
    codes = set(by_code())
    missing = [(region, code) for region, code in rows if code not in codes]
    assert not missing


def test_gooi_en_vechtstreek_has_exactly_its_seven_municipalities():
    names = {by_code()[code]["name"] for code in regions()["Gooi & Vechtstreek"]}
    assert names == GOOI_EN_VECHTSTREEK
    assert len(regions()["Gooi & Vechtstreek"]) == 7


def test_expected_regions_are_shipped():
    expected = {
        "Gooi & Vechtstreek", "Regio Foodvalley", "Metropoolregio Amsterdam",
        "Metropoolregio Rotterdam Den Haag", "Brainport Eindhoven", "Regio Twente",
        "Regio Groningen-Assen", "Regio Zwolle", "Regio Arnhem-Nijmegen", "Regio Utrecht (U16)",
        "Regio Amersfoort", "Noord-Veluwe", "Achterhoek", "Cleantech Regio", "Hart van Brabant",
        "West-Brabant", "Noordoost-Brabant", "Zuid-Limburg", "Noord-Limburg", "Midden-Limburg",
        "Drechtsteden", "Holland Rijnland", "Zaanstreek-Waterland", "Noord-Holland Noord",
        "Zeeland",
    }
    assert expected <= set(regions())


def test_region_zeeland_is_all_of_the_province_of_zeeland():
    zeeland = {row["code"] for row in municipalities() if row["province_code"] == "PV29"}
    assert set(regions()["Zeeland"]) == zeeland


def test_limburg_regions_partition_the_province():
    limburg = {row["code"] for row in municipalities() if row["province_code"] == "PV31"}
    parts = [set(regions()[r]) for r in ("Zuid-Limburg", "Midden-Limburg", "Noord-Limburg")]
    assert set().union(*parts) == limburg
    assert sum(len(p) for p in parts) == len(limburg)


def test_regions_may_span_provinces():
    names = province_names()
    provinces = {names[by_code()[code]["province_code"]] for code in regions()["Regio Zwolle"]}
    assert provinces == {"Overijssel", "Drenthe", "Gelderland", "Flevoland"}
    mra = {by_code()[code]["name"] for code in regions()["Metropoolregio Amsterdam"]}
    assert {"Almere", "Lelystad", "Amsterdam"} <= mra
    mrdh = {by_code()[code]["name"] for code in regions()["Metropoolregio Rotterdam Den Haag"]}
    assert "Voorne aan Zee" in mrdh and "Brielle" not in mrdh


def test_province_name_accepts_aliases_and_cbs_spelling():
    assert province_name("Friesland") == "Fryslân"
    assert province_name("fryslan") == "Fryslân"
    assert province_name(" noord-HOLLAND ") == "Noord-Holland"
    assert province_name("Vlaanderen") is None


@pytest.mark.parametrize("code, section", [
    ("6201", "J"), ("0111", "A"), ("4711", "G"), ("01", "A"), ("1011", "C"), ("3511", "D"),
    ("6420", "K"), ("8559", "P"), ("9900", "U"),
])
def test_section_for_sbi(code, section):
    assert section_for_sbi(code) == section


@pytest.mark.parametrize("code", ["04", "05", "34", "", "6", "62a1", None])
def test_section_for_unknown_sbi_is_none(code):
    assert section_for_sbi(code) is None


def test_migrated_database_holds_the_shipped_reference_data(app):
    rows = db.session.execute(sa.select(Municipality)).scalars().all()
    assert len(rows) == len(municipalities()) == TOTAL
    shipped = by_code()
    for municipality in rows:
        assert municipality.name == shipped[municipality.code]["name"]
        assert municipality.search_name == normalise(municipality.name)
        assert municipality.province.code == shipped[municipality.code]["province_code"]
    counts = Counter(m.province.name for m in rows)
    assert dict(counts) == MUNICIPALITIES_PER_PROVINCE

    gooi = db.session.execute(
        sa.select(Region).filter_by(name="Gooi & Vechtstreek")).scalar_one()
    assert {m.name for m in gooi.municipalities} == GOOI_EN_VECHTSTREEK
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == len(regions())
    voorne = db.session.execute(
        sa.select(Municipality).filter_by(code="GM1992")).scalar_one()
    assert voorne.search_name == "voorne aan zee"
    sudwest = db.session.execute(
        sa.select(Municipality).filter_by(code="GM1900")).scalar_one()
    assert sudwest.search_name == "sudwest-fryslan"
