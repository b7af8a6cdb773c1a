"""Test fixtures: one migrated database per backend, emptied between tests, and builders.

The suite runs on SQLite always, and on PostgreSQL too when ``CRM_TEST_DATABASE_URL`` points at
a server: it creates its own uniquely named database there and drops it afterwards. When that
variable is set and the server cannot be reached, the suite fails: it never skips PostgreSQL.
"""
import functools
import itertools
import time
import os
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from crm import create_app
from crm.extensions import db
from crm.models import Company, ContactPerson, Organisation, Province, User
from crm.reference import normalise

PASSWORD = "Geheim-wachtwoord-42"

#: Tables filled by migrations with reference data; never emptied between tests.
REFERENCE_TABLES = {"alembic_version", "provinces", "municipalities", "regions",
                    "region_municipalities", "sbi_sections"}

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("CRM_TEST_DATABASE_URL") else [])


def _postgres_database():
    """Create a uniquely named database on the CRM_TEST_DATABASE_URL server; yield its URL."""
    server = sa.make_url(os.environ["CRM_TEST_DATABASE_URL"])
    name = f"crm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'crm.sqlite'}"
    else:
        yield from _postgres_database()


def make_test_app(database_url, instance_path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        **overrides,
    }
    app = create_app(config)
    app.instance_path = str(instance_path)
    return app


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def _empty_business_tables():
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    # A browser test's page may still have a request in flight on the live server (a fragment
    # the page loads after itself); the truncate can then deadlock with it: try again.
    for attempt in range(10):
        try:
            if db.engine.dialect.name == "postgresql":
                names = ", ".join(t.name for t in tables)
                db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    db.session.execute(table.delete())
            db.session.commit()
            return
        except sa.exc.OperationalError:
            db.session.rollback()
            if attempt == 9:
                raise
            time.sleep(0.2)


@pytest.fixture(autouse=True)
def _database(request):
    """Each test that uses the app starts from reference data only."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        yield
        db.session.rollback()
        _empty_business_tables()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


_counter = itertools.count(1)


def province(name: str) -> Province:
    return db.session.execute(sa.select(Province).filter_by(name=name)).scalar_one()


@pytest.fixture
def make_org(app):
    def make(name=None, kind="edih", provinces=("Utrecht",), **overrides):
        org = Organisation(name=name or f"Organisatie {next(_counter)}", kind=kind, **overrides)
        org.provinces = [province(p) for p in provinces]
        db.session.add(org)
        db.session.commit()
        return org
    return make


@functools.cache
def password_hash(password: str) -> str:
    """Hashing is slow by design (scrypt); the suite hashes each password once."""
    from werkzeug.security import generate_password_hash
    return generate_password_hash(password)


@pytest.fixture
def make_user(make_org):
    def make(org=None, role="account_manager", email=None, password=PASSWORD, provinces=(),
             **overrides):
        n = next(_counter)
        user = User(email=(email or f"gebruiker{n}@example.nl").lower(),
                    name=overrides.pop("name", f"Gebruiker {n}"),
                    password_hash=password_hash(password),
                    organisation=org or make_org(), role=role, **overrides)
        user.provinces = [province(p) for p in provinces]
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def make_company(app):
    def make(org=None, **overrides):
        from crm.reference import section_for_sbi
        from crm.models import Municipality, size_class_for
        n = next(_counter)
        name = overrides.pop("name", f"Bedrijf {n} B.V.")
        place = overrides.pop("municipality", "Utrecht")
        municipality = db.session.execute(
            sa.select(Municipality).filter_by(name=place)).scalar_one() if place else None
        sbi = overrides.pop("sbi_code", "6201")
        employees = overrides.pop("employees", 5)
        values = dict(
            kvk=overrides.pop("kvk", f"{10000000 + n:08d}"), name=name,
            sort_name=normalise(name), sbi_code=sbi, sbi_section=section_for_sbi(sbi),
            employees=employees, size_class=size_class_for(employees),
            municipality=municipality, province_id=municipality.province_id if municipality else None,
        )
        values.update(overrides)
        values.setdefault("search_text",
                          normalise(" ".join([name, values.get("trade_names") or ""])))
        company = Company(**values)
        db.session.add(company)
        db.session.commit()
        return company
    return make


@pytest.fixture
def make_contact(app):
    def make(company, org, **overrides):
        values = dict(name=f"Contact {next(_counter)}", role="eigenaar",
                      email="contact@example.nl", phone="030 123 45 67")
        values.update(overrides)
        contact = ContactPerson(company=company, organisation=org, **values)
        db.session.add(contact)
        db.session.commit()
        return contact
    return make


def login(client, user, password=PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(client):
    def do(user):
        login(client, user)
        return client
    return do
