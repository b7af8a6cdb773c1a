"""Next-door suggestions: hand-made cases with their exact order and reasons, the referral to an
offering, and the company page and referral form that show them."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.clock import today
from crm.journeys.consent import give_consent
from crm.journeys.errors import ValidationFailed
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer, transition
from crm.journeys.suggestions import explain, keywords, suggest_next_doors
from crm.models import AuditEntry, Offering, OfferingTag, Referral, Region

from .conftest import province


@pytest.fixture
def make_offering(app):
    def make(org, name, archetype="advisering", provinces=(), regions=(), tags=(), **kw):
        offering = Offering(organisation_id=org.id, name=name, archetype=archetype, **kw)
        offering.provinces = [province(p) for p in provinces]
        offering.regions = [db.session.execute(sa.select(Region).filter_by(name=r)).scalar_one()
                            for r in regions]
        offering.tags = [OfferingTag(dimension=d, value=v) for d, v in tags]
        db.session.add(offering)
        db.session.commit()
        return offering
    return make


@pytest.fixture
def world(make_org, make_user, make_company):
    """The viewer's organisation, two partners, and a micro company in Hilversum (Noord-Holland,
    region Gooi & Vechtstreek), SBI 6201 (section J), starter, low maturity."""
    own = make_org("Eigen Loket", provinces=("Noord-Holland",))
    partner = make_org("Partner Eén", provinces=("Noord-Holland",))
    other = make_org("Partner Twee", provinces=("Utrecht",))
    viewer = make_user(own)
    company = make_company(municipality="Hilversum", employees=5, phase="starter",
                           digital_maturity="laag")
    return {"own": own, "partner": partner, "other": other, "viewer": viewer,
            "company": company, "partner_user": make_user(partner),
            "other_user": make_user(other)}


def _suggest(world, **kw):
    return suggest_next_doors(world["company"], viewer=world["viewer"], **kw)


def _names(suggestions):
    return [s.offering.name for s in suggestions]


def test_region_beats_province_beats_national(world, make_offering):
    p = world["partner"]
    make_offering(p, "Landelijk")
    make_offering(p, "Provincie", provinces=("Noord-Holland",))
    make_offering(p, "Regio", regions=("Gooi & Vechtstreek",))
    make_offering(p, "Elders", provinces=("Utrecht",))
    make_offering(p, "Andere regio", regions=("Achterhoek",))
    result = _suggest(world)
    assert _names(result) == ["Regio", "Provincie", "Landelijk"]
    assert [s.score for s in result] == [30, 25, 10]
    assert [s.reason_text for s in result] == [
        "fits: Gooi & Vechtstreek", "fits: Noord-Holland", "fits: national"]


def test_target_group_mismatch_is_excluded_and_match_counts(world, make_offering):
    p = world["partner"]
    make_offering(p, "Alleen klein", tags=[("size", "klein")])
    make_offering(p, "Micro en klein", tags=[("size", "micro"), ("size", "klein")])
    make_offering(p, "Andere sector", tags=[("sector", "C")])
    make_offering(p, "Hoge maturiteit", tags=[("maturity", "hoog")])
    make_offering(p, "Elke maturiteit", tags=[("maturity", "ongespecificeerd")])
    make_offering(p, "Scale-ups", tags=[("phase", "scale-up")])
    make_offering(p, "Alles", provinces=("Noord-Holland",),
                  tags=[("size", "micro"), ("sector", "J"), ("phase", "starter"),
                        ("maturity", "laag")])
    result = _suggest(world)
    assert _names(result) == ["Alles", "Micro en klein", "Elke maturiteit"]
    assert result[0].score == 25 + 10 + 10 + 6 + 8
    assert result[0].reason_text == ("fits: micro, Noord-Holland, sector J, starter, "
                                     "low maturity")
    assert result[1].reason_text == "fits: micro, national"


def test_bottlenecks_from_visible_interventions_only(world, make_offering):
    p = world["partner"]
    kunnen = make_offering(p, "Kunnen", tags=[("bottleneck", "kunnen")])
    weten = make_offering(p, "Weten", tags=[("bottleneck", "weten")])
    make_offering(p, "Niets")
    company, on = world["company"], today()
    log_intervention(company, {"kind": "intake", "occurred_on": on,
                               "bottlenecks": ["kunnen"]}, by=world["viewer"])
    # A third organisation's intervention: not visible without consent.
    log_intervention(company, {"kind": "telefoon", "occurred_on": on,
                               "bottlenecks": ["weten"]}, by=world["other_user"])
    db.session.commit()
    result = _suggest(world, on=on)
    assert _names(result) == ["Kunnen", "Weten", "Niets"]
    assert result[0].score == 10 + 20
    assert result[0].reason_text == "fits: national, being able"
    assert result[1].score == 10

    give_consent(company, "mondeling", by=world["other_user"])
    db.session.commit()
    result = _suggest(world, on=on)
    assert [s.offering.id for s in result[:2]] == [kunnen.id, weten.id]
    assert result[1].score == 30  # now shared: it counts as well

    # Recency: half a year later the weight has halved.
    later = _suggest(world, on=on + timedelta(days=180))
    assert later[0].score == 20
    # Older than the open window: no longer counts.
    assert _suggest(world, on=on + timedelta(days=800))[0].score == 10


def test_already_done_is_excluded(world, make_offering):
    p = world["partner"]
    referred = make_offering(p, "Al verwezen")
    make_offering(p, "Scan", archetype="scans")
    make_offering(p, "Nog open")
    company = world["company"]
    refer(company, p, "Wij willen een webshop.", by=world["viewer"], entrepreneur_agrees=True,
          offering=referred)
    # The partner already did a scan with the company.
    give_consent(company, "mondeling", by=world["viewer"])
    log_intervention(company, {"kind": "scans", "occurred_on": today()},
                     by=world["partner_user"])
    db.session.commit()
    assert _names(_suggest(world)) == ["Nog open"]


def test_closed_referral_does_not_exclude(world, make_offering):
    p = world["partner"]
    offering = make_offering(p, "Afgewezen")
    referral = refer(world["company"], p, "Vraag.", by=world["viewer"], entrepreneur_agrees=True,
                     offering=offering)
    transition(referral, "reject", by=world["partner_user"], reason="geen-capaciteit")
    db.session.commit()
    assert _names(_suggest(world)) == ["Afgewezen"]


def test_inactive_expired_and_own_offerings_are_excluded(world, make_offering, make_org):
    p, on = world["partner"], today()
    make_offering(p, "Ingetrokken", active=False)
    make_offering(p, "Verlopen", ends_on=on - timedelta(days=1))
    make_offering(p, "Loopt vandaag af", ends_on=on)
    make_offering(p, "Geen verwijzingen", takes_referrals=False)
    make_offering(world["own"], "Eigen aanbod")
    make_offering(make_org("Opgeheven", active=False), "Van opgeheven organisatie")
    assert _names(_suggest(world, on=on)) == ["Loopt vandaag af"]


def test_question_keywords_lift_a_match(world, make_offering):
    p = world["partner"]
    make_offering(p, "Digitaal advies", description="Een adviseur komt langs.")
    make_offering(p, "Online verkopen", description="Hulp bij uw webshop en online marketing.")
    make_offering(p, "Cyberweerbaar", description="Beveiliging", tags=[
        ("technology", "cybersecurity")])
    plain = _suggest(world)
    assert _names(plain) == ["Digitaal advies", "Online verkopen", "Cyberweerbaar"]
    asked = _suggest(world, question="Hoe verkopen wij meer via onze webshops?")
    assert _names(asked) == ["Online verkopen", "Digitaal advies", "Cyberweerbaar"]
    assert asked[0].score == 10 + 2 * 8
    assert asked[0].reason_text == "fits: national, question: verkopen, webshops"
    # Accent-insensitive, and tags count.
    asked = _suggest(world, question="Cybersécurity!")
    assert _names(asked)[0] == "Cyberweerbaar"


def test_keywords_stem_and_drop_stop_words():
    assert set(keywords("Wij willen een Webshop en subsidies")) == {"websho", "subsid"}
    assert keywords("") == {}


def test_ties_are_ordered_by_id_and_stable(world, make_offering):
    p = world["partner"]
    ids = [make_offering(p, f"Gelijk {n}").id for n in range(5)]
    first = _suggest(world)
    assert [s.offering.id for s in first] == sorted(ids)
    assert [s.offering.id for s in _suggest(world)] == [s.offering.id for s in first]
    assert [s.offering.id for s in _suggest(world, limit=2)] == sorted(ids)[:2]


def test_explain_translates_each_part():
    reasons = [("micro", {}), ("%(place)s", {"place": "Utrecht"}), ("being able", {})]
    assert explain(reasons) == "fits: micro, Utrecht, being able"
    dutch = {"fits: %(reasons)s": "past bij: %(reasons)s", "being able": "kunnen"}

    def gettext(msgid, **params):
        text = dutch.get(msgid, msgid)
        return text % params if params else text
    assert explain(reasons, gettext) == "past bij: micro, Utrecht, kunnen"


# --- referring to an offering --------------------------------------------------------------------

def test_refer_with_offering(world, make_offering):
    offering = make_offering(world["partner"], "Scan")
    referral = refer(world["company"], world["partner"], "Vraag.", by=world["viewer"],
                     entrepreneur_agrees=True, offering=offering)
    db.session.commit()
    assert db.session.get(Referral, referral.id).offering_id == offering.id
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.record_type == "referral", AuditEntry.record_id == referral.id)).one()
    assert entry.changes["offering_id"] == [None, offering.id]


@pytest.mark.parametrize("case", ["other-organisation", "withdrawn", "no-referrals", "expired"])
def test_refer_with_unfit_offering_fails(world, make_offering, case):
    kw = {"withdrawn": {"active": False}, "no-referrals": {"takes_referrals": False},
          "expired": {"ends_on": today() - timedelta(days=1)}}.get(case, {})
    owner = world["other"] if case == "other-organisation" else world["partner"]
    offering = make_offering(owner, "Aanbod", **kw)
    with pytest.raises(ValidationFailed) as caught:
        refer(world["company"], world["partner"], "Vraag.", by=world["viewer"],
              entrepreneur_agrees=True, offering=offering)
    assert set(caught.value.errors) == {"offering_id"}


# --- pages -----------------------------------------------------------------------------------

def test_company_page_shows_suggestions_with_refer_links(world, make_offering, login_as):
    offering = make_offering(world["partner"], "Webshop-spreekuur",
                             regions=("Gooi & Vechtstreek",))
    client = login_as(world["viewer"])
    company_id = world["company"].id
    page = client.get(f"/companies/{company_id}").get_data(as_text=True)
    # The page loads its suggestions after itself; without JavaScript, a link opens them.
    assert f'data-fragment="/companies/{company_id}/suggestions?fragment=1"' in page
    assert f'href="/companies/{company_id}/suggestions"' in page
    href = (f"/companies/{company_id}/refer?to={world['partner'].id}"
            f"&amp;offering={offering.id}")
    for url in (f"/companies/{company_id}/suggestions?fragment=1",
                f"/companies/{company_id}/suggestions"):
        part = client.get(url).get_data(as_text=True)
        assert "Webshop-spreekuur" in part
        assert "past bij: Gooi &amp; Vechtstreek" in part
        assert href in part


def test_referral_form_prefills_offering_and_sends_it(world, make_offering, login_as):
    offering = make_offering(world["partner"], "Webshop-spreekuur")
    make_offering(world["other"], "Ander aanbod")
    client = login_as(world["viewer"])
    url = f"/companies/{world['company'].id}/refer"
    page = client.get(f"{url}?offering={offering.id}").get_data(as_text=True)
    assert f'<option selected value="{offering.id}">Webshop-spreekuur</option>' in page
    assert f'<option selected value="{world["partner"].id}">' in page
    assert '<optgroup label="Partner Eén">' in page
    assert "Gebruik deze" in page  # the suggestions' one-click links

    response = client.post(url, data={"to_organisation_id": world["partner"].id,
                                      "offering_id": offering.id, "question": "Webshop",
                                      "entrepreneur_agrees": "y"})
    assert response.status_code == 302
    referral = db.session.scalars(sa.select(Referral)).one()
    assert referral.offering_id == offering.id


def test_referral_form_refuses_offering_of_another_organisation(world, make_offering, login_as):
    offering = make_offering(world["other"], "Ander aanbod")
    client = login_as(world["viewer"])
    response = client.post(f"/companies/{world['company'].id}/refer",
                           data={"to_organisation_id": world["partner"].id,
                                 "offering_id": offering.id, "question": "Webshop",
                                 "entrepreneur_agrees": "y"})
    assert response.status_code == 422
    assert "Kies een aanbod van de organisatie" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
