"""Offerings: validation, who may maintain them, the map's filters, coverage and the network."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.errors import NotAllowed, ValidationFailed
from crm.journeys.offerings import (coverage_by_province, create_offering, offerings_matching,
                                    provider_memberships, provider_network, reactivate,
                                    tags_by_offering, update_offering, validate_offering,
                                    withdraw_offering)
from crm.models import AuditEntry, Offering, Region
from tests.conftest import province

DAY = date(2026, 3, 1)


def region(name):
    return db.session.execute(sa.select(Region).filter_by(name=name)).scalar_one()


def make(user, **data):
    values = {"name": "Aanbod", "archetype": "advisering", **data}
    offering = create_offering(values, by=user)
    db.session.commit()
    return offering


def names(filters=None, on=DAY):
    return sorted(o.name for o in db.session.scalars(offerings_matching(filters, on=on)))


def errors_of(data):
    with pytest.raises(ValidationFailed) as caught:
        validate_offering(data, db.session)
    return caught.value.errors


# --- validation ------------------------------------------------------------------------------

def test_validation_requires_name_and_archetype(app):
    errors = errors_of({"name": "  ", "archetype": "toveren"})
    assert set(errors) == {"name", "archetype"}


def test_validation_of_period_contact_and_lists(app):
    errors = errors_of({"starts_on": "2026-05-01", "ends_on": "2026-04-30",
                        "contact_email": "geen-adres", "contact_phone": "bel me",
                        "url": "niet een url", "size": ["reus"], "sector": ["Z"],
                        "province_ids": [999999], "region_ids": ["x"],
                        "market_failure": ["pech"], "cost_kind": "duur"})
    assert set(errors) == {"ends_on", "contact_email", "contact_phone", "url", "size", "sector",
                           "province_ids", "region_ids", "market_failure", "cost_kind"}
    assert errors_of({"starts_on": "31-02-2026"}).keys() == {"starts_on"}


def test_validation_normalises(app):
    values = validate_offering({
        "name": "  Digitale   Werkplaats ", "url": "www.example.nl", "sector": ["c", "G", "C"],
        "size": ["micro", "zzp"], "contact_email": "Info@Example.NL", "ends_on": "2026-12-31",
        "providers": [{"name": " Rabobank ", "role": "financier"}, {"name": "", "role": ""},
                      {"name": "Rabobank", "role": "financier"}]}, db.session)
    assert values["name"] == "Digitale Werkplaats"
    assert values["url"] == "https://www.example.nl"
    assert values["sector"] == ["C", "G"]
    assert values["size"] == ["micro", "zzp"]
    assert values["contact_email"] == "info@example.nl"
    assert values["ends_on"] == date(2026, 12, 31)
    assert values["providers"] == [{"name": "Rabobank", "role": "financier",
                                    "organisation_id": None}]


def test_provider_rows_are_checked(app):
    errors = errors_of({"providers": [{"name": "EZK", "role": "baas"},
                                      {"organisation_id": 99999, "role": "financier"}]})
    assert set(errors) == {"providers-0-role", "providers-1-organisation_id"}


def test_create_stores_everything_with_audit(app, make_user, make_org):
    user = make_user()
    partner = make_org(name="Rabobank Utrecht")
    offering = make(user, name="Scan", archetype="scans", size=["micro"], maturity=["laag"],
                    province_ids=[province("Zeeland").id], region_ids=[region("Regio Foodvalley").id],
                    technology=["ai"], bottleneck=["kunnen"], market_failure=["informatiegebreken"],
                    starts_on="2026-01-01", ends_on="2026-12-31", takes_referrals=False,
                    providers=[{"organisation_id": partner.id, "role": "financier"},
                               {"name": "Ministerie van EZK", "role": "initiatiefnemer"}])
    db.session.expire_all()
    offering = db.session.get(Offering, offering.id)
    assert offering.organisation_id == user.organisation_id
    assert [p.name for p in offering.provinces] == ["Zeeland"]
    assert [r.name for r in offering.regions] == ["Regio Foodvalley"]
    assert offering.values("size") == ["micro"] and offering.values("technology") == ["ai"]
    assert offering.values("market-failure") == ["informatiegebreken"]
    assert {(p.name, p.role, p.organisation_id) for p in offering.providers} == {
        ("Rabobank Utrecht", "financier", partner.id),
        ("Ministerie van EZK", "initiatiefnemer", None)}
    assert offering.takes_referrals is False
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(record_type="offering")).one()
    assert entry.action == "create" and entry.changes["name"] == [None, "Scan"]


def test_update_changes_only_given_keys_and_audits(app, make_user):
    user = make_user()
    offering = make(user, size=["micro"], phase=["starter"], ends_on="2026-06-30")
    update_offering(offering, {"size": ["klein", "micro"], "name": "Nieuw"}, by=user)
    db.session.commit()
    assert offering.values("size") == ["klein", "micro"]
    assert offering.values("phase") == ["starter"]
    assert offering.name == "Nieuw"
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="update")).one()
    assert entry.changes["size"] == [["micro"], ["klein", "micro"]]
    with pytest.raises(ValidationFailed) as caught:
        update_offering(offering, {"starts_on": "2026-07-01"}, by=user)
    assert "ends_on" in caught.value.errors


# --- who may maintain offerings ---------------------------------------------------------------

def test_own_organisation_maintains_its_offerings(app, make_user, make_org):
    owner = make_user(role="staff")
    colleague = make_user(org=owner.organisation)
    stranger = make_user(org=make_org())
    offering = make(owner)
    update_offering(offering, {"name": "Door collega"}, by=colleague)
    with pytest.raises(NotAllowed):
        update_offering(offering, {"name": "Overgenomen"}, by=stranger)
    with pytest.raises(NotAllowed):
        withdraw_offering(offering, by=stranger)
    with pytest.raises(NotAllowed):
        make(stranger, organisation_id=owner.organisation_id)


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_maintain_all(app, make_user, make_org, role):
    owner = make_user()
    boss = make_user(org=make_org(), role=role)
    offering = make(owner)
    update_offering(offering, {"name": "Bijgewerkt"}, by=boss)
    withdraw_offering(offering, by=boss)
    assert offering.active is False
    reactivate(offering, by=boss)
    assert offering.active is True
    other = make(boss, organisation_id=owner.organisation_id, name="Voor een ander")
    assert other.organisation_id == owner.organisation_id
    actions = db.session.scalars(sa.select(AuditEntry.action)
                                 .where(AuditEntry.record_id == offering.id,
                                        AuditEntry.record_type == "offering")).all()
    assert sorted(actions) == ["create", "reactivate", "update", "withdraw"]


# --- the map's filters ------------------------------------------------------------------------

def test_empty_dimension_means_any(app, make_user):
    user = make_user()
    make(user, name="Alleen micro", size=["micro"])
    make(user, name="Iedereen")
    make(user, name="Klein en groot", size=["klein", "middelgroot"])
    assert names({"size": "micro"}) == ["Alleen micro", "Iedereen"]
    assert names({"size": ["micro", "klein"]}) == ["Alleen micro", "Iedereen", "Klein en groot"]
    assert names({"size_class": "zzp"}) == ["Iedereen"]


@pytest.mark.parametrize("field,value,other", [
    ("sector", "C", "G"), ("phase", "starter", "scale-up"), ("form", "data", "interface"),
    ("technology", "ai", "robotica"), ("bottleneck", "weten", "kunnen"),
    ("market_failure", "marktmacht", "externaliteiten")])
def test_each_tag_dimension_filters(app, make_user, field, value, other):
    user = make_user()
    make(user, name="Raak", **{field: [value]})
    make(user, name="Mis", **{field: [other]})
    make(user, name="Open")
    assert names({field: value}) == ["Open", "Raak"]
    assert names({field: other}) == ["Mis", "Open"]


def test_unspecified_maturity_fits_every_level(app, make_user):
    user = make_user()
    make(user, name="Laag", maturity=["laag"])
    make(user, name="Ongespecificeerd", maturity=["ongespecificeerd"])
    make(user, name="Hoog", maturity=["hoog"])
    assert names({"maturity": "laag"}) == ["Laag", "Ongespecificeerd"]


def test_provinces_regions_and_national(app, make_user):
    user = make_user()
    make(user, name="Zeeuws", province_ids=[province("Zeeland").id])
    make(user, name="Landelijk")
    make(user, name="Gooi", region_ids=[region("Gooi & Vechtstreek").id])
    make(user, name="Fries", province_ids=[province("Fryslân").id])
    assert names({"province_id": province("Zeeland").id}) == ["Landelijk", "Zeeuws"]
    # The region's municipalities lie in Noord-Holland (and Eemnes in Utrecht).
    assert names({"province_id": province("Noord-Holland").id}) == ["Gooi", "Landelijk"]
    assert names({"province_id": province("Limburg").id}) == ["Landelijk"]
    assert names({"region_id": region("Gooi & Vechtstreek").id}) == ["Gooi", "Landelijk"]


def test_other_filters(app, make_user, make_org):
    user = make_user()
    other = make_user(org=make_org(name="SPOT035"))
    make(user, name="Workshop", archetype="workshops", takes_referrals=False, cost_kind="betaald")
    make(other, name="Scan", archetype="scans")
    assert names({"archetype": "scans"}) == ["Scan"]
    assert names({"archetype": ["scans", "workshops"]}) == ["Scan", "Workshop"]
    assert names({"organisation_id": other.organisation_id}) == ["Scan"]
    assert names({"takes_referrals": True}) == ["Scan"]
    assert names({"takes_referrals": False}) == ["Workshop"]
    assert names({"cost_kind": "betaald"}) == ["Workshop"]


def test_free_text_ignores_case_and_accents(app, make_user, make_org):
    user = make_user(org=make_org(name="Hogeschool Café"))
    make(user, name="Privacy-scan", description="Wat doet de AVG met uw klantgegevens?")
    make(user, name="Robotica in de fabriek",
         providers=[{"name": "Provincie Fryslân", "role": "financier"}])
    other = make_user(org=make_org(name="Andere organisatie"))
    make(other, name="Data 100% veilig")
    assert names({"q": "PRIVACY"}) == ["Privacy-scan"]
    assert names({"q": "klantgegevens"}) == ["Privacy-scan"]
    assert names({"q": "friesland"}) == []
    assert names({"q": "fryslan"}) == ["Robotica in de fabriek"]
    assert names({"q": "FRYSLÂN"}) == ["Robotica in de fabriek"]
    assert names({"q": "cafe"}) == ["Privacy-scan", "Robotica in de fabriek"]
    assert names({"q": "café robotica"}) == ["Robotica in de fabriek"]
    assert names({"q": "100%"}) == ["Data 100% veilig"]
    assert names({"q": "%"}) == ["Data 100% veilig"]


def test_active_expired_and_withdrawn(app, make_user):
    user = make_user()
    make(user, name="Loopt", ends_on=DAY)
    make(user, name="Verlopen", ends_on=DAY - timedelta(days=1))
    gone = make(user, name="Ingetrokken")
    withdraw_offering(gone, by=user)
    db.session.commit()
    assert names({"active": True}) == ["Loopt"]
    assert names({"active": False}) == ["Ingetrokken", "Verlopen"]
    assert names({"expired": True}) == ["Verlopen"]
    assert names({"expired": False, "withdrawn": False}) == ["Loopt"]
    assert names({"withdrawn": True}) == ["Ingetrokken"]
    assert names({"active": True}, on=DAY + timedelta(days=1)) == []


def test_tags_for_a_page_in_one_query(app, make_user):
    user = make_user()
    a = make(user, size=["micro"], technology=["ai", "iot"])
    b = make(user)
    assert tags_by_offering(db.session, [a.id, b.id]) == {
        a.id: {"size": ["micro"], "technology": ["ai", "iot"]}, b.id: {}}


# --- coverage ---------------------------------------------------------------------------------

def test_coverage_white_spots(app, make_user):
    user = make_user()
    # National: micro companies of low maturity everywhere, with a scan.
    make(user, name="Landelijke scan", archetype="scans", size=["micro"], maturity=["laag"])
    # Zeeland: everything (no sizes; maturity unspecified), through a workshop.
    make(user, name="Zeeuwse workshops", archetype="workshops",
         province_ids=[province("Zeeland").id], maturity=["ongespecificeerd"])
    # Gooi & Vechtstreek: zzp, high maturity.
    make(user, name="Gooise studenten", archetype="werken-met-studenten", size=["zzp"],
         maturity=["hoog"], region_ids=[region("Gooi & Vechtstreek").id])
    # Neither expired nor withdrawn offerings cover anything.
    make(user, name="Verlopen", archetype="subsidies", province_ids=[province("Limburg").id],
         ends_on=DAY - timedelta(days=1))
    gone = make(user, name="Ingetrokken", archetype="onderzoek",
                province_ids=[province("Limburg").id])
    withdraw_offering(gone, by=user)
    db.session.commit()

    coverage = {c["province"].name: c for c in coverage_by_province(DAY, session=db.session)}
    assert len(coverage) == 12
    limburg, zeeland, holland = coverage["Limburg"], coverage["Zeeland"], coverage["Noord-Holland"]
    assert limburg["matrix"][("micro", "laag")] == 1
    assert len(limburg["white_spots"]) == 11
    assert ("micro", "middel") in limburg["white_spots"]
    assert [a for a, covered in limburg["archetypes"].items() if covered] == ["scans"]
    assert "subsidies" in limburg["missing_archetypes"]
    assert zeeland["white_spots"] == []
    assert zeeland["matrix"][("micro", "laag")] == 2
    assert zeeland["matrix"][("klein", "hoog")] == 1
    assert {a for a, c in zeeland["archetypes"].items() if c} == {"scans", "workshops"}
    assert holland["matrix"][("zzp", "hoog")] == 1
    assert ("zzp", "laag") in holland["white_spots"]
    assert holland["archetypes"]["werken-met-studenten"]
    assert not coverage["Groningen"]["archetypes"]["werken-met-studenten"]


def test_coverage_without_offerings_is_all_white(app):
    coverage = coverage_by_province(DAY, session=db.session)
    assert len(coverage) == 12
    assert all(len(c["white_spots"]) == 12 and len(c["missing_archetypes"]) == 12
               for c in coverage)


# --- the provider network ---------------------------------------------------------------------

def test_provider_network(app, make_user, make_org):
    user = make_user()
    rabobank = make_org(name="Rabobank")
    make(user, name="Fonds", archetype="subsidies", province_ids=[province("Zeeland").id],
         providers=[{"organisation_id": rabobank.id, "role": "financier"},
                    {"name": "Provincie Zeeland", "role": "initiatiefnemer"}])
    make(user, name="Scan", archetype="scans",
         providers=[{"name": "Rabobank", "organisation_id": rabobank.id, "role": "uitvoerder"},
                    {"name": "TNO", "role": "uitvoerder"}])
    make(user, name="Oud", ends_on=DAY - timedelta(days=1),
         providers=[{"name": "Oude partner", "role": "uitvoerder"}])

    rows = db.session.execute(provider_network(on=DAY)).all()
    assert [(r.name, r.offerings) for r in rows] == [
        ("Provincie Zeeland", 1), ("Rabobank", 2), ("TNO", 1)]
    memberships = db.session.execute(provider_memberships(rows, on=DAY)).all()
    assert [(name, o.name, p.role) for name, _org, p, o in memberships] == [
        ("Provincie Zeeland", "Fonds", "initiatiefnemer"), ("Rabobank", "Fonds", "financier"),
        ("Rabobank", "Scan", "uitvoerder"), ("TNO", "Scan", "uitvoerder")]
    limburg = db.session.execute(
        provider_network(on=DAY, province_id=province("Limburg").id)).all()
    assert [(r.name, r.offerings) for r in limburg] == [("Rabobank", 1), ("TNO", 1)]
