"""Who may see and change what: master data is shared, contact persons are not."""
import pytest

from crm.policy import EDIT, VIEW, may
from tests.conftest import login

ROLES = ["account_manager", "staff", "coordinator", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_and_edits_shared_master_data(make_user, make_company, role):
    user = make_user(role=role)
    company = make_company()
    assert may(user, VIEW, company) and may(user, EDIT, company)


@pytest.mark.parametrize("role", ["account_manager", "staff", "coordinator"])
def test_contact_persons_stay_with_their_organisation(client, make_org, make_user, make_company,
                                                      make_contact, role):
    own, third = make_org(name="Eigen"), make_org(name="Derde")
    company = make_company()
    secret = make_contact(company, third, name="Geheime Persoon", email="geheim@example.nl")
    user = make_user(org=own, role=role)
    assert not may(user, VIEW, secret)
    login(client, user)
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Geheime Persoon" not in page and "geheim@example.nl" not in page
    assert client.get(f"/contacts/{secret.id}/edit").status_code == 404
    assert client.post(f"/contacts/{secret.id}/delete").status_code == 404


def test_admin_sees_every_contact(make_org, make_user, make_company, make_contact):
    contact = make_contact(make_company(), make_org())
    assert may(make_user(role="admin"), EDIT, contact)


def test_inactive_user_may_nothing(make_user, make_company):
    user = make_user(active=False)
    assert not may(user, VIEW, make_company())
