"""New passwords are checked against an offline list of breached passwords (ASVS 2.1.7),
wherever a password is set: the account page, the admin area and the command line."""
import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from crm.extensions import db
from crm.journeys.accounts import BREACHED, is_breached, password_problem
from crm.models import User
from tests.conftest import PASSWORD, login

LEAKED = ["password123", "PASSWORD123", "Password123", "qwertyuiop", "1234567890",
          "wachtwoord1", "Wachtwoord1", "welkom12345", "iloveyou12"]
#: Passwords the project itself uses (tests, benchmarks, documentation): never on the list.
OURS = [PASSWORD, "Bench-wachtwoord-2026", "Gekaapt-wachtwoord", "Lang-genoeg-wachtwoord",
        "Nieuw-wachtwoord-1", "Door-beheer-gezet-1", "Nieuw-wachtwoord-2026",
        "nog-een-wachtwoord", "lang-genoeg-123", "een-sterk-wachtwoord",
        "lang-genoeg-wachtwoord", "Sterk-Wachtwoord-2026!"]


@pytest.mark.parametrize("password", LEAKED)
def test_leaked_passwords_are_refused_in_any_usual_case(password):
    assert is_breached(password)
    assert password_problem(password) == (BREACHED, {})


@pytest.mark.parametrize("password", OURS)
def test_the_projects_own_passwords_are_not_on_the_list(password):
    assert password_problem(password) is None


def test_the_other_rules_still_come_first():
    assert "at least" in password_problem("kort")[0]
    assert "control" in password_problem("lang-genoeg\x00123")[0]


def test_the_account_page_refuses_a_leaked_password_in_the_users_language(client, make_user):
    user = make_user(locale="nl")
    login(client, user)
    response = client.post("/account/", data={"pw-current_password": PASSWORD,
                                              "pw-new_password": "Wachtwoord123"})
    assert response.status_code == 422
    assert "gelekte wachtwoorden" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, PASSWORD)


def test_the_admin_refuses_a_leaked_password_for_a_new_user(client, make_user):
    admin = make_user(role="admin", locale="en")
    login(client, admin)
    response = client.post("/admin/users/new/", data={
        "email": "nieuw@example.nl", "name": "Nieuw", "organisation": str(admin.organisation_id),
        "role": "staff", "locale": "nl", "active": "y", "new_password": "password1234"})
    assert "leaked passwords" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).filter_by(email="nieuw@example.nl")) is None


def test_the_admin_refuses_a_leaked_password_for_an_existing_user(client, make_user):
    admin = make_user(role="admin", locale="en")
    user = make_user(org=admin.organisation, role="staff")
    login(client, admin)
    client.post(f"/admin/users/edit/?id={user.id}", data={
        "email": user.email, "name": user.name, "organisation": str(user.organisation_id),
        "role": "staff", "locale": "nl", "active": "y", "new_password": "qwertyuiop123"})
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, PASSWORD)


def test_the_command_line_refuses_a_leaked_password(app, make_org):
    make_org(name="Oost NL", kind="rom")
    result = app.test_cli_runner().invoke(args=[
        "crm", "create-user", "nieuw@oostnl.example.nl", "--org", "Oost NL", "--role", "staff",
        "--password", "Password1234"])
    assert result.exit_code != 0
    assert "leaked passwords" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
