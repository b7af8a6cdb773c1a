"""Company search (crm.journeys.search) on every backend the suite runs on."""
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.journeys import search as search_module
from crm.journeys.companies import create_company
from crm.journeys.search import (CompanySearchResult, fts5_phrase, kvk_digits, like_escape,
                                 prefix_upper_bound, search_companies)
from crm.models import Company, Municipality, Province


def names(result: CompanySearchResult) -> list[str]:
    return [c.name for c in result.items]


def search(q, **kwargs):
    return search_companies(db.session, q, **kwargs)


def province_id(name):
    return db.session.scalar(sa.select(Province.id).filter_by(name=name))


def test_exact_kvk_first_then_prefix(app, make_company):
    make_company(name="Aardappelhandel 12345678", kvk="87654321")  # the number in its name
    make_company(name="Zeilmakerij", kvk="12345670")
    make_company(name="Bakkerij De Vries", kvk="12345678")
    result = search("12345678")
    assert names(result)[0] == "Bakkerij De Vries"
    assert "Aardappelhandel 12345678" in names(result)
    result = search("1234567")
    assert names(result)[:2] == ["Zeilmakerij", "Bakkerij De Vries"]  # by KVK number


@pytest.mark.parametrize("typed", ["0123 4567", "01.23.45.67", " 01234567 ", "0123"])
def test_kvk_with_leading_zero_spaces_and_dots(app, make_company, typed):
    make_company(name="Nul Vooraan B.V.", kvk="01234567")
    make_company(name="Iets Anders", kvk="11234567")
    assert names(search(typed))[0] == "Nul Vooraan B.V."


def test_kvk_numbers_are_found_from_their_start_names_anywhere(app, make_company):
    """Digits find KVK numbers that start with them; substring search holds names and trade
    names, not KVK numbers (migration 0022), so digits from the middle of a KVK number find
    only names containing them."""
    make_company(name="Smederij Oost", kvk="55512345")
    make_company(name="Garage 512 B.V.", kvk="77700001")
    assert names(search("555123")) == ["Smederij Oost"]
    assert names(search("512")) == ["Garage 512 B.V."]


def test_name_prefix_before_substring(app, make_company):
    make_company(name="Van den Berg Installatietechniek B.V.")
    make_company(name="Bergsma Bouw")
    make_company(name="Bakkerij Berg")
    make_company(name="Berg & Dal Advies")
    result = search("berg")
    assert names(result) == ["Berg & Dal Advies", "Bergsma Bouw",  # prefix, by name
                             "Bakkerij Berg", "Van den Berg Installatietechniek B.V."]
    assert result.total == 4 and not result.capped and not result.has_next


def test_trade_name_match(app, make_company):
    make_company(name="Jansen Holding B.V.", trade_names="Fietsenwinkel De Spaak\nSpaakwerk")
    make_company(name="Anders")
    assert names(search("spaak")) == ["Jansen Holding B.V."]
    assert names(search("De Spaak")) == ["Jansen Holding B.V."]


def test_created_company_is_found_and_edits_follow(app, make_user):
    from crm.journeys.companies import update_company
    user = make_user()
    company = create_company({"kvk": "00012345", "name": "Smederij Vonk",
                              "trade_names": "Vonkwerk"}, by=user)
    db.session.commit()
    assert names(search("vonkwerk")) == ["Smederij Vonk"]
    update_company(company, {"trade_names": "Vuurwerk"}, by=user, version=company.version)
    db.session.commit()
    assert names(search("vonkwerk")) == []
    assert names(search("vuurwerk")) == ["Smederij Vonk"]
    assert names(search("derij")) == ["Smederij Vonk"]
    db.session.delete(company)
    db.session.commit()
    assert names(search("vuurwerk")) == []


