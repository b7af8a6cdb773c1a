"""The monitor dashboard, its CSV downloads and the regional PDF, through the browser's eyes
(the test client): what a coordinator and an organisation's staff see, and bad input."""
import csv
import io

import pypdf
import pytest
import time_machine

from crm.extensions import db
from tests import monitor_data
from tests.monitor_data import TODAY

PERIOD = "from=2026-01-01&to=2026-12-31"


@pytest.fixture
def data(make_org, make_user, make_company):
    return monitor_data.build(make_org, make_user, make_company)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY.isoformat() + " 12:00 +01:00", tick=True):
        yield


def test_dashboard_shows_figures_with_charts_and_tables(data, login_as):
    client = login_as(data.users.coordinator)
    response = client.get(f"/monitor?{PERIOD}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Monitor: Utrecht" in html
    assert 'data-figure="companies_reached">7<' in html
    assert 'data-figure="contacts">14<' in html
    assert html.count("<svg") >= 5 and 'aria-hidden="true"' in html
    assert "style=" not in html.split("<svg", 1)[1]  # the CSP forbids inline styles
    assert "&lt; 5" in html  # small cells suppressed
    assert '<th scope="col"' in html and '<th scope="row">' in html
    assert "Utrechts Bedrijf 3" in html  # the stalled list: the coordinator may see it
    assert "Bedrijf 1<" not in html
    assert "/monitor/report.pdf?" in html and "format=csv" in html


def test_filters_narrow_the_dashboard_and_bad_filters_get_messages(data, login_as):
    client = login_as(data.users.coordinator)
    html = client.get(f"/monitor?{PERIOD}&archetype=workshops").get_data(as_text=True)
    assert 'data-figure="companies_reached">5<' in html
    response = client.get("/monitor?from=31-12-2026&size_class=reus")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "JJJJ-MM-DD" in html or "YYYY-MM-DD" in html
    assert 'aria-invalid="true"' in html


def test_staff_see_their_own_work_and_not_a_province(data, login_as):
    client = login_as(data.users.staff_a)
    html = client.get(f"/monitor?{PERIOD}").get_data(as_text=True)
    assert "Monitor: Alfa EDIH" in html and 'data-figure="contacts">9<' in html
    assert client.get(f"/monitor?{PERIOD}&province=Utrecht").status_code == 403
    assert client.get(f"/monitor?{PERIOD}&organisation_id={data.orgs.b.id}").status_code == 403
    assert client.get(f"/monitor/report.pdf?province=Utrecht").status_code == 403


def test_a_coordinator_cannot_open_another_province(data, login_as):
    client = login_as(data.users.coordinator)
    assert client.get("/monitor?province=Groningen").status_code == 403
    assert client.get("/monitor?province=Atlantis").status_code == 400


def test_every_table_downloads_as_csv_for_dutch_excel(data, login_as):
    client = login_as(data.users.staff_a)
    response = client.get(f"/monitor?{PERIOD}&format=csv&table=referrals_by_sender")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Verzender", "Bedrijven", "Verwijzingen"] or rows[0][0]
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Alfa EDIH"][2] == "5"
    assert by_name["Alfa EDIH"][8] == "60"  # 3 of 5 were accepted
    flows = client.get(f"/monitor?{PERIOD}&format=csv&table=survey_questions").get_data()
    assert "3,5" in flows.decode("utf-8-sig")  # the Dutch decimal comma
    assert client.get(f"/monitor?{PERIOD}&format=csv&table=nope").status_code == 404
    for name in ("reach_archetype", "reach_sector", "reach_size", "reach_maturity",
                 "reach_municipality", "referral_funnel", "referral_states",
                 "referrals_by_receiver", "referral_flows", "journey_organisations",
                 "journey_paths", "journey_stalled", "survey_questions", "survey_archetype",
                 "survey_organisation", "dma_change", "dma_organisation", "dma_archetype"):
        assert client.get(f"/monitor?{PERIOD}&format=csv&table={name}").status_code == 200, name


def test_the_page_lists_the_25_busiest_senders_and_the_csv_all_of_them(
        make_org, make_user, make_company, login_as):
    receiver = make_org(name="Ontvanger")
    staff = make_user(org=receiver, role="staff")
    senders = [make_org(name=f"Verwijzer {n:02d}") for n in range(30)]
    for n, sender in enumerate(senders):
        company = make_company(name=f"Doorverwezen {n}", municipality="Utrecht")
        for day in range(1 + n % 3):  # Verwijzer 02, 05, 08 … sent three
            monitor_data.referral(company, sender, receiver, "requested",
                                  monitor_data.at(2026, 3, 2 + day))
    db.session.commit()
    client = login_as(staff)
    html = client.get(f"/monitor?{PERIOD}").get_data(as_text=True)
    table = html.split('data-table="referrals_by_sender"', 1)[1].split("</table>", 1)[0]
    listed = [row.split("</th>", 1)[0] for row in table.split('<th scope="row">')[1:]]
    assert len(listed) == 25
    assert listed[0].startswith("Verwijzer ") and int(listed[0][-2:]) % 3 == 2  # most first
    assert "The first 25 of 30 rows" in html or "De eerste 25 van 30 rijen" in html
    raw = client.get(f"/monitor?{PERIOD}&format=csv&table=referrals_by_sender").get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert sorted(r[0] for r in rows[1:]) == [s.name for s in senders]


def test_regional_pdf_has_the_figures_dutch_dates_and_page_numbers(data, login_as):
    client = login_as(data.users.coordinator)
    response = client.get(f"/monitor/report.pdf?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    pages = len(reader.pages)
    assert pages >= 4
    assert "Utrecht" in text and "1 januari 2026" in text and "31 december 2026" in text
    assert f"Pagina 1 van {pages}" in text and f"Pagina {pages} van {pages}" in text
    assert data.companies[2].kvk in text  # the stalled list names Utrechts Bedrijf 3
    assert "< 5" in text
    assert "Verwijzingen" in text or "Referrals" in text


def test_pdf_refuses_bad_parameters(data, login_as):
    client = login_as(data.users.coordinator)
    assert client.get("/monitor/report.pdf?from=gisteren").status_code == 400
