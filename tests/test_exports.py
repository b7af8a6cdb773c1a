"""Exports: what an organisation may see, as CSV (UTF-8 with BOM, ';') and .xlsx, and one
company's record as JSON; every export is in the audit trail."""
import csv
import io
import json

import sqlalchemy as sa
from openpyxl import load_workbook

from crm.extensions import db
from crm.journeys.companies import add_contact
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer
from crm.models import AuditEntry
from tests.conftest import login


def _world(make_user, make_company, make_org):
    ours, theirs, third = (make_org(name="Eigen EDIH"), make_org(name="Andere Werkplaats"),
                           make_org(name="Derde Partij"))
    me, other, outsider = make_user(org=ours), make_user(org=theirs), make_user(org=third)
    company = make_company(name="Café Één B.V.", kvk="01234567")
    make_company(name="=HYPERLINK(\"http://evil\")", kvk="07654321")
    add_contact(company, {"name": "Mijn Contact", "email": "mijn@cafe.nl",
                          "phone": "+31 30 123 4567"}, by=me)
    add_contact(company, {"name": "Hun Contact", "email": "hun@cafe.nl"}, by=other)
    log_intervention(company, {"kind": "intake", "occurred_on": "2026-03-02",
                               "summary": "Onze intake", "internal_note": "Onze notitie"},
                     by=me)
    log_intervention(company, {"kind": "intake", "occurred_on": "2026-03-03",
                               "summary": "Hun intake", "internal_note": "Hun notitie"},
                     by=other)
    refer(company, theirs, "Vraag van ons aan hen", by=me, entrepreneur_agrees=True)
    refer(company, ours, "Vraag van derden", by=outsider, entrepreneur_agrees=True)
    refer(company, theirs, "Vraag buiten ons", by=outsider, entrepreneur_agrees=True)
    db.session.commit()
    return me, other, company


def _csv(client, slug):
    response = client.get(f"/exports/{slug}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_csv_exports_follow_the_policy(client, make_user, make_company, make_org):
    me, other, company = _world(make_user, make_company, make_org)
    login(client, me)
    companies = _csv(client, "companies")
    assert companies[0][:3] == ["KVK-nummer", "Vestigingsnummer", "Naam"]
    kvks = {row[0]: row for row in companies[1:]}
    assert kvks["01234567"][2] == "Café Één B.V."  # leading zero and accents kept
    assert kvks["07654321"][2].startswith("'=")  # never a formula in a spreadsheet

    contacts = _csv(client, "contacts")
    names = [row[2] for row in contacts[1:]]
    assert names == ["Mijn Contact"]
    assert contacts[1][5] == "'+31 30 123 4567"

    interventions = _csv(client, "interventions")
    summaries = {row[8]: row for row in interventions[1:]}
    assert set(summaries) == {"Onze intake"}  # no consent: only our own
    assert summaries["Onze intake"][9] == "Onze notitie"

    referrals = _csv(client, "referrals")
    questions = {row[6] for row in referrals[1:]}
    assert questions == {"Vraag van ons aan hen", "Vraag van derden"}

    logged = db.session.scalars(sa.select(AuditEntry).filter_by(action="export")).all()
    assert [e.changes["dataset"][1] for e in logged] == ["companies", "contacts",
                                                         "interventions", "referrals"]
    assert all(e.user_id == me.id for e in logged)


def test_consent_shares_other_interventions_but_never_their_notes(
        client, make_user, make_company, make_org):
    from crm.journeys.consent import give_consent
    me, other, company = _world(make_user, make_company, make_org)
    give_consent(company, "mondeling", by=other)
    db.session.commit()
    login(client, me)
    rows = {row[8]: row for row in _csv(client, "interventions")[1:]}
    assert set(rows) == {"Onze intake", "Hun intake"}
    assert rows["Hun intake"][9] == ""


def test_xlsx_export(client, make_user, make_company, make_org):
    me, other, company = _world(make_user, make_company, make_org)
    login(client, me)
    response = client.get("/exports/companies.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "KVK-nummer"
    by_kvk = {r[0]: r for r in rows[1:]}
    assert by_kvk["01234567"][2] == "Café Één B.V."
    assert by_kvk["07654321"][2] == "=HYPERLINK(\"http://evil\")"  # text, not a formula
    assert by_kvk["01234567"][6] == 5


def test_unknown_export_is_404(client, make_user):
    login(client, make_user())
    assert client.get("/exports/passwords.csv").status_code == 404
    assert client.get("/exports/companies.pdf").status_code == 404


def test_company_json_export(client, make_user, make_company, make_org):
    me, other, company = _world(make_user, make_company, make_org)
    login(client, me)
    response = client.get(f"/companies/{company.id}/export.json")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["company"]["kvk"] == "01234567" and doc["company"]["municipality"] == "Utrecht"
    assert [c["name"] for c in doc["contact_persons"]] == ["Mijn Contact"]
    assert [i["summary"] for i in doc["interventions"]] == ["Onze intake"]
    assert doc["interventions"][0]["internal_note"] == "Onze notitie"
    full = [r for r in doc["referrals"] if "question" in r]
    route_only = [r for r in doc["referrals"] if "question" not in r]
    assert {r["question"] for r in full} == {"Vraag van ons aan hen", "Vraag van derden"}
    assert full[0]["steps"][0]["action"] == "send"
    assert route_only == []  # no consent, not a coordinator: the third referral is not ours
    assert doc["consents"] == []
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="export")).one()
    assert entry.company_id == company.id and entry.changes["format"] == [None, "json"]
    assert client.get("/companies/999999/export.json").status_code == 404


def test_large_csv_export_streams(client, make_user, make_company):
    """The response is a stream of chunks (not one string built in memory)."""
    from crm.models import Company
    from crm.reference import normalise
    user = make_user()
    db.session.execute(sa.insert(Company), [
        {"kvk": f"{50000000 + n:08d}", "name": f"Bulk {n}", "sort_name": normalise(f"Bulk {n}"),
         "search_text": f"bulk {n}", "trade_names": ""} for n in range(3000)])
    db.session.commit()
    login(client, user)
    response = client.get("/exports/companies.csv")
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) > 3
    assert len(b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
               .splitlines()) == 3001


def test_intervention_export_lists_bottlenecks_and_topics(client, make_user, make_company,
                                                          make_org):
    me, _, company = _world(make_user, make_company, make_org)
    log_intervention(company, {"kind": "scans", "occurred_on": "2026-04-01",
                               "summary": "Scan met thema's", "bottlenecks": ["willen", "kunnen"],
                               "topics": ["data", "ai"]}, by=me)
    db.session.commit()
    login(client, me)
    rows = {row[8]: row for row in _csv(client, "interventions")[1:]}
    assert rows["Scan met thema's"][6:8] == ["kunnen, willen", "ai, data"]
    assert rows["Onze intake"][6:8] == ["", ""]