def test_accent_insensitive(app, make_company):
    make_company(name="Café De Gouden Leeuw")
    make_company(name="Brasserie Öztürk")
    assert names(search("cafe")) == ["Café De Gouden Leeuw"]
    assert names(search("CAFÉ")) == ["Café De Gouden Leeuw"]
    assert names(search("gouden leeuw")) == ["Café De Gouden Leeuw"]
    assert names(search("ozturk")) == ["Brasserie Öztürk"]


def test_place_search(app, make_company):
    make_company(name="Zeeuwse Zaken", municipality="Middelburg (Z.)")
    make_company(name="Alpha Amsterdam", municipality="Amsterdam")
    make_company(name="Bèta Utrecht", municipality="Utrecht")
    make_company(name="Middelburg Makelaardij", municipality="Amsterdam")
    result = search("middelburg")
    # The name match comes first, then the companies located there.
    assert names(result) == ["Middelburg Makelaardij", "Zeeuwse Zaken"]
    assert result.items[1].municipality.name == "Middelburg (Z.)"
    assert names(search("Amsterdam")) == ["Alpha Amsterdam", "Middelburg Makelaardij"]


def test_place_search_by_part_of_the_name(app, make_company):
    make_company(name="Hofstad Hoveniers", municipality="'s-Gravenhage")
    assert names(search("gravenhage")) == ["Hofstad Hoveniers"]
    assert names(search("'s-Gravenhage")) == ["Hofstad Hoveniers"]


def test_filters_apply_to_every_tier(app, make_company):
    make_company(name="Utrecht ICT", kvk="55555555", municipality="Utrecht",
                 sbi_code="6201", employees=3)
    make_company(name="Utrechtse Bouw", kvk="55555556", municipality="Utrecht",
                 sbi_code="4120", employees=100)
    make_company(name="ICT Utrecht Noord", kvk="55555557", municipality="Amsterdam",
                 sbi_code="6201", employees=1)
    make_company(name="Domstad Data", kvk="55555558", municipality="Utrecht",
                 sbi_code="6201", employees=1)
    everything = names(search("utrecht"))
    assert everything == ["Utrecht ICT", "Utrechtse Bouw", "ICT Utrecht Noord", "Domstad Data"]
    assert names(search("utrecht", sbi_section="J")) == [
        "Utrecht ICT", "ICT Utrecht Noord", "Domstad Data"]
    assert names(search("utrecht", size_class="zzp")) == ["ICT Utrecht Noord", "Domstad Data"]
    assert names(search("utrecht", province_id=province_id("Utrecht"))) == [
        "Utrecht ICT", "Utrechtse Bouw", "Domstad Data"]
    assert names(search("utrecht", province_id=province_id("Noord-Holland"))) == [
        "ICT Utrecht Noord"]
    assert names(search("5555555", size_class="middelgroot")) == ["Utrechtse Bouw"]
    assert names(search("55555558", province_id=province_id("Noord-Holland"))) == []
    assert names(search("", sbi_section="J", province_id=province_id("Utrecht"))) == [
        "Domstad Data", "Utrecht ICT"]


def test_pagination(app, make_company):
    for i in range(7):
        make_company(name=f"Kwekerij {i}")
    make_company(name="De Kwekerij")
    first = search("kwekerij", per_page=3)
    assert names(first) == ["Kwekerij 0", "Kwekerij 1", "Kwekerij 2"]
    assert first.has_next and first.total == 8 and first.page == 1
    last = search("kwekerij", page=3, per_page=3)
    assert names(last) == ["Kwekerij 6", "De Kwekerij"] and not last.has_next
    assert names(search("kwekerij", page=4, per_page=3)) == []
    seen = []
    for page in (1, 2, 3):
        seen += names(search("kwekerij", page=page, per_page=3))
    assert len(seen) == len(set(seen)) == 8


def test_browse_without_query(app, make_company):
    make_company(name="Zeta")
    make_company(name="alpha")
    make_company(name="Éclair")
    result = search("", per_page=2)
    assert names(result) == ["alpha", "Éclair"] and result.has_next and result.total == 3
    assert names(search("   ", page=2, per_page=2)) == ["Zeta"]
    assert names(search(None)) == ["alpha", "Éclair", "Zeta"]


