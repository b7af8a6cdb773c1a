"""Finding duplicate companies: fuzzy names in the same place, bounded candidates, dismissal."""
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.duplicates import (dismiss_pair, find_duplicates, name_tokens, name_variants,
                                     scan, score)
from crm.models import DuplicatePair


@pytest.mark.parametrize("a, b, alike", [
    ("Bakkerij Jansen B.V.", "Bakkerij Jansen", True),
    ("Jansen Bakkerij VOF", "Bakkerij Jansen", True),
    ("Bakkerij Jansen B. V.", "Bakkerij Janssen", True),
    ("Café 't Hoekje", "Cafe Het Hoekje V.O.F.", True),
    ("Jansen Holding B.V.", "Jansen", True),
    ("Bakkerij Jansen", "Bakkerij De Vries", False),
    ("Jansen Bakkerij", "Jansen Schilders", False),
    ("Garage 2000", "Garage 3000", False),
    ("Fietsenmaker 1 B.V.", "Fietsenmaker 2 B.V.", False),
])
def test_name_similarity(a, b, alike):
    value = score(name_variants(a), name_variants(b))
    assert (value >= 85) is alike, (a, b, value)


def test_name_tokens_drop_legal_forms_punctuation_and_common_words():
    assert name_tokens("Bakkerij Jansen B.V.") == ("bakkerij", "jansen")
    assert name_tokens("V.O.F. De Smid & Zonen") == ("smid", "zonen")
    assert name_tokens("Eenmanszaak Ünal") == ("unal",)
    assert name_tokens("Holding B.V.") == ("holding", "bv")  # nothing else left: kept


@pytest.fixture
def bakeries(make_company):
    return {
        "jansen": make_company(name="Bakkerij Jansen B.V.", kvk="12345678"),
        "no_kvk": make_company(name="Bakkerij Jansen", kvk=None),
        "vof": make_company(name="Jansen Bakkerij VOF", kvk=None),
        "trade": make_company(name="J. Holding B.V.", kvk=None,
                              trade_names="Brood van Jansen\nBakkerij Jansen"),
        "far": make_company(name="Bakkerij Jansen", kvk=None, municipality="Groningen"),
        "other": make_company(name="Bakkerij De Vries", kvk=None),
        "nowhere": make_company(name="Bakkerij Jansen B.V.", kvk=None, municipality=None),
        "registered": make_company(name="Bakkerij Jansma", kvk="23456789"),
    }


def test_possible_duplicates_in_the_same_place(bakeries):
    found = {c.id: s for c, s in find_duplicates(bakeries["jansen"])}
    expected = {bakeries[k].id for k in ("no_kvk", "vof", "trade", "nowhere")}
    assert set(found) == expected
    assert bakeries["far"].id not in found  # Groningen is not Utrecht
    assert bakeries["other"].id not in found
    # Two different KVK numbers: two registrations, unless the names are (nearly) the same.
    assert bakeries["registered"].id not in found
    assert found[bakeries["no_kvk"].id] == 100
    # Best first.
    scores = [s for _c, s in find_duplicates(bakeries["jansen"])]
    assert scores == sorted(scores, reverse=True)


def test_a_company_without_a_place_is_compared_everywhere_but_more_strictly(bakeries):
    found = {c.id for c, _s in find_duplicates(bakeries["nowhere"])}
    assert {bakeries["jansen"].id, bakeries["far"].id, bakeries["no_kvk"].id} <= found


def test_not_a_duplicate_is_remembered(bakeries, make_user):
    admin = make_user(role="admin")
    dismiss_pair(bakeries["vof"], bakeries["jansen"], by=admin)
    db.session.commit()
    found = {c.id for c, _s in find_duplicates(bakeries["jansen"])}
    assert bakeries["vof"].id not in found and bakeries["no_kvk"].id in found
    assert bakeries["jansen"].id not in {c.id for c, _s in find_duplicates(bakeries["vof"])}
    scan(db.session)
    db.session.commit()
    pairs = {(p.company_a_id, p.company_b_id): p.status
             for p in db.session.scalars(sa.select(DuplicatePair))}
    key = tuple(sorted((bakeries["vof"].id, bakeries["jansen"].id)))
    assert pairs[key] == "dismissed"
    assert sum(1 for s in pairs.values() if s == "open") >= 4


