"""The EU-shaped EDIH export: the mapping, the numbers per size, sector, location and type of
support, the DMA change, suppression of small cells, and the CSV and .xlsx downloads."""
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.extensions import db
from crm.journeys import eu_report as eu
from crm.journeys.interventions import log_intervention
from crm.models import DmaAssessment
from crm.models.vocabulary import ARCHETYPE_SLUGS, CONTACT_KINDS, INTERVENTION_KIND_SLUGS


def log(company, user, on, kind):
    log_intervention(company, {"kind": kind, "occurred_on": on, "summary": ""}, by=user)


def dma(company, org, on, score):
    db.session.add(DmaAssessment(
        company_id=company.id, organisation_id=org.id, assessed_on=on,
        digital_business_strategy=score, digital_readiness=score, human_centric=score,
        data_management=score, automation_ai=score, green=score + 6,
        average=Decimal(score + 1)))


def test_every_kind_has_one_mapping_and_every_archetype_is_a_service():
    assert set(eu.SERVICE_TYPE_OF) == set(INTERVENTION_KIND_SLUGS)
    assert all(eu.SERVICE_TYPE_OF[a] in eu.SERVICE_TYPE_SLUGS for a in ARCHETYPE_SLUGS)
    assert all(eu.SERVICE_TYPE_OF[k] is None for k, _label in CONTACT_KINDS)
    assert {eu.SERVICE_TYPE_OF[a] for a in ARCHETYPE_SLUGS} == set(eu.SERVICE_TYPE_SLUGS)
    assert eu.SERVICE_TYPE_OF["subsidies"] == "investment"
    assert eu.SERVICE_TYPE_OF["scans"] == "test-before-invest"
    assert len(eu.NUTS2) == 12


@pytest.fixture
def network(make_org, make_user, make_company):
    edih, rom = make_org(name="EDIH Utrecht"), make_org(name="ROM Utrecht", kind="rom")
    regio = make_org(name="Provincie Utrecht", kind="provincie")
    e = make_user(org=edih, role="staff")
    r = make_user(org=rom, role="staff")
    coordinator = make_user(org=regio, role="coordinator", provinces=("Utrecht",))
    micro = [make_company(name=f"Micro {n}", employees=4, sbi_code="6201") for n in range(6)]
    small = make_company(name="Klein", employees=20, sbi_code="1071")
    amsterdam = make_company(name="Amsterdam", employees=60, sbi_code="1071",
                             municipality="Amsterdam")
    for c in micro:
        log(c, e, date(2026, 3, 1), "scans")
    log(micro[0], e, date(2026, 4, 1), "workshops")
    log(micro[0], e, date(2026, 4, 2), "scans")  # a second scan: one business, two services
    log(small, e, date(2026, 5, 1), "subsidies")
    log(small, e, date(2026, 5, 2), "intake")  # a contact, not a service
    log(amsterdam, e, date(2026, 6, 1), "netwerken")
    log(micro[1], e, date(2025, 12, 31), "subsidies")  # before the period
    log(micro[2], r, date(2026, 7, 1), "subsidies")  # the ROM's work
    dma(micro[0], edih, date(2025, 11, 1), 30)
    dma(micro[0], edih, date(2026, 9, 1), 50)
    dma(micro[1], edih, date(2026, 2, 1), 40)
    dma(micro[1], edih, date(2026, 10, 1), 50)
    dma(micro[1], edih, date(2027, 2, 1), 90)  # after the period: not counted
    dma(small, edih, date(2026, 2, 1), 10)  # a single assessment: no change to report
    db.session.commit()
    return {"edih": e, "rom": r, "coordinator": coordinator}


PERIOD = (date(2026, 1, 1), date(2026, 12, 31))


def test_numbers_of_an_organisations_own_work(network):
    report = eu.build(db.session, eu.scope_for(network["edih"]), *PERIOD)
    assert report.scope.kind == "organisation" and not report.suppress
    assert report.companies == 8 and report.services == 10
    assert report.by_service == {"test-before-invest": (6, 7), "skills-training": (1, 1),
                                 "investment": (1, 1), "ecosystem": (1, 1)}
    sizes = {key: (total, per) for key, _name, total, per in report.by_size.rows}
    assert sizes["micro"] == (6, {"test-before-invest": 6, "skills-training": 1,
                                  "investment": 0, "ecosystem": 0})
    assert sizes["klein"][0] == 1 and sizes["middelgroot"][0] == 1 and sizes["zzp"][0] == 0
    sectors = {key: total for key, _name, total, _per in report.by_sector.rows}
    assert sectors == {"C": 2, "J": 6}
    places = {name: total for _key, name, total, _per in report.by_location.rows if total}
    assert places == {"NL35 Utrecht": 7, "NL32 Noord-Holland": 1}
    # DMA: micro 0 (30 → 50) and micro 1 (40 → 50, the 2027 result is after the period)
    assert report.dma_companies == 2
    assert report.dma["digital_business_strategy"] == (35.0, 50.0)
    assert report.dma["green"] == (41.0, 56.0) and report.dma["average"] == (36.0, 51.0)


def test_a_coordinators_regional_report_suppresses_small_cells(network):
    report = eu.build(db.session, eu.scope_for(network["coordinator"], "region"), *PERIOD)
    assert report.suppress
    assert report.companies == 7  # Utrecht only, the EDIH's and the ROM's work
    assert report.cell(report.by_service["investment"][0]) == "< 5"
    assert report.cell(report.by_service["test-before-invest"][0]) == 6
    assert report.cell(0) == 0
    tables = {title: rows for title, _header, rows in eu.tables(report, lambda s, **k: s % k
                                                                 if k else s)}
    dma_title = next(t for t in tables if t.startswith("Digital maturity"))
    assert "< 5" in dma_title and tables[dma_title] == []  # 2 companies: not shown
    # a non-coordinator cannot ask for the regional scope
    assert eu.scope_for(network["edih"], "region").kind == "organisation"


def test_page_csv_and_xlsx(network, login_as):
    client = login_as(network["edih"])
    page = client.get("/journeys/eu-report?from=2026-01-01&to=2026-12-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "NL35 Utrecht" in html and "scans" in html
    csv = client.get("/journeys/eu-report.csv?from=2026-01-01&to=2026-12-31")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert any(line.startswith("NL35 Utrecht;7;") for line in lines)
    assert "" in lines  # tables separated by an empty line
    xlsx = client.get("/journeys/eu-report.xlsx?from=2026-01-01&to=2026-12-31")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.mimetype
    book = load_workbook(io.BytesIO(xlsx.data))
    assert len(book.sheetnames) == 7
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}
    location = next(rows for name, rows in sheets.items() if "NUTS" in name)
    assert ["NL35 Utrecht", 7, 6, 1, 1, 0] in location
    summary = next(iter(sheets.values()))
    assert [row[1] for row in summary[4:6]] == [8, 10]


def test_bad_dates_get_a_message_not_an_error(network, login_as):
    client = login_as(network["edih"])
    response = client.get("/journeys/eu-report?from=gisteren&to=2026-02-30")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("alert-warning") == 2
    swapped = client.get("/journeys/eu-report?from=2026-12-31&to=2026-01-01")
    assert swapped.status_code == 200 and "alert-warning" in swapped.get_data(as_text=True)
    assert client.get("/journeys/eu-report.xlsx?from=x").status_code == 200