def test_short_queries_use_prefix_only(app, make_company):
    make_company(name="Ab Bouw")
    make_company(name="Kabel B.V.")
    make_company(name="Abc Advies")
    assert names(search("ab")) == ["Ab Bouw", "Abc Advies"]  # not Kabel (substring)
    assert names(search("a")) == ["Ab Bouw", "Abc Advies"]
    assert names(search("abe")) == ["Kabel B.V."]  # three characters: substring


def test_no_duplicates_across_tiers(app, make_company):
    make_company(name="Zwolle Zaken", municipality="Zwolle" if _has("Zwolle") else "Utrecht")
    result = search("zwolle")
    assert [c.id for c in result.items] == list(dict.fromkeys(c.id for c in result.items))


def _has(municipality):
    return db.session.scalar(sa.select(Municipality.id).filter_by(name=municipality)) is not None


def test_bounds_cap_the_result(app, make_company, monkeypatch):
    for i in range(6):
        make_company(name=f"De Molen {i}")
    for i in range(6):
        make_company(name=f"Molen {i}")
    monkeypatch.setattr(search_module, "TIER_LIMIT", 4)
    monkeypatch.setattr(search_module, "SUBSTRING_CANDIDATES", 4)
    result = search("molen", per_page=100)
    assert result.capped and result.total is None
    assert names(result)[:4] == ["Molen 0", "Molen 1", "Molen 2", "Molen 3"]
    assert len(result.items) == 8
    monkeypatch.setattr(search_module, "SCAN_LIMIT", 3)
    filtered = search("mol", size_class="micro", per_page=100)
    assert filtered.capped and names(filtered)[:3] == ["Molen 0", "Molen 1", "Molen 2"]
    monkeypatch.setattr(search_module, "BROWSE_LIMIT", 5)
    browsing = search("", per_page=4, page=2)
    assert browsing.capped and browsing.total is None and len(browsing.items) == 1
    assert not browsing.has_next


def test_municipality_loaded_with_the_page(app, make_company):
    for i in range(5):
        make_company(name=f"Lader {i}", municipality="Utrecht")
    db.session.expire_all()
    result = search("lader")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert [c.municipality.name for c in result.items] == ["Utrecht"] * 5
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert statements == []


HOSTILE = ['"', "'", '""', "*", "**", "%", "%%", "_", "\\", "\\%", "NEAR(", "NEAR(a b)",
           "AND", "OR", "NOT", "a AND b", "a OR", "abc NOT", "(", ")", "()", "^", ":", "-",
           "+", "col:abc", "search_text:abc", '"abc', 'abc"', "abc*", "*abc", "ab*c", "a'b",
           "'; DROP TABLE companies; --", "%' OR '1'='1", "\x00", "abc\x00def", "\ud7ff",
           "\U0010ffff", "\U0010ffff\U0010ffff", "￿", "🍞🥖🥐", "ß", "ﬁ", "İ", "…", "{}[]",
           "a" * 500, "1" * 50, "12345678" * 3, "1234 5678 9", ". . .", "...", "b.v.",
           "   ", "\t\n", "0", "00000000", "99999999", "-1", "1e5", "NULL", "null",
           "%_%_%", "[abc]", "{near}", "abc\ndef", "\u200b", "\u0301", "e\u0301"]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_input_never_raises(app, make_company, q):
    make_company(name="Bakkerij De Vries", trade_names='Brood "&" Banket 100% *vers*')
    result = search(q)
    assert isinstance(result, CompanySearchResult)
    search(q, sbi_section="J", size_class="zzp", province_id=province_id("Utrecht"), page=2)


