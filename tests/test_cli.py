"""The ``flask crm …`` commands: success paths, refusals (one line, non-zero) and demo data."""
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from crm.demo_insight import DUPLICATES
from crm.extensions import db
from crm.models import (Company, ContactPerson, Municipality, Organisation, Role, SavedView,
                        User)
from crm.models.survey import DmaAssessment, SurveyResponse
from crm.reference import section_for_sbi


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["crm", *args])
    return invoke


def _refused(result, *words):
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    return lines[0]


def _org(name):
    return db.session.scalars(sa.select(Organisation).filter_by(name=name)).one()


# --- create-org -------------------------------------------------------------------------------

def test_create_org_prints_id_and_stores_provinces(run):
    result = run("create-org", "Digitale Werkplaats Eemland", "--kind", "werkplaats",
                 "--province", "Utrecht", "--province", "noord-holland")
    assert result.exit_code == 0, result.output
    org = _org("Digitale Werkplaats Eemland")
    assert result.stdout.strip().splitlines()[-1] == str(org.id)
    assert org.kind == "werkplaats"
    assert [p.name for p in org.provinces] == ["Noord-Holland", "Utrecht"]
    assert org.active


def test_create_org_accepts_friesland_and_any_case(run):
    result = run("create-org", "Noordelijk Programma", "--kind", "PROGRAMMA",
                 "--province", "Friesland", "--province", "GRONINGEN")
    assert result.exit_code == 0, result.output
    assert [p.name for p in _org("Noordelijk Programma").provinces] == ["Fryslân", "Groningen"]


def test_create_org_without_province(run):
    result = run("create-org", "MKB-Nederland", "--kind", "branche")
    assert result.exit_code == 0, result.output
    assert _org("MKB-Nederland").provinces == []


def test_create_org_refuses_unknown_kind(run):
    _refused(run("create-org", "Iets", "--kind", "stichting"), "kind", "stichting")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_create_org_refuses_unknown_province(run):
    _refused(run("create-org", "Iets", "--kind", "edih", "--province", "Vlaanderen"),
             "province", "Vlaanderen")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_create_org_refuses_duplicate_name_in_any_case(run, make_org):
    make_org(name="Oost NL", kind="rom")
    _refused(run("create-org", "oost nl", "--kind", "rom"), "already exists")
    _refused(run("create-org", "   ", "--kind", "rom"), "empty")


def test_create_org_requires_kind(run):
    assert run("create-org", "Iets").exit_code != 0


# --- create-user ------------------------------------------------------------------------------

def test_create_user_generates_a_password_shown_once(run, make_org):
    org = make_org(name="SPOT035", kind="programma")
    result = run("create-user", "Fatima.El-Amrani@Spot035.Example.NL", "--org", "spot035",
                 "--role", "account_manager")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(sa.select(User)).one()
    assert user.email == "fatima.el-amrani@spot035.example.nl"
    assert user.organisation_id == org.id and user.role == "account_manager"
    assert user.name == "Fatima El Amrani"
    password_lines = [line for line in result.output.splitlines() if "password" in line.lower()]
    assert len(password_lines) == 1
    password = password_lines[0].rsplit(" ", 1)[-1]
    assert len(password) >= 16
    assert result.output.count(password) == 1
    assert check_password_hash(user.password_hash, password)


def test_create_user_with_password_and_name_does_not_print_it(run, make_org):
    make_org(name="KVK", kind="kvk")
    result = run("create-user", "beheer@kvk.example.nl", "--org", "KVK", "--role", "admin",
                 "--password", "lang-genoeg-wachtwoord", "--name", "Beheer KVK")
    assert result.exit_code == 0, result.output
    assert "lang-genoeg-wachtwoord" not in result.output
    user = db.session.scalars(sa.select(User)).one()
    assert user.name == "Beheer KVK" and user.role == Role.admin.value
    assert check_password_hash(user.password_hash, "lang-genoeg-wachtwoord")


def test_create_coordinator_with_provinces(run, make_org):
    make_org(name="Provincie Fryslân", kind="provincie", provinces=("Fryslân",))
    result = run("create-user", "coordinator@fryslan.example.nl", "--org", "Provincie Fryslân",
                 "--role", "coordinator", "--province", "friesland", "--province", "Drenthe")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(sa.select(User)).one()
    assert [p.name for p in user.provinces] == ["Drenthe", "Fryslân"]


@pytest.mark.parametrize("args, words", [
    (("--org", "Onbekend", "--role", "staff"), ("organisation", "Onbekend")),
    (("--org", "Oost NL", "--role", "director"), ("role", "director")),
    (("--org", "Oost NL", "--role", "coordinator", "--province", "Wallonië"),
     ("province", "Wallonië")),
    (("--org", "Oost NL", "--role", "coordinator"), ("province",)),
    (("--org", "Oost NL", "--role", "staff", "--province", "Utrecht"), ("coordinator",)),
    (("--org", "Oost NL", "--role", "staff", "--password", "kort123"), ("10",)),
])
def test_create_user_refuses_bad_input(run, make_org, args, words):
    make_org(name="Oost NL", kind="rom")
    _refused(run("create-user", "nieuw@oostnl.example.nl", *args), *words)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize("email", ["geen-adres", "twee@@example.nl", "spatie in@example.nl",
                                   "naam@localhost"])
