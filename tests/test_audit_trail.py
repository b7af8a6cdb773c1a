"""The audit trail is complete: field-level changes of business records (also through the admin),
sign-ins, failed sign-ins, sign-outs and API token use; never a password."""
import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditEntry, ContactPerson, Organisation, User
from tests.conftest import PASSWORD, login


def _entries(**where):
    return db.session.scalars(sa.select(AuditEntry).filter_by(**where)
                              .order_by(AuditEntry.id)).all()


def test_contact_changes_keep_field_values(client, make_user, make_company):
    user = make_user()
    company = make_company()
    login(client, user)
    client.post(f"/companies/{company.id}/contacts/new",
                data={"name": "Anna de Wit", "role": "eigenaar", "email": "anna@wit.nl",
                      "phone": "030 111 22 33"})
    contact = db.session.scalars(sa.select(ContactPerson)).one()
    client.post(f"/contacts/{contact.id}/edit",
                data={"name": "Anna de Wit", "role": "directeur", "email": "anna@wit.nl",
                      "phone": "030 111 22 33"})
    client.post(f"/contacts/{contact.id}/delete")
    created, updated, deleted = _entries(record_type="contact")
    assert created.changes["email"] == [None, "anna@wit.nl"]
    assert created.user_id == user.id and created.organisation_id == user.organisation_id
    assert created.company_id == company.id
    assert updated.changes == {"role": ["eigenaar", "directeur"]}
    assert deleted.action == "delete" and deleted.changes["name"] == ["Anna de Wit", None]


def test_company_edit_is_recorded_with_before_and_after(make_user, make_company):
    from crm.journeys.companies import update_company
    user = make_user()
    company = make_company(name="Oud B.V.")
    update_company(company, {"name": "Nieuw B.V.", "employees": 60}, by=user,
                   version=company.version)
    db.session.commit()
    entry = _entries(record_type="company", action="update")[-1]
    assert entry.changes["name"] == ["Oud B.V.", "Nieuw B.V."]
    assert entry.changes["size_class"] == ["micro", "middelgroot"]
    assert entry.user_id == user.id and entry.company_id == company.id


