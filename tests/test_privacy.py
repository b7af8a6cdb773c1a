"""AVG rights: access report (JSON, PDF), erasure everywhere with statistics intact, the privacy
officer's screen, `crm erase-person`, `crm access-report` and `crm retention`."""
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from crm.extensions import db
from crm.journeys.companies import add_contact, update_contact
from crm.journeys.consent import give_consent
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer
from crm.models import (AuditEntry, ContactPerson, IntakeRequest, Intervention, OutgoingMail,
                        Referral, utcnow)
from tests.conftest import login


@pytest.fixture
def person(make_user, make_company, make_org):
    """A person known at two companies by two organisations, at the front door, in mail, in
    texts and in the audit trail. Unique name and address per test."""
    tag = uuid.uuid4().hex[:6]
    name, email = f"Jantje Pieterszoon{tag}", f"jantje.{tag}@voorbeeld.nl"
    ours, theirs = make_org(name="Eigen EDIH"), make_org(name="Andere Werkplaats")
    me, other = make_user(org=ours), make_user(org=theirs)
    bakery, garage = make_company(name="Bakkerij B.V."), make_company(name="Garage B.V.")
    mine = add_contact(bakery, {"name": name, "email": email, "phone": "06 1234 5678"}, by=me)
    update_contact(mine, {"name": name, "email": email, "phone": "06 1234 5678",
                          "role": "eigenaar"}, by=me)
    add_contact(garage, {"name": name, "email": email.upper()}, by=other)
    add_contact(bakery, {"name": "Iemand Anders", "email": "anders@voorbeeld.nl"}, by=me)
    give_consent(bakery, f"mondeling, door {name}", by=me)
    log_intervention(bakery, {"kind": "intake", "occurred_on": "2026-03-02",
                              "summary": f"Gesprek met {name} over de webshop"}, by=me)
    refer(bakery, theirs, f"{name} wil hulp; bel {email}", by=me, entrepreneur_agrees=True)
    db.session.add(IntakeRequest(organisation_id=ours.id, kvk=bakery.kvk,
                                 company_name="Bakkerij B.V.", contact_name=name, email=email,
                                 phone="06 1234 5678", question="Hoe maak ik een webshop?",
                                 consent=True, company_id=bakery.id))
    db.session.add(OutgoingMail(to_address=email, subject="Uw vraag",
                                body=f"Beste {name}, dank voor uw vraag."))
    db.session.add(OutgoingMail(to_address="collega@edih.nl", subject="Nieuwe verwijzing",
                                body=f"Verwijzing voor {name} ({email})."))
    db.session.commit()
    return {"name": name, "email": email, "me": me, "other": other, "bakery": bakery,
            "garage": garage}


def test_access_report_lists_everything(person):
    from crm.journeys.privacy import access_report, find_person
    report = access_report(db.session, find_person(db.session, person["email"]))
    assert len(report["contact_persons"]) == 2
    assert {c["organisation"] for c in report["contact_persons"]} == {"Eigen EDIH",
                                                                       "Andere Werkplaats"}
    assert report["person"]["phones"] == ["06 1234 5678"]
    assert [c["basis"] for c in report["consents"]] == [f"mondeling, door {person['name']}"]
    assert report["intake_requests"][0]["question"] == "Hoe maak ik een webshop?"
    assert len(report["outgoing_mail"]) == 2
    fields = {(m["record"], m["field"]) for m in report["mentions"]}
    assert {("interventions", "summary"), ("referrals", "question"),
            ("consents", "basis")} <= fields
    assert sum(e["record"] == "contact" for e in report["audit_entries"]) >= 3
    assert all("anders@voorbeeld.nl" not in json.dumps(e) for e in report["audit_entries"])


def test_privacy_screen_and_report_files(client, person, make_user):
    admin = make_user(role="admin")
    login(client, person["me"])
    assert client.get("/privacy").status_code == 403
    client.post("/logout")
    login(client, admin)
    page = client.get("/privacy", query_string={"email": person["email"]})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and person["name"] in html
    assert f'/contacts/' in html  # rectification: a link to the record's edit screen
    assert client.get("/privacy", query_string={"email": "geen-adres"}).status_code == 400
    nobody = client.get("/privacy", query_string={"email": "niemand@nergens.nl"})
    assert "Er is niets" in nobody.get_data(as_text=True) or nobody.status_code == 200

    data = json.loads(client.get("/privacy/report.json",
                                 query_string={"email": person["email"]}).get_data())
    assert len(data["contact_persons"]) == 2
    pdf = client.get("/privacy/report.pdf", query_string={"email": person["email"]})
    assert pdf.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert person["name"] in text and "Bakkerij B.V." in text
    logged = db.session.scalars(sa.select(AuditEntry).filter_by(action="access-report")).all()
    assert [e.changes["format"][1] for e in logged] == ["json", "pdf"]
    assert all(person["email"] not in json.dumps(e.changes) for e in logged)


def _counts():
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Referral)),
            db.session.scalar(sa.select(sa.func.count()).select_from(IntakeRequest)))


