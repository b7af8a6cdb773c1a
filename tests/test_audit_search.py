"""History pages ("Geschiedenis") per record, with what the policy allows, and the admin search."""
from datetime import datetime, timezone

import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.companies import add_contact, update_company
from crm.journeys.consent import give_consent
from crm.journeys.interventions import log_intervention
from crm.models import AuditEntry, Municipality
from tests.conftest import login


def _setup(make_user, make_company, make_org):
    ours, theirs = make_org(name="Eigen EDIH"), make_org(name="Andere Werkplaats")
    me, other = make_user(org=ours), make_user(org=theirs, name="Collega Elders")
    company = make_company(name="Gedeeld B.V.")
    amersfoort = db.session.scalars(sa.select(Municipality).filter_by(name="Amersfoort")).one()
    update_company(company, {"name": "Gedeeld en Zo B.V.", "municipality_id": amersfoort.id},
                   by=me, version=company.version)
    add_contact(company, {"name": "Geheime Persoon", "email": "geheim@elders.nl"}, by=other)
    log_intervention(company, {"kind": "intake", "occurred_on": "2026-03-02",
                               "summary": "Gesprek"}, by=other)
    db.session.commit()
    return me, other, company


def test_company_history_shows_changes_in_dutch_within_the_policy(
        client, make_user, make_company, make_org):
    me, other, company = _setup(make_user, make_company, make_org)
    login(client, me)
    page = client.get(f"/companies/{company.id}/history")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Geschiedenis" in html
    assert "Gedeeld B.V." in html and "Gedeeld en Zo B.V." in html
    assert "Gemeente" in html and "Amersfoort" in html  # a label and a name, not an id
    # The other organisation's contact person and (unshared) contact are not mine to see.
    assert "Geheime Persoon" not in html and "geheim@elders.nl" not in html
    assert "Gesprek" not in html

    give_consent(company, "mondeling bij intake", by=other)
    db.session.commit()
    html = client.get(f"/companies/{company.id}/history").get_data(as_text=True)
    assert "mondeling bij intake" in html
    assert "Geheime Persoon" not in html


def test_contact_history_only_for_the_recording_organisation(
        client, make_user, make_company, make_org):
    me, other, company = _setup(make_user, make_company, make_org)
    contact_id = db.session.scalar(sa.text("SELECT id FROM contact_persons"))
    login(client, me)
    assert client.get(f"/contacts/{contact_id}/history").status_code == 404
    client.post("/logout")
    login(client, other)
    html = client.get(f"/contacts/{contact_id}/history").get_data(as_text=True)
    assert "Geheime Persoon" in html and "geheim@elders.nl" in html
    assert "E-mailadres" in html


def test_admin_search_filters(client, make_user, make_company, make_org):
    me, other, company = _setup(make_user, make_company, make_org)
    admin = make_user(role="admin")
    login(client, me)
    assert client.get("/audit").status_code == 403
    client.post("/logout")
    login(client, admin)

    def search(**args):
        response = client.get("/audit", query_string=args)
        return response.status_code, response.get_data(as_text=True)

    status, html = search()
    assert status == 200 and "Gedeeld en Zo B.V." in html and "Geheime Persoon" in html
    status, html = search(user=other.email)
    assert "Geheime Persoon" in html and "Gedeeld en Zo B.V." not in html
    status, html = search(organisation=me.organisation_id, record_type="company")
    assert "Gedeeld en Zo B.V." in html and "Geheime Persoon" not in html
    status, html = search(action="create", record_type="contact")
    assert "Geheime Persoon" in html and "Gedeeld en Zo" not in html
    status, html = search(q="GEHEIM@elders")
    assert "Geheime Persoon" in html and "Gedeeld en Zo" not in html
    status, html = search(record_id=company.id, record_type="company")
    assert "Gedeeld en Zo B.V." in html
    status, html = search(date_from="2000-01-01", date_to="2000-12-31")
    assert "Geen vermeldingen gevonden" in html or "Gedeeld en Zo" not in html
    status, html = search(date_from="31-12-2020")
    assert status == 400 and "2026-03-31" in html
    status, html = search(user="onbekend@example.nl")
    assert status == 400 and "onbekend@example.nl" in html


def test_free_text_finds_accented_values_and_pages(client, make_user, make_company):
    admin = make_user(role="admin")
    company = make_company()
    add_contact(company, {"name": "José Ñúñez"}, by=admin)
    for n in range(60):
        db.session.add(AuditEntry(at=datetime(2026, 1, 1, tzinfo=timezone.utc), action="update",
                                  record_type="company", record_id=company.id,
                                  company_id=company.id, changes={"employees": [n, n + 1]}))
    db.session.commit()
    login(client, admin)
    html = client.get("/audit", query_string={"q": "josé ñúñez"}).get_data(as_text=True)
    assert "José Ñúñez" in html
    first = client.get("/audit", query_string={"record_type": "company"}).get_data(as_text=True)
    assert 'rel="next"' in first
    second = client.get("/audit", query_string={"record_type": "company", "page": 2})
    assert second.status_code == 200 and 'rel="prev"' in second.get_data(as_text=True)


def test_referral_and_offering_history(client, make_user, make_company, make_org):
    from crm.journeys.referrals import refer, transition
    sender, receiver, outsider = make_user(), make_user(org=make_org()), make_user(
        org=make_org())
    company = make_company(name="Verwezen B.V.")
    referral = refer(company, receiver.organisation, "Hulp bij AI", by=sender,
                     entrepreneur_agrees=True)
    transition(referral, "reject", by=receiver, reason="geen-capaciteit")
    db.session.commit()
    login(client, sender)
    html = client.get(f"/referrals/{referral.id}/history").get_data(as_text=True)
    assert "Verwezen B.V." in html and "<object" not in html
    assert "afgewezen" in html and "geen capaciteit" in html  # labels, not slugs
    client.post("/logout")
    login(client, outsider)
    assert client.get(f"/referrals/{referral.id}/history").status_code == 404
    assert client.get("/offerings/424242/history").status_code == 404
    assert client.get("/companies/0/history").status_code == 404