def test_create_user_refuses_malformed_email(run, make_org, email):
    make_org(name="Oost NL", kind="rom")
    _refused(run("create-user", email, "--org", "Oost NL", "--role", "staff"), "e-mail")


def test_create_user_refuses_duplicate_email_in_another_case(run, make_user):
    existing = make_user(email="sanne@edih.example.nl")
    _refused(run("create-user", "Sanne@EDIH.example.NL", "--org", existing.organisation.name,
                 "--role", "staff"), "already exists")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


# --- seed-demo and demo-logins ----------------------------------------------------------------

def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_demo_builds_a_realistic_network(run, app):
    logins = Path(app.instance_path) / "demo-logins.txt"
    logins.unlink(missing_ok=True)
    result = run("seed-demo")
    assert result.exit_code == 0, result.output

    orgs = db.session.scalars(sa.select(Organisation)).all()
    assert len(orgs) >= 12
    assert len({o.kind for o in orgs}) >= 7
    assert len({p.name for o in orgs for p in o.provinces}) >= 4

    users = db.session.scalars(sa.select(User)).all()
    assert {u.role for u in users} == {r.value for r in Role}
    assert all(u.email == u.email.lower() and ".example.nl" in u.email for u in users)
    coordinators = [u for u in users if u.role == "coordinator"]
    assert coordinators and all(u.provinces for u in coordinators)

    companies = db.session.scalars(sa.select(Company)).all()
    assert len(companies) >= 300
    # All registered with KVK, except the deliberate near-duplicates (for the duplicates list).
    without_kvk = {c.name for c in companies if c.kvk is None}
    assert without_kvk == {name for name, *_ in DUPLICATES}
    registered = [c for c in companies if c.kvk is not None]
    assert len({c.kvk for c in registered}) == len(registered)
    for c in companies:
        assert c.kvk is None or (len(c.kvk) == 8 and c.kvk.isdigit())
        assert c.municipality_id is not None
        assert c.sbi_section == section_for_sbi(c.sbi_code) is not None
        assert c.sort_name and c.search_text.startswith(c.sort_name)
    municipalities = {m.id: m for m in db.session.scalars(sa.select(Municipality))}
    assert all(c.province_id == municipalities[c.municipality_id].province_id
               for c in companies)
    assert len({c.sbi_section for c in companies}) >= 8
    small = sum(1 for c in companies if c.size_class in ("zzp", "micro"))
    assert small > len(companies) / 2
    assert any(c.trade_names for c in companies)
    assert _count(ContactPerson) > 0

    # Every printed password works; the file holds the same table, private to its owner.
    for user in users:
        line = next(line for line in result.output.splitlines() if line.startswith(user.email))
        assert check_password_hash(user.password_hash, line.split()[-1])
    assert stat.S_IMODE(os.stat(logins).st_mode) == 0o600
    shown = run("demo-logins")
    assert shown.exit_code == 0
    assert all(u.email in shown.output for u in users)
    assert shown.output == logins.read_text(encoding="utf-8")


def test_seed_demo_if_empty_adds_nothing_the_second_time(run):
    assert run("seed-demo", "--if-empty", "--companies", "20").exit_code == 0
    counts = (_count(Organisation), _count(User), _count(Company))
    again = run("seed-demo", "--if-empty")
    assert again.exit_code == 0
    assert "no demo data" in again.output.lower()
    assert (_count(Organisation), _count(User), _count(Company)) == counts


def test_seed_demo_refuses_a_database_in_use(run, make_org):
    make_org()
    _refused(run("seed-demo"), "not empty")
    assert _count(Company) == 0


def _delete_business_rows():
    reference = {"provinces", "municipalities", "regions", "region_municipalities",
                 "sbi_sections", "alembic_version"}
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in reference:
            db.session.execute(table.delete())
    db.session.commit()


def test_seed_demo_is_deterministic_apart_from_passwords(run):
    assert run("seed-demo", "--companies", "30").exit_code == 0
    first = _demo_snapshot()
    _delete_business_rows()
    assert run("seed-demo", "--companies", "30").exit_code == 0
    assert _demo_snapshot() == first


def _demo_snapshot():
    """Companies, survey answers, DMA results and saved views (no ids, no moments)."""
    companies = db.session.execute(sa.select(Company.name, Company.kvk, Company.sbi_code)
                                   .order_by(Company.name)).all()
    answers = sorted(((r.company.name, tuple(r.answers().values()), r.comment or "")
                      for r in db.session.scalars(sa.select(SurveyResponse))), key=repr)
    results = sorted((r.company.name, r.assessed_on, tuple(r.scores().values()))
                     for r in db.session.scalars(sa.select(DmaAssessment)))
    views = db.session.execute(sa.select(SavedView.kind, SavedView.name, SavedView.query)
                               .order_by(SavedView.name)).all()
    assert companies and views
    return companies, answers, results, views


def test_demo_logins_without_seed_gives_a_hint(run, app):
    (Path(app.instance_path) / "demo-logins.txt").unlink(missing_ok=True)
    result = run("demo-logins")
    assert result.exit_code == 0
    assert "seed-demo" in result.output
