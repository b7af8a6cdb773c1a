"""``GET /api/v1/monitor`` and ``/api/v1/monitor.pdf``: the JSON shape, the same scope rules as
the dashboard, and clear 400s for bad parameters."""
import io

import pypdf
import pytest
import time_machine

from crm.api.tokens import create_token
from crm.extensions import db
from tests import monitor_data
from tests.api.conftest import Api
from tests.monitor_data import TODAY

PERIOD = "from=2026-01-01&to=2026-12-31"


@pytest.fixture
def data(make_org, make_user, make_company):
    return monitor_data.build(make_org, make_user, make_company)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY.isoformat() + " 12:00 +01:00", tick=True):
        yield


@pytest.fixture
def api_as(client):
    def make(user):
        token = create_token(user)
        db.session.commit()
        return Api(client, token)
    return make


def test_figures_of_a_province_as_json(data, api_as):
    response = api_as(data.users.coordinator).get(f"/monitor?province=utrecht&{PERIOD}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["contacts"] == 14 and body["companies_reached"] == 7
    assert set(body["referrals"]) == {"requested", "accepted", "rejected", "in_progress",
                                      "on_hold", "completed", "failed", "cancelled", "overdue"}
    assert body["referrals"]["completed"] == "< 5"
    assert body["scope"] == {"label": "Utrecht", "from": "2026-01-01", "to": "2026-12-31",
                             "cross_organisation": True, "organisation_id": None,
                             "filters": {}}
    assert {r["key"]: r["companies"] for r in body["reach"]["archetype"]}["scans"] == 7
    assert set(body["reach"]) == {"archetype", "sector", "size_class", "maturity",
                                  "municipality"}
    assert set(body) >= {"funnel", "by_sender", "by_receiver", "flows", "journeys", "impact"}
    stalled = body["journeys"]["stalled"]
    assert {i["name"] for i in stalled["items"]} == {
        "Utrechts Bedrijf 3", "Utrechts Bedrijf 4", "Utrechts Bedrijf 5"}
    assert stalled["items"][0]["sent_at"].startswith("2026-03-02")


def test_an_organisations_own_work_unsuppressed(data, api_as):
    body = api_as(data.users.staff_a).get(
        f"/monitor?organisation_id={data.orgs.a.id}&{PERIOD}").get_json()
    assert body["referrals"] == {"requested": 2, "accepted": 0, "rejected": 1,
                                 "in_progress": 1, "on_hold": 0, "completed": 1, "failed": 1,
                                 "cancelled": 1, "overdue": 1}
    assert body["impact"]["survey"]["response_rate"] == 66.7
    assert body["impact"]["dma"]["companies"] == 2


def test_scopes_the_token_user_may_not_see_are_forbidden(data, api_as):
    staff = api_as(data.users.staff_a)
    for path in ("/monitor?province=Utrecht", f"/monitor?organisation_id={data.orgs.b.id}",
                 "/monitor.pdf?province=Utrecht"):
        response = staff.get(path)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "forbidden"
    assert api_as(data.users.coordinator).get("/monitor?province=Groningen").status_code == 403


def test_bad_parameters_answer_400_with_messages(data, api_as, anonymous_api):
    api = api_as(data.users.coordinator)
    response = api.get("/monitor?from=2026-02-30&province=Atlantis&size_class=x")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and error["message"]
    assert set(error["fields"]) == {"from", "province", "size_class"}
    response = api.get("/monitor?from=2026-05-01&to=2026-01-01")
    assert response.status_code == 400 and "to" in response.get_json()["error"]["fields"]
    response = api.get("/monitor?provincie=Utrecht")
    assert response.status_code == 400 and "provincie" in response.get_json()["error"]["message"]
    assert anonymous_api.get("/monitor").status_code == 401


def test_the_regional_report_as_pdf(data, api_as):
    response = api_as(data.users.coordinator).get(f"/monitor.pdf?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Utrecht" in text and "1 januari 2026" in text
    assert f"Pagina 1 van {len(reader.pages)}" in text


def test_openapi_describes_the_monitor(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/monitor" in paths and "/monitor.pdf" in paths
    names = {p["name"] for p in paths["/monitor"]["get"]["parameters"]}
    assert {"province", "organisation_id", "from", "to"} <= names


@pytest.fixture
def anonymous_api(client):
    return Api(client)
