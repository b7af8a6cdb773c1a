"""The contract other systems are written against: every endpoint's happy path, exact names."""
from datetime import date, datetime

import sqlalchemy as sa

from crm.extensions import db
from crm.models import ApiToken, AuditEntry, Company, Consent, Intervention, Referral

COMPANY_KEYS = {"id", "kvk", "name", "sbi", "sbi_section", "size_class", "employees", "phase",
                "digital_maturity", "website", "trade_names", "non_mailing", "municipality",
                "province", "version"}
REFERRAL_KEYS = {"id", "kvk", "status", "from_organisation", "to_organisation", "created_at",
                 "accept_due_on", "overdue"}


def _refer(api, network, **overrides):
    body = {"kvk": network.company.kvk, "to_organisation_id": network.b.id,
            "question": "Wil een webshop koppelen aan de boekhouding.",
            "entrepreneur_agrees": True, "context": "Klant sinds 2024.", **overrides}
    response = api.post("/referrals", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_organisations_lists_the_active_ones(api_as, network, make_org):
    make_org("Opgeheven Programma", kind="programma", active=False)
    rows = api_as(network.user_a).get("/organisations").get_json()
    assert {"id", "name", "kind"} <= set(rows[0])
    names = [r["name"] for r in rows]
    assert "EDIH Midden" in names and "Opgeheven Programma" not in names
    assert {r["id"] for r in rows} >= {network.a.id, network.b.id, network.c.id}


def test_create_company_and_read_it_back(api_as, network):
    api = api_as(network.user_a)
    response = api.post("/companies", {
        "kvk": "87654321", "name": "Fietsenmakerij Snel", "sbi": "4764", "size_class": "micro",
        "municipality": "'S-HERTOGENBOSCH", "employees": 4, "phase": "starter",
        "website": "www.snel.nl", "digital_maturity": "laag",
        "trade_names": ["Snel Fietsen", "Snel"]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert COMPANY_KEYS <= set(body)
    assert body["kvk"] == "87654321" and body["name"] == "Fietsenmakerij Snel"
    assert body["sbi"] == "4764" and body["sbi_section"] == "G"
    assert body["size_class"] == "micro" and body["employees"] == 4
    assert body["municipality"] == "'s-Hertogenbosch" and body["province"] == "Noord-Brabant"
    assert body["trade_names"] == ["Snel Fietsen", "Snel"]
    assert body["website"] == "https://www.snel.nl"
    assert body["non_mailing"] is False and body["version"] == 1
    assert response.headers["Location"].endswith("/api/v1/companies/87654321")
    assert api.get("/companies/87654321").get_json() == body
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.record_type == "company")).one()
    assert entry.user_id == network.user_a.id


def test_create_company_by_cbs_code_and_accent_free_name(api_as, network):
    api = api_as(network.user_a)
    by_code = api.post("/companies", {"kvk": "11112222", "name": "A", "sbi": "62",
                                      "size_class": "zzp", "municipality": "gm0344"})
    assert by_code.status_code == 201, by_code.get_json()
    assert by_code.get_json()["municipality"] == "Utrecht"
    by_name = api.post("/companies", {"kvk": "11113333", "name": "B", "sbi": "62",
                                      "employees": 30, "municipality": "sudwest-fryslan"})
    assert by_name.status_code == 201, by_name.get_json()
    assert by_name.get_json()["municipality"] == "Súdwest-Fryslân"
    assert by_name.get_json()["size_class"] == "klein"


def test_duplicate_kvk_is_a_conflict_naming_the_existing_company(api_as, network):
    response = api_as(network.user_a).post("/companies", {
        "kvk": "0123 4567", "name": "Dubbel", "sbi": "1071", "size_class": "micro",
        "municipality": "Utrecht"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "duplicate_kvk" and error["kvk"] == "01234567"
    assert "01234567" in error["message"]


def test_search_companies(api_as, network, make_company):
    make_company(kvk="22223333", name="Korenmolen De Hoop")
    api = api_as(network.user_a)
    rows = api.get("/companies?q=koren").get_json()
    assert [r["kvk"] for r in rows] == ["22223333", "01234567"]  # name prefix first
    assert COMPANY_KEYS <= set(rows[0])
    assert api.get("/companies?q=01234567").get_json()[0]["name"] == "Bakkerij De Korenschoof"
    first = api.get("/companies?per_page=1")
    assert len(first.get_json()) == 1 and 'rel="next"' in first.headers["Link"]
    assert first.headers["X-Total-Count"] == "2"
    assert len(api.get("/companies?per_page=1&page=2").get_json()) == 1


def test_add_and_list_contacts(api_as, network):
    api = api_as(network.user_a)
    response = api.post("/companies/01234567/contacts", {
        "name": "Anna de Vries", "email": "Anna@Korenschoof.nl", "phone": "030 123 45 67",
        "role": "eigenaar"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] and body["name"] == "Anna de Vries"
    assert body["email"] == "anna@korenschoof.nl" and body["role"] == "eigenaar"
    assert body["organisation"] == {"id": network.a.id, "name": network.a.name}
    assert [c["id"] for c in api.get("/companies/01234567/contacts").get_json()] == [body["id"]]


def test_log_intervention(api_as, network):
    api = api_as(network.user_a)
    response = api.post("/interventions", {
        "kvk": "01234567", "kind": "intake", "date": "2026-01-15",
        "summary": "Kennismaking", "internal_note": "Twijfelt nog",
        "bottlenecks": ["kunnen", "weten"], "topics": ["data", "cybersecurity"]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] and body["kind"] == "intake" and body["date"] == "2026-01-15"
    assert body["kvk"] == "01234567" and body["summary"] == "Kennismaking"
    assert body["internal_note"] == "Twijfelt nog"
    assert body["bottlenecks"] == ["weten", "kunnen"]
    assert body["topics"] == ["data", "cybersecurity"]
    stored = db.session.get(Intervention, body["id"])
    assert stored.organisation_id == network.a.id and stored.user_id == network.user_a.id


def test_log_intervention_of_an_archetype_defaults_to_today(api_as, network):
    response = api_as(network.user_a).post("/interventions", {"kvk": "01234567",
                                                              "kind": "workshops"})
    assert response.status_code == 201, response.get_json()
    assert date.fromisoformat(response.get_json()["date"])


def test_consent_give_and_withdraw(api_as, network):
    api = api_as(network.user_a)
    response = api.post("/companies/01234567/consent", {"basis": "mondeling bij intake"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["basis"] == "mondeling bij intake"
    assert response.get_json()["current"] is True
    again = api.post("/companies/01234567/consent", {"basis": "nogmaals"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_consented"
    withdrawn = api.delete("/companies/01234567/consent")
    assert withdrawn.status_code == 204 and withdrawn.data == b""
    consent = db.session.scalars(sa.select(Consent)).one()
    assert consent.withdrawn_at is not None and consent.withdrawn_by_id == network.user_a.id
    none_left = api.delete("/companies/01234567/consent")
    assert none_left.status_code == 404
    assert none_left.get_json()["error"]["code"] == "no_consent"
    assert "no current consent" in none_left.get_json()["error"]["message"]


def test_withdraw_consent_with_a_note(api_as, network):
    api = api_as(network.user_a)
    api.post("/companies/01234567/consent", {"basis": "getekend formulier"})
    assert api.delete("/companies/01234567/consent",
                      {"note": "Ondernemer belde"}).status_code == 204
    assert db.session.scalars(sa.select(Consent)).one().withdrawal_note == "Ondernemer belde"


def test_refer_and_the_boxes(api_as, network):
    sender, receiver = api_as(network.user_a), api_as(network.user_b)
    body = _refer(sender, network)
    assert body["id"] and body["status"] == "requested"
    assert body["question"].startswith("Wil een webshop")
    assert body["from_organisation"] == {"id": network.a.id, "name": network.a.name}
    assert body["to_organisation"] == {"id": network.b.id, "name": network.b.name}
    inbox = receiver.get("/referrals?box=inbox").get_json()
    assert [r["id"] for r in inbox] == [body["id"]]
    assert REFERRAL_KEYS <= set(inbox[0])
    assert inbox[0]["kvk"] == "01234567" and inbox[0]["overdue"] is False
    assert inbox[0]["allowed_actions"] == ["accept", "reject"]
    datetime.fromisoformat(inbox[0]["created_at"])
    date.fromisoformat(inbox[0]["accept_due_on"])
    assert receiver.get("/referrals?box=outbox").get_json() == []
    assert [r["id"] for r in sender.get("/referrals?box=outbox").get_json()] == [body["id"]]
    assert sender.get("/referrals?box=inbox").get_json() == []
    assert [r["id"] for r in sender.get("/referrals").get_json()] == [body["id"]]
    assert sender.get("/referrals?status=accepted").get_json() == []


def test_referral_detail_for_both_parties(api_as, network):
    created = _refer(api_as(network.user_a), network)
    for user in (network.user_a, network.user_b):
        body = api_as(user).get(f"/referrals/{created['id']}").get_json()
        assert body["question"] == created["question"]
        assert body["context"] == "Klant sinds 2024."
        assert body["outcome"] is None
        assert [s["action"] for s in body["steps"]] == ["send"]


def test_full_lifecycle(api_as, network):
    sender, receiver = api_as(network.user_a), api_as(network.user_b)
    rid = _refer(sender, network)["id"]
    for action, body, status in [("accept", {}, "accepted"), ("start", None, "in-progress"),
                                 ("hold", {}, "on-hold"), ("start", {}, "in-progress"),
                                 ("complete", {"outcome": "Koppeling gebouwd."}, "completed")]:
        response = receiver.post(f"/referrals/{rid}/{action}", body)
        assert response.status_code == 200, (action, response.get_json())
        assert response.get_json()["id"] == rid
        assert response.get_json()["status"] == status
    detail = sender.get(f"/referrals/{rid}").get_json()
    assert detail["outcome"] == "Koppeling gebouwd."
    assert [s["to_status"] for s in detail["steps"]] == [
        "requested", "accepted", "in-progress", "on-hold", "in-progress", "completed"]
    assert detail["allowed_actions"] == []


def test_reject_fail_and_cancel(api_as, network):
    sender, receiver = api_as(network.user_a), api_as(network.user_b)
    first = _refer(sender, network)["id"]
    rejected = receiver.post(f"/referrals/{first}/reject",
                             {"reason": "anders", "reason_text": "Buiten onze regio"})
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["reason"] == "anders"
    second = _refer(sender, network)["id"]
    receiver.post(f"/referrals/{second}/accept")
    failed = receiver.post(f"/referrals/{second}/fail", {"reason": "niet-bereikbaar"})
    assert failed.get_json()["status"] == "failed"
    third = _refer(sender, network)["id"]
    cancelled = sender.post(f"/referrals/{third}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert db.session.get(Referral, third).closed_at is not None


def test_timeline(api_as, network):
    api = api_as(network.user_a)
    api.post("/interventions", {"kvk": "01234567", "kind": "intake", "date": "2025-06-01",
                                "summary": "Intake", "internal_note": "Eigen notitie"})
    api.post("/companies/01234567/consent", {"basis": "mondeling bij intake"})
    rid = _refer(api, network)["id"]
    api_as(network.user_b).post(f"/referrals/{rid}/accept")
    body = api.get("/companies/01234567/timeline").get_json()
    assert body["company"]["kvk"] == "01234567" and body["has_consent"] is True
    events = body["events"]
    assert [e["type"] for e in events] == ["intervention", "consent", "referral",
                                           "referral-step"]
    assert events[0]["occurred_at"] == "2025-06-01"
    assert events[0]["internal_note"] == "Eigen notitie"
    assert events[0]["organisation"] == {"id": network.a.id, "name": network.a.name}
    for event in events[1:]:
        assert datetime.fromisoformat(event["occurred_at"]).tzinfo is not None
    assert events[2]["status"] == "accepted" and events[2]["question"]
    assert events[2]["to_organisation"] == {"id": network.b.id, "name": network.b.name}
    assert events[3]["kind"] == "accept" and events[3]["status"] == "accepted"
    assert [r["id"] for r in body["open_referrals"]] == [rid]


def test_openapi_document_needs_no_token(anonymous):
    response = anonymous.get("/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        **doc["components"]["securitySchemes"]["bearerAuth"], "type": "http",
        "scheme": "bearer"}
    paths = doc["paths"]
    for path, method in [("/organisations", "get"), ("/companies", "get"),
                         ("/companies", "post"), ("/companies/{kvk}", "get"),
                         ("/companies/{kvk}/contacts", "post"),
                         ("/companies/{kvk}/consent", "post"),
                         ("/companies/{kvk}/consent", "delete"),
                         ("/companies/{kvk}/timeline", "get"), ("/interventions", "post"),
                         ("/referrals", "get"), ("/referrals", "post"),
                         ("/referrals/{referral_id}", "get"),
                         ("/referrals/{referral_id}/accept", "post"),
                         ("/referrals/{referral_id}/cancel", "post")]:
        assert method in paths[path], (path, method)
    company_body = paths["/companies"]["post"]["requestBody"]["content"]["application/json"]
    assert set(company_body["schema"]["required"]) == {"kvk", "name", "sbi", "municipality"}


def test_every_documented_route_exists(app):
    from crm.api.openapi import document
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    for path in document()["paths"]:
        flask_path = "/api/v1" + path.replace("{kvk}", "<kvk>").replace(
            "{referral_id}", "<int:referral_id>").replace("{offering_id}", "<int:offering_id>") \
            .replace("{intervention_id}", "<int:intervention_id>")
        if flask_path.count("/") == 5 and "<int:referral_id>/" in flask_path:
            flask_path = flask_path.rsplit("/", 1)[0] + "/<any("
            assert any(r.startswith(flask_path) for r in rules), path
        else:
            assert flask_path in rules, path


def test_create_token_command_prints_a_working_token(app, network, client):
    from tests.api.conftest import Api
    result = app.test_cli_runner().invoke(args=["crm", "create-token",
                                                network.user_a.email.upper()])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("vd_") and len(token) == 3 + 43
    row = db.session.scalars(sa.select(ApiToken)).one()
    assert row.prefix == token[:10] and token not in row.token_hash
    assert len(row.token_hash) == 64
    assert Api(client, token).get("/companies/01234567").status_code == 200


def test_create_token_command_refuses_an_unknown_address(app):
    result = app.test_cli_runner().invoke(args=["crm", "create-token", "niemand@example.nl"])
    assert result.exit_code != 0
    assert "niemand@example.nl" in result.output and "Traceback" not in result.output


def test_last_used_at_is_written_at_most_once_a_minute(api_as, network):
    api = api_as(network.user_a)
    api.get("/organisations")
    row = db.session.scalars(sa.select(ApiToken)).one()
    first = row.last_used_at
    assert first is not None
    api.get("/organisations")
    db.session.refresh(row)
    assert row.last_used_at == first


def test_writes_commit(api_as, network):
    api_as(network.user_a).post("/companies", {"kvk": "55556666", "name": "Gezet",
                                               "sbi": "62", "size_class": "zzp",
                                               "municipality": "Utrecht"})
    db.session.rollback()
    assert db.session.scalars(sa.select(Company).where(Company.kvk == "55556666")).one()
