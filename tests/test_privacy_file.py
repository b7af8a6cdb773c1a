"""Erasure leaves no trace on disk: not in the SQLite file (freed pages included) nor in its
write-ahead log. On PostgreSQL the tables involved are vacuumed after the erasure."""
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from crm.extensions import db
from crm.journeys.companies import add_contact, delete_contact, update_contact
from crm.journeys.interventions import log_intervention
from crm.journeys.privacy import erase, find_person, purge_freed_space
from crm.models import IntakeRequest, OutgoingMail
from tests.conftest import make_test_app


@pytest.fixture
def own_database(app, tmp_path):
    """SQLite: a database file of this test's own. VACUUM and truncating the write-ahead log
    under the suite's shared file, which other app instances and gunicorn workers of later
    tests open as well, is not what this test is about."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        yield
        return
    other = make_test_app(f"sqlite:///{tmp_path / 'erasure.sqlite'}", tmp_path)
    with other.app_context():
        upgrade()
        yield
        db.session.remove()
        db.engine.dispose()


def _files(engine) -> list[Path]:
    database = Path(engine.url.database)
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def _on_disk(engine, *needles: bytes) -> list[str]:
    found = []
    for path in _files(engine):
        data = path.read_bytes()
        found += [f"{needle!r} in {path.name}" for needle in needles if needle in data]
    return found


def test_erasure_leaves_no_bytes_behind(own_database, make_user, make_company):
    tag = uuid.uuid4().hex[:8]
    name, email = f"Zeldzame Naam{tag}", f"zeldzaam.{tag}@voorbeeld.nl"
    user = make_user()
    company = make_company()
    contact = add_contact(company, {"name": name, "email": email, "phone": "0612345678"},
                          by=user)
    db.session.commit()
    # Leave older versions of the row behind in freed space: edit it a few times, and delete
    # a second record of the same person (deleted content is what SQLite normally keeps).
    for role in ("eigenaar", "directeur", "IT"):
        update_contact(contact, {"name": name, "email": email, "phone": "0612345678",
                                 "role": role}, by=user)
        db.session.commit()
    twin = add_contact(company, {"name": name, "email": email}, by=user)
    db.session.commit()
    delete_contact(twin, by=user)
    log_intervention(company, {"kind": "intake", "occurred_on": "2026-03-02",
                               "summary": f"Gesprek met {name}"}, by=user)
    db.session.add(IntakeRequest(organisation_id=user.organisation_id, kvk=company.kvk,
                                 company_name=company.name, contact_name=name, email=email,
                                 question="Webshop?", consent=True))
    db.session.add(OutgoingMail(to_address=email, subject="Hallo", body=f"Beste {name}"))
    db.session.commit()
    needles = (name.encode(), email.encode(), name.encode("utf-16-le"))
    engine = db.engine
    if engine.dialect.name == "sqlite":
        db.session.execute(sa.text("PRAGMA wal_checkpoint(PASSIVE)"))
        assert _on_disk(engine, *needles[:2]), "the test data should be on disk before"

    erase(db.session, find_person(db.session, email), by=None)
    db.session.commit()
    db.session.remove()
    how = purge_freed_space(engine)

    if engine.dialect.name == "sqlite":
        assert how.startswith("sqlite")
        assert _on_disk(engine, *needles) == []
        assert _on_disk(engine, tag.encode()) == []
    else:
        assert how == "postgresql: vacuum"
        vacuumed = db.session.scalar(sa.text(
            "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname = 'contact_persons'"))
        assert vacuumed
        rows = db.session.execute(sa.text(
            "SELECT count(*) FROM contact_persons WHERE name LIKE :n"), {"n": f"%{tag}%"})
        assert rows.scalar() == 0