def test_wildcards_are_literal(app, make_company):
    make_company(name='Brood "&" Banket 100% vers')
    make_company(name="Kaas_Handel")
    make_company(name="Kaasxhandel")
    make_company(name="Honderd procent")
    assert names(search("100%")) == ['Brood "&" Banket 100% vers']
    assert names(search("% vers")) == ['Brood "&" Banket 100% vers']
    assert names(search("kaas_")) == ["Kaas_Handel"]
    assert names(search("kaas_h")) == ["Kaas_Handel"]
    assert names(search("0% v")) == []  # no three letters or digits in a row: prefix only
    assert names(search('"&"')) == []  # no three letters or digits: prefix only


def test_odd_paging_arguments(app, make_company):
    make_company(name="Paging")
    assert names(search("pag", page=0, per_page=0)) == ["Paging"]
    assert names(search("pag", page="x", per_page="y")) == ["Paging"]
    assert names(search("pag", province_id="nope")) == ["Paging"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=30))
def test_any_text_never_raises(app, make_company, q):
    if not db.session.scalar(sa.select(sa.func.count()).select_from(Company)):
        make_company(name="Hypothese B.V.", trade_names="Théorie & Praktijk")
    result = search(q)
    assert result.total is None or result.total >= len(result.items)


@pytest.mark.parametrize("q, digits", [("01234567", "01234567"), ("0123 4567", "01234567"),
                                       ("01.23", "0123"), ("123456789", None), ("abc", None),
                                       ("١٢٣", None), (" 1", None), ("12 a", None)])
def test_kvk_digits(q, digits):
    assert kvk_digits(q) == digits


def test_helpers():
    assert like_escape("100%_\\") == "100\\%\\_\\\\"
    assert fts5_phrase('a "b" NEAR(') == '"a ""b"" NEAR("'
    assert prefix_upper_bound("abc") == "abd"
    assert prefix_upper_bound("a\U0010ffff") == "b"
    assert prefix_upper_bound("\U0010ffff") is None
    assert prefix_upper_bound("\ud7ff") == "\ue000"


def test_long_queries_match_exactly(app, make_company):
    make_company(name="Van den Berg Installatietechniek B.V.")
    make_company(name="Berg Installatie Van Techniek")  # the same trigrams, not the phrase
    make_company(name='Quote "Aan" Zee Installatietechniek')
    assert names(search("den berg installatietechniek")) == [
        "Van den Berg Installatietechniek B.V."]
    assert names(search('quote "aan" zee')) == ['Quote "Aan" Zee Installatietechniek']
    assert names(search('"aan" zee installatietechniek')) == [
        'Quote "Aan" Zee Installatietechniek']


def test_fts5_trigram_query():
    from crm.journeys.search import fts5_trigram_query
    assert fts5_trigram_query("bakkerij") == '"bakkerij"'
    assert fts5_trigram_query('ab"cdefghij') == '"ab""" AND "cde" AND "fgh" AND "hij"'
    long = fts5_trigram_query("van den berg installatietechniek")
    assert long.count(" AND ") == 5 and long.startswith('"van"') and long.endswith('"iek"')


def test_slow_substring_search_gives_up(app, make_company, monkeypatch):
    make_company(name="Langzaam Bedrijf")
    make_company(name="Bedrijf Langzaam")
    if db.engine.dialect.name == "postgresql":
        # Make the candidate query slow: pg_sleep in a condition PostgreSQL must evaluate.
        original = search_module.substring_statement

        def slow(shape):
            return original(shape).where(sa.text("(SELECT true FROM pg_sleep(0.05))"))
        monkeypatch.setattr(search_module, "substring_statement", slow)
        result = search("langzaam")
        assert names(result) == ["Langzaam Bedrijf"] and result.capped
        db.session.execute(sa.text("SELECT 1"))  # the transaction is still usable
        assert db.session.scalar(sa.text("SHOW statement_timeout")) == "0"
    monkeypatch.setattr(search_module, "SUBSTRING_TIMEOUT_MS", 1000)
    assert names(search("langzaam")) == ["Langzaam Bedrijf", "Bedrijf Langzaam"]
