"""The klantreis screens render and work through the test client."""
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Event, Intervention, Referral
from tests.conftest import login


def test_log_refer_accept_complete(client, app, make_org, make_user, make_company):
    sender_org, receiver_org = make_org(name="SPOT035"), make_org(name="EDIH Noord-West")
    sender, receiver = make_user(org=sender_org), make_user(org=receiver_org)
    company = make_company(name="Bakkerij Jansen")
    login(client, sender)
    page = client.get(f"/companies/{company.id}")
    assert page.status_code == 200
    response = client.post(f"/companies/{company.id}/interventions/new", data={
        "kind": "intake", "occurred_on": "2026-11-20", "bottlenecks": ["kunnen"],
        "summary": "Wil webshop", "internal_note": "Geheim"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = client.post(f"/companies/{company.id}/refer", data={
        "to_organisation_id": str(receiver_org.id), "question": "Hulp bij webshop",
        "entrepreneur_agrees": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    referral = db.session.scalars(sa.select(Referral)).one()
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    assert client.get("/referrals?box=outbox").status_code == 200
    client.get("/logout")
    login(client, receiver)
    assert "Bakkerij Jansen" in client.get("/referrals").get_data(as_text=True)
    assert client.get(f"/companies/{company.id}").status_code == 200
    assert client.post(f"/referrals/{referral.id}/accept").status_code == 302
    bad = client.post(f"/referrals/{referral.id}/complete", data={"outcome": ""})
    assert bad.status_code == 422
    assert client.post(f"/referrals/{referral.id}/complete",
                       data={"outcome": "Webshop live"}).status_code == 302
    again = client.post(f"/referrals/{referral.id}/accept")
    assert again.status_code == 409
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "completed"
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Geheim" not in page  # another organisation's internal note
    assert client.get(f"/referrals/{referral.id}/tasks/new").status_code == 200
    assert client.post(f"/referrals/{referral.id}/tasks/new", data={
        "kind": "evaluatie", "title": "Evalueren", "due_on": "2026-12-01",
        "owner_id": str(receiver.id)}).status_code == 302
    assert "Evalueren" in client.get("/tasks").get_data(as_text=True)
    assert "Evalueren" in client.get("/").get_data(as_text=True)


def test_event_with_unknown_numbers(client, make_user, make_company):
    user = make_user()
    a, b = make_company(kvk="01234567"), make_company(kvk="76543210")
    login(client, user)
    form = {"title": "Workshop AI", "kind": "workshops", "occurred_on": "2026-11-01",
            "kvk_numbers": "01234567, 7654 3210\n99999999 onzin"}
    preview = client.post("/events/new", data=form)
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "99999999" in text and "onzin" in text
    done = client.post("/events/new", data={**form, "confirmed": "y"})
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    event = db.session.scalars(sa.select(Event)).one()
    assert event.unresolved_kvk == "99999999"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)) == 2
    assert "99999999" in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_consent_give_and_withdraw(client, make_user, make_company):
    user = make_user()
    company = make_company()
    login(client, user)
    assert client.post(f"/companies/{company.id}/consent",
                       data={"basis": "mondeling bij intake"}).status_code == 302
    assert "mondeling bij intake" in client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert client.post(f"/companies/{company.id}/consent/withdraw").status_code == 302