def _all_text() -> str:
    """Every row of every table as text (what any query could still find)."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts).lower()


def test_erasure_through_the_screen(client, person, make_user):
    admin = make_user(role="admin")
    before = _counts()
    login(client, admin)
    refused = client.post("/privacy/erase", data={"email": person["email"]})
    assert refused.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactPerson)) == 3
    response = client.post("/privacy/erase", data={"email": person["email"], "confirm": "yes"},
                           follow_redirects=True)
    assert response.status_code == 200 and "gewist" in response.get_data(as_text=True).lower()
    db.session.expire_all()
    assert _counts() == before  # statistics intact
    remaining = db.session.scalars(sa.select(ContactPerson.name)).all()
    assert remaining == ["Iemand Anders"]
    everything = _all_text()
    for value in (person["name"].lower(), person["email"], "06 1234 5678"):
        assert value not in everything
    assert "anders@voorbeeld.nl" in everything  # somebody else is untouched
    intake = db.session.scalars(sa.select(IntakeRequest)).one()
    assert intake.contact_name == "[gewist]" and intake.company_id == person["bakery"].id
    summary = db.session.scalars(sa.select(Intervention.summary)).one()
    assert summary == "Gesprek met [gewist] over de webshop"
    erase_entry = db.session.scalars(sa.select(AuditEntry).filter_by(
        action="erase", record_type="person")).one()
    assert erase_entry.user_id == admin.id and erase_entry.changes["contact_persons"][1] == 2


def test_erase_person_command(app, person):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crm", "erase-person", person["email"].upper()])
    assert result.exit_code == 0, result.output
    assert "2 contact person record(s) removed" in result.output
    assert person["email"] not in _all_text()
    again = runner.invoke(args=["crm", "erase-person", person["email"]])
    assert again.exit_code == 1 and "Nothing is held" in again.output
    bad = runner.invoke(args=["crm", "erase-person", "geen-adres"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output


def test_access_report_command(app, person, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "inzage.json"
    result = runner.invoke(args=["crm", "access-report", person["email"], "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(target.read_text())["contact_persons"]) == 2
    pdf = tmp_path / "inzage.pdf"
    assert runner.invoke(args=["crm", "access-report", person["email"], "-o",
                               str(pdf)]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_retention_anonymises_contacts_of_inactive_companies(app, make_user, make_company):
    user = make_user()
    long_ago = utcnow() - timedelta(days=900)
    old = make_company(name="Slapend B.V.", created_at=long_ago)
    recent = make_company(name="Actief B.V.", created_at=long_ago)
    new = make_company(name="Nieuw B.V.")
    for company in (old, recent, new):
        db.session.add(ContactPerson(company=company, organisation_id=user.organisation_id,
                                     name=f"Persoon bij {company.name}", email="p@example.nl",
                                     created_at=long_ago))
    db.session.add(AuditEntry(at=long_ago, action="create", record_type="contact",
                              record_id=1, company_id=old.id,
                              changes={"name": [None, "Persoon bij Slapend B.V."]}))
    db.session.commit()
    log_intervention(recent, {"kind": "intake", "occurred_on": "2026-01-05"}, by=user)
    db.session.commit()
    interventions = _counts()[0]
    result = app.test_cli_runner().invoke(args=["crm", "retention", "--months", "24"])
    assert result.exit_code == 0, result.output
    assert "1 contact person(s) of 1 inactive" in result.output
    names = set(db.session.scalars(sa.select(ContactPerson.name)))
    assert names == {"Persoon bij Actief B.V.", "Persoon bij Nieuw B.V."}
    assert "Persoon bij Slapend" not in _all_text()
    assert _counts()[0] == interventions
    again = app.test_cli_runner().invoke(args=["crm", "retention"])
    assert "0 contact person(s)" in again.output


def test_erasure_matches_whole_names_only(make_user, make_company):
    """A lone first name is no identifier, and a name inside a longer word is another word."""
    from crm.journeys.privacy import erase, find_person
    user = make_user()
    company = make_company()
    add_contact(company, {"name": "Jan", "email": "jan@bakker.nl"}, by=user)
    add_contact(company, {"name": "Piet de Vries", "email": "piet@vries.nl"}, by=user)
    log_intervention(company, {"kind": "intake", "occurred_on": "2026-01-05",
                               "summary": "In januari sprak Jan met Piet de Vriesland en "
                                          "daarna met Piet de Vries (piet@vries.nl)."}, by=user)
    db.session.commit()
    erase(db.session, find_person(db.session, "jan@bakker.nl"), by=user)
    erase(db.session, find_person(db.session, "piet@vries.nl"), by=user)
    db.session.commit()
    summary = db.session.scalars(sa.select(Intervention.summary)).one()
    assert summary == ("In januari sprak Jan met Piet de Vriesland en daarna met [gewist] "
                       "([gewist]).")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactPerson)) == 0


def test_privacy_screen_by_contact_record_without_an_address(client, make_user, make_company):
    from crm.journeys.privacy import find_person
    admin = make_user(role="admin")
    company = make_company()
    contact = add_contact(company, {"name": "Zonder Adres", "phone": "030 765 43 21"},
                          by=admin)
    db.session.commit()
    login(client, admin)
    html = client.get(f"/contacts/{contact.id}/history").get_data(as_text=True)
    assert f"/privacy?contact={contact.id}" in html
    page = client.get("/privacy", query_string={"contact": contact.id})
    assert page.status_code == 200 and "Zonder Adres" in page.get_data(as_text=True)
    assert client.get("/privacy", query_string={"contact": 999999}).status_code == 404
    response = client.post("/privacy/erase", data={"contact": contact.id, "confirm": "yes"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactPerson)) == 0
    assert "Zonder Adres" not in _all_text()
    with pytest.raises(Exception):
        find_person(db.session)
