"""Digital maturity (DMA): recording results, the movement per company, the aggregated change
per archetype and organisation, the pages and the timeline."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.clock import today
from crm.journeys.consent import give_consent
from crm.journeys.errors import NotAllowed, ValidationFailed
from crm.journeys.interventions import log_intervention
from crm.journeys.maturity import (DuplicateAssessment, delete_assessment, dma_change_select,
                                   maturity_movement, record_assessment)
from crm.models import AuditEntry
from crm.models.survey import DmaAssessment
from crm.models.vocabulary import DMA_DIMENSION_NAMES
from tests.conftest import login


def scores(*values):
    return dict(zip(DMA_DIMENSION_NAMES, values))


@pytest.fixture
def world(make_org, make_user, make_company):
    org = make_org(name="EDIH Noord-West")
    other = make_org(name="Digitale Werkplaats Utrecht")
    staff = make_user(org=org)
    outsider = make_user(org=other)
    company = make_company(name="Metaalbedrijf Van Dam B.V.")
    return {"org": org, "other": other, "staff": staff, "outsider": outsider,
            "company": company}


def test_record_computes_the_average_and_is_audited(world):
    result = record_assessment(world["company"], scores(40, 55, 30, "62", 20, 10),
                               "2026-01-15", by=world["staff"])
    db.session.commit()
    assert result.average == Decimal("36.17")
    assert result.data_management == 62 and result.source == "entered"
    assert result.assessed_on == date(2026, 1, 15)
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.record_type == "dma_assessment")).one()
    assert entry.user_id == world["staff"].id and entry.changes["green"] == [None, 10]


@pytest.mark.parametrize("bad, field", [
    (scores(101, 1, 1, 1, 1, 1), "digital_business_strategy"),
    (scores(1, -1, 1, 1, 1, 1), "digital_readiness"),
    (scores(1, 1, "abc", 1, 1, 1), "human_centric"),
    (scores(1, 1, 1, 50.5, 1, 1), "data_management"),
    (scores(1, 1, 1, 1, True, 1), "automation_ai"),
    (scores(1, 1, 1, 1, 1, None), "green"),
    (scores(1, 1, 1, 1, 1), "green"),
    # Numbers a reader could hand over that are no whole number (int() of an infinity fails).
    (scores(Decimal("Infinity"), 1, 1, 1, 1, 1), "digital_business_strategy"),
    (scores(1, Decimal("-Infinity"), 1, 1, 1, 1), "digital_readiness"),
    (scores(1, 1, Decimal("NaN"), 1, 1, 1), "human_centric"),
    (scores(1, 1, 1, Decimal("sNaN"), 1, 1), "data_management"),
    (scores(1, 1, 1, 1, float("inf"), 1), "automation_ai"),
    (scores(1, 1, 1, 1, 1, float("nan")), "green"),
    (scores(Decimal("5E+1"), 1, 1, 1, 1, Decimal("1E+400")), "green"),
])
def test_bad_scores_are_refused_per_field(world, bad, field):
    with pytest.raises(ValidationFailed) as error:
        record_assessment(world["company"], bad, date(2026, 1, 1), by=world["staff"])
    assert field in error.value.errors
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DmaAssessment)) == 0


@pytest.mark.parametrize("when", ["morgen", "1999-12-31", None, "tomorrow"])
def test_bad_dates_are_refused(world, when):
    if when == "tomorrow":  # computed when the test runs: a run may cross midnight
        when = (today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed) as error:
        record_assessment(world["company"], scores(*[50] * 6), when, by=world["staff"])
    assert "assessed_on" in error.value.errors
    db.session.rollback()


def test_same_organisation_same_day_is_refused_and_others_may(world):
    record_assessment(world["company"], scores(*[50] * 6), "2026-02-01", by=world["staff"])
    with pytest.raises(DuplicateAssessment):
        record_assessment(world["company"], scores(*[60] * 6), "2026-02-01", by=world["staff"])
    record_assessment(world["company"], scores(*[60] * 6), "2026-02-01", by=world["outsider"])
    db.session.commit()


def test_database_refuses_out_of_range_scores(world):
    result = record_assessment(world["company"], scores(*[50] * 6), "2026-02-01",
                               by=world["staff"])
    db.session.commit()
    for column, value in [("green", 101), ("automation_ai", -1), ("source", "geraden")]:
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text(f"UPDATE dma_assessments SET {column} = :v "
                                       "WHERE id = :i"), {"v": value, "i": result.id})
            db.session.flush()
        db.session.rollback()


def test_movement_is_first_against_latest(world):
    company, staff = world["company"], world["staff"]
    record_assessment(company, scores(20, 30, 40, 50, 60, 70), "2025-03-01", by=staff)
    record_assessment(company, scores(90, 90, 90, 90, 90, 90), "2025-09-01", by=staff)
    record_assessment(company, scores(35, 30, 38, 75, 61, 70), "2026-03-01", by=staff)
    db.session.commit()
    movement = maturity_movement(company, staff)
    assert movement.count == 3 and movement.days == 365
    change = {d.name: d.change for d in movement.dimensions}
    assert change == {"digital_business_strategy": 15, "digital_readiness": 0,
                      "human_centric": -2, "data_management": 25, "automation_ai": 1,
                      "green": 0, "average": pytest.approx(6.5)}
    assert movement.dimensions[-1].first == pytest.approx(45.0)
    assert movement.dimensions[-1].latest == pytest.approx(51.5)


def test_movement_follows_consent(world):
    record_assessment(world["company"], scores(*[10] * 6), "2025-01-01", by=world["staff"])
    db.session.commit()
    assert maturity_movement(world["company"], world["outsider"]) is None
    give_consent(world["company"], "getekend formulier", by=world["staff"])
    db.session.commit()
    assert maturity_movement(world["company"], world["outsider"]).count == 1


def test_mean_change_per_archetype_and_organisation(world, make_company):
    staff, outsider = world["staff"], world["outsider"]
    a, b, c = world["company"], make_company(), make_company()
    # a: +10 everywhere; a scan and a workshop between its results
    record_assessment(a, scores(*[40] * 6), "2025-01-10", by=staff)
    record_assessment(a, scores(*[50] * 6), "2025-12-10", by=staff)
    log_intervention(a, {"kind": "scans", "occurred_on": "2025-01-10"}, by=staff)
    log_intervention(a, {"kind": "scans", "occurred_on": "2025-02-10"}, by=staff)
    log_intervention(a, {"kind": "workshops", "occurred_on": "2025-06-01"}, by=outsider)
    # b: +30 on strategy only; a scan between, a workshop after its latest result
    record_assessment(b, scores(20, 20, 20, 20, 20, 20), "2025-02-01", by=outsider)
    record_assessment(b, scores(50, 20, 20, 20, 20, 20), "2025-08-01", by=staff)
    log_intervention(b, {"kind": "scans", "occurred_on": "2025-05-01"}, by=staff)
    log_intervention(b, {"kind": "workshops", "occurred_on": "2025-09-01"}, by=outsider)
    # c: one result only: no movement
    record_assessment(c, scores(*[70] * 6), "2025-03-01", by=staff)
    log_intervention(c, {"kind": "scans", "occurred_on": "2025-03-01"}, by=staff)
    db.session.commit()

    rows = {r.key: r for r in db.session.execute(dma_change_select("archetype"))}
    assert set(rows) == {"scans", "workshops"}
    assert rows["scans"].companies == 2
    assert rows["scans"].mean_change_digital_business_strategy == pytest.approx(20.0)
    assert rows["scans"].mean_change_digital_readiness == pytest.approx(5.0)
    assert rows["scans"].mean_change_average == pytest.approx((10 + 5) / 2)
    assert rows["workshops"].companies == 1
    assert rows["workshops"].mean_change_green == pytest.approx(10.0)

    by_org = {r.key: r for r in db.session.execute(dma_change_select("organisation"))}
    assert by_org[staff.organisation_id].companies == 2
    assert by_org[outsider.organisation_id].companies == 1
    assert by_org[outsider.organisation_id].mean_change_digital_business_strategy == 10.0

    overall = db.session.execute(dma_change_select("all")).one()
    assert overall.companies == 2
    assert overall.mean_change_digital_business_strategy == pytest.approx(20.0)
    only_b = db.session.execute(dma_change_select("all", company_ids=[b.id])).one()
    assert only_b.companies == 1 and only_b.mean_change_green == pytest.approx(0.0)
    workshops_of_outsider = db.session.execute(dma_change_select(
        "all", organisation_ids=[outsider.organisation_id], archetypes=["workshops"])).one()
    assert workshops_of_outsider.companies == 1
    late = db.session.execute(dma_change_select("all", latest_from=date(2025, 9, 1))).one()
    assert late.companies == 1


def test_delete_only_by_the_recording_organisation(world):
    result = record_assessment(world["company"], scores(*[10] * 6), "2025-01-01",
                               by=world["staff"])
    db.session.commit()
    with pytest.raises(NotAllowed):
        delete_assessment(result, by=world["outsider"])
    delete_assessment(result, by=world["staff"])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DmaAssessment)) == 0


# --- pages ------------------------------------------------------------------------------------

def test_record_from_the_company_page(client, world):
    company = world["company"]
    login(client, world["staff"])
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Digitale maturiteit (DMA) vastleggen" in page
    assert "Nog geen DMA-uitslagen vastgelegd." in page
    form = {"assessed_on": "2025-05-01", **{k: "40" for k in DMA_DIMENSION_NAMES}}
    response = client.post(f"/companies/{company.id}/maturity", data=form)
    assert response.status_code == 302
    second = {**form, "assessed_on": "2026-01-05", "green": "70", "automation_ai": "25"}
    assert client.post(f"/companies/{company.id}/maturity", data=second).status_code == 302
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Van 1 mei 2025 tot 5 jan 2026 (2 uitslagen)" in page
    assert "+30" in page and "-15" in page and "+2,5" in page
    assert "Digitale maturiteit (DMA) vastgelegd" in page  # on the timeline
    detail = client.get(f"/companies/{company.id}/maturity").get_data(as_text=True)
    assert "Groene digitalisering" in detail and "42,5" in detail


def test_bad_input_on_the_page_is_explained_and_nothing_is_saved(client, world):
    company = world["company"]
    login(client, world["staff"])
    form = {"assessed_on": "2025-13-01", **{k: "40" for k in DMA_DIMENSION_NAMES}}
    form["green"] = "140"
    form["data_management"] = "veel"
    response = client.post(f"/companies/{company.id}/maturity", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vul een heel getal van 0 tot en met 100 in." in html
    assert "Vul een datum in, zoals 2026-03-31." in html
    assert 'value="140"' in html and 'value="veel"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DmaAssessment)) == 0
    duplicate = {**form, "assessed_on": "2025-05-01", "green": "10",
                 "data_management": "10"}
    assert client.post(f"/companies/{company.id}/maturity", data=duplicate).status_code == 302
    again = client.post(f"/companies/{company.id}/maturity", data=duplicate)
    assert again.status_code == 409
    assert "al een DMA-uitslag vastgelegd op 1 mei 2025" in again.get_data(as_text=True)


def test_other_organisations_see_results_under_consent(client, world):
    record_assessment(world["company"], scores(*[33] * 6), "2025-01-01", by=world["staff"])
    db.session.commit()
    login(client, world["outsider"])
    url = f"/companies/{world['company'].id}/maturity"
    assert "Nog geen DMA-uitslagen vastgelegd." in client.get(url).get_data(as_text=True)
    give_consent(world["company"], "mondeling", by=world["staff"])
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "EDIH Noord-West" in html and "Verwijderen" not in html
    result = db.session.scalars(sa.select(DmaAssessment)).one()
    assert client.post(f"/dma/{result.id}/delete").status_code == 403


def test_company_page_panel_follows_consent_and_counts_results_beyond_the_latest_steps(
        client, world):
    """The company page draws the movement from the timeline it reads: another organisation
    sees it only under consent, and the first result counts even when it is older than the
    latest steps the page shows."""
    company = world["company"]
    record_assessment(company, scores(*[20] * 6), "2023-01-02", by=world["staff"])
    for n in range(60):  # pushes the first result out of the latest 50 steps shown
        log_intervention(company, {"kind": "intake", "occurred_on": date(2024, 1, 1)
                                   + timedelta(days=n)}, by=world["staff"])
    record_assessment(company, scores(*[50] * 6), "2025-06-02", by=world["staff"])
    db.session.commit()
    url = f"/companies/{company.id}"
    login(client, world["outsider"])
    page = client.get(url).get_data(as_text=True)
    assert "Nog geen DMA-uitslagen vastgelegd." in page and "+30" not in page
    give_consent(company, "mondeling", by=world["staff"])
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Van 2 jan 2023 tot 2 jun 2025 (2 uitslagen)" in page and "+30" in page
    assert "Alle 63 stappen van de klantreis tonen" in page