def test_scan_is_idempotent(bakeries):
    first = scan(db.session)
    db.session.commit()
    assert scan(db.session) == first
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuplicatePair)) == first


def test_pairs_page_per_scope_and_dismissing(bakeries, make_user, login_as, client):
    scan(db.session)
    db.session.commit()
    login_as(make_user(role="account_manager"))
    assert client.get("/duplicates").status_code == 403
    assert client.post("/duplicates/scan").status_code == 403
    client.post("/logout")

    login_as(make_user(role="coordinator", provinces=("Groningen",)))
    page = client.get("/duplicates").get_data(as_text=True)
    # Only the pair touching Groningen: the placeless record and the Groningen bakery.
    assert f"/companies/{bakeries['far'].id}\"" in page
    assert f"/companies/{bakeries['vof'].id}\"" not in page
    client.post("/logout")

    login_as(make_user(role="coordinator", provinces=("Utrecht",)))
    page = client.get("/duplicates").get_data(as_text=True)
    assert f"/companies/{bakeries['vof'].id}\"" in page
    response = client.post("/duplicates/dismiss", data={
        "a": bakeries["jansen"].id, "b": bakeries["vof"].id, "next": "/duplicates"})
    assert response.status_code == 302
    page = client.get("/duplicates").get_data(as_text=True)
    assert f"/companies/{bakeries['jansen'].id}/merge/{bakeries['vof'].id}\"" not in page
    assert client.post("/duplicates/scan").status_code == 302
    pair = db.session.get(DuplicatePair, tuple(sorted((bakeries["jansen"].id,
                                                       bakeries["vof"].id))))
    assert pair.status == "dismissed"
    # Pages of pairs.
    assert client.get("/duplicates?page=2").status_code == 200
    assert client.get("/duplicates?page=abc").status_code == 200


def test_possible_duplicates_on_the_company_page(bakeries, make_user, login_as, client):
    login_as(make_user())
    company = bakeries["jansen"]
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert f"/companies/{company.id}/duplicates?fragment=1" in page
    fragment = client.get(f"/companies/{company.id}/duplicates?fragment=1").get_data(as_text=True)
    assert "Jansen Bakkerij VOF" in fragment and "Bakkerij De Vries" not in fragment
    assert "/merge/" not in fragment  # an account manager does not merge
    full = client.get(f"/companies/{company.id}/duplicates")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    client.post("/logout")
    login_as(make_user(role="admin"))
    fragment = client.get(f"/companies/{company.id}/duplicates?fragment=1").get_data(as_text=True)
    assert f"/companies/{company.id}/merge/{bakeries['vof'].id}" in fragment


def test_odd_input_is_refused_without_errors(bakeries, make_user, login_as, client):
    login_as(make_user(role="admin"))
    jansen = bakeries["jansen"]
    assert client.post("/duplicates/dismiss", data={"a": "x", "b": jansen.id}).status_code == 404
    assert client.post("/duplicates/dismiss",
                       data={"a": jansen.id, "b": jansen.id}).status_code == 302
    assert client.post("/duplicates/dismiss", data={
        "a": jansen.id, "b": bakeries["vof"].id, "next": "//evil.example"}
    ).headers["Location"].endswith("/duplicates")
    assert client.get(f"/companies/{jansen.id}/merge/{jansen.id}").status_code == 404
    assert client.get(f"/companies/{jansen.id}/merge/99999999").status_code == 404
    assert client.post("/merges/99999999/undo").status_code == 404


def test_command_line_scan(app, bakeries):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crm", "duplicates", "--province", "Utrecht"])
    assert result.exit_code == 0, result.output
    assert "possible duplicate pairs" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuplicatePair)) >= 4
    result = runner.invoke(args=["crm", "duplicates", "--province", "Atlantis"])
    assert result.exit_code != 0 and "Unknown province" in result.output


def test_scan_of_the_newest_companies_only(bakeries):
    scan(db.session, newest=2)
    db.session.commit()
    newest = sorted(c.id for c in bakeries.values())[-2:]
    pairs = db.session.scalars(sa.select(DuplicatePair)).all()
    assert pairs and all(p.company_a_id in newest or p.company_b_id in newest for p in pairs)