def test_admin_changes_are_audited_without_the_password(client, make_user, make_org):
    admin = make_user(role="admin")
    org = make_org(name="Werkplaats Oost")
    login(client, admin)
    response = client.post("/admin/users/new/", data={
        "email": "Nieuw@Example.nl", "name": "Nieuwe Collega", "organisation": str(org.id),
        "role": "staff", "locale": "nl", "active": "y", "new_password": "Lang-genoeg-wachtwoord"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    user = db.session.scalars(sa.select(User).filter_by(email="nieuw@example.nl")).one()
    entry = _entries(record_type="user", action="create")[-1]
    assert entry.record_id == user.id and entry.user_id == admin.id
    assert entry.changes["email"] == [None, "nieuw@example.nl"]
    assert entry.changes["password"] == ["…", "…"]
    assert "Lang-genoeg" not in str(entry.changes) and "scrypt" not in str(entry.changes)

    response = client.post(f"/admin/organisations/edit/?id={org.id}", data={
        "name": "Werkplaats Oost-NL", "kind": "werkplaats", "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    entry = _entries(record_type="organisation", action="update")[-1]
    assert entry.record_id == org.id
    assert entry.changes["name"] == ["Werkplaats Oost", "Werkplaats Oost-NL"]
    assert "Utrecht" in entry.changes["provinces"][0]  # the collection before the edit
    assert entry.changes["provinces"][1] == []


def test_sign_in_failures_and_sign_out_are_logged_without_passwords(client, make_user):
    user = make_user()
    client.post("/login", data={"email": user.email, "password": "fout-wachtwoord-1"})
    client.post("/login", data={"email": "niemand@example.nl", "password": "Geheim-typo"})
    login(client, user)
    client.post("/logout")
    failed = _entries(action="sign-in-failed")
    assert [e.record_id for e in failed] == [user.id, 0]
    assert all(e.user_id is None and e.changes["address"][1] for e in failed)
    (signed_in,) = _entries(action="sign-in")
    assert signed_in.user_id == user.id and signed_in.organisation_id == user.organisation_id
    assert len(_entries(action="sign-out")) == 1
    everything = " ".join(str(e.changes) for e in _entries())
    for secret in ("fout-wachtwoord", "Geheim-typo", PASSWORD, "niemand@example.nl"):
        assert secret not in everything


def test_token_use_is_logged_at_most_once_a_minute(app, make_user):
    import time_machine
    from datetime import datetime, timezone
    from crm.api.tokens import create_token
    user = make_user()
    token = create_token(user)
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc), tick=False):
        for _ in range(3):
            assert client.get("/api/v1/companies", headers=headers).status_code == 200
    with time_machine.travel(datetime(2026, 5, 4, 10, 2, tzinfo=timezone.utc), tick=False):
        client.get("/api/v1/companies", headers=headers)
    uses = _entries(action="token-use")
    assert len(uses) == 2
    assert uses[0].user_id == user.id and uses[0].changes["request"][1] == "GET /api/v1/companies"


def test_every_admin_edit_lands_in_the_same_transaction(client, make_user, make_org):
    """A refused admin edit (validation error) writes no audit entry either."""
    admin = make_user(role="admin")
    make_org(name="Bestaat Al")
    org = make_org(name="Tweede")
    login(client, admin)
    before = len(_entries())
    client.post(f"/admin/organisations/edit/?id={org.id}", data={
        "name": "bestaat al", "kind": "edih", "active": "y"})
    assert db.session.get(Organisation, org.id).name == "Tweede"
    assert len(_entries(record_type="organisation")) == 0
    assert len(_entries()) == before


def test_intervention_referral_and_task_entries_carry_their_fields(make_user, make_company,
                                                                    make_org):
    from crm.journeys.interventions import log_intervention
    from crm.journeys.referrals import refer, transition
    from crm.journeys.tasks import add_task, complete_task
    me, partner = make_user(), make_user(org=make_org())
    company = make_company()
    intervention = log_intervention(company, {
        "kind": "intake", "occurred_on": "2026-03-02", "summary": "Webshop",
        "bottlenecks": ["kunnen"], "topics": ["ai"]}, by=me)
    referral = refer(company, partner.organisation, "Hulp?", by=me, entrepreneur_agrees=True)
    transition(referral, "reject", by=partner, reason="geen-capaciteit")
    task = add_task(intervention, {"title": "Bellen", "due_on": "2026-04-01"}, by=me)
    complete_task(task, by=me)
    db.session.commit()
    (created,) = _entries(record_type="intervention")
    assert created.changes["summary"] == [None, "Webshop"]
    assert created.changes["bottlenecks"] == [None, ["kunnen"]]
    rejected = _entries(record_type="referral", action="reject")[0]
    assert rejected.changes == {"status": ["requested", "rejected"],
                                "reason": [None, "geen-capaciteit"]}
    assert rejected.organisation_id == partner.organisation_id
    done = _entries(record_type="task", action="complete")[0]
    assert done.changes["done_at"][1].startswith("20")


def test_moving_a_user_to_another_organisation_in_the_admin_is_audited(
        client, make_user, make_org):
    admin = make_user(role="admin")
    old, new = make_org(name="Oude Club"), make_org(name="Nieuwe Club")
    user = make_user(org=old, name="Verhuizer", email="verhuizer@example.nl")
    login(client, admin)
    response = client.post(f"/admin/users/edit/?id={user.id}", data={
        "email": "verhuizer@example.nl", "name": "Verhuizer", "organisation": str(new.id),
        "role": "account_manager", "locale": "nl", "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    entry = _entries(record_type="user", action="update")[-1]
    assert entry.changes["organisation"] == ["Oude Club", "Nieuwe Club"]
    assert "password" not in entry.changes
