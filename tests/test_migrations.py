"""The migrations build exactly the schema the models describe, on every backend."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm.database import managed_outside_models
from crm.extensions import db
from crm.models import Base


def _include(obj, name, type_, reflected, compare_to):
    return not managed_outside_models(name, type_)


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": _include,
            "compare_server_default": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_rules_live_in_the_database(app, make_company):
    """CHECK constraints refuse what the forms would refuse, even for raw SQL."""
    import pytest
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    company = make_company()
    for column, value in [("kvk", "1234567"), ("kvk", "1234567a"), ("size_class", "reus"),
                          ("digital_maturity", "super"), ("employees", -1)]:
        with pytest.raises(IntegrityError):
            db.session.execute(sa.text(f"UPDATE companies SET {column} = :v WHERE id = :id"),
                               {"v": value, "id": company.id})
            db.session.flush()
        db.session.rollback()


def test_a_companys_province_is_its_municipalitys(app, make_company):
    """One foreign key on (municipality, province): another province, or a province without
    a municipality, is refused by the database itself."""
    import pytest
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    from crm.models import Municipality
    company = make_company(municipality="Utrecht")
    utrecht = db.session.scalars(sa.select(Municipality).filter_by(name="Utrecht")).one()
    assert company.province_id == utrecht.province_id
    for values in [{"m": utrecht.id, "p": utrecht.province_id % 12 + 1},
                   {"m": None, "p": utrecht.province_id}]:
        with pytest.raises(IntegrityError):
            db.session.execute(sa.text("UPDATE companies SET municipality_id = :m, "
                                       "province_id = :p WHERE id = :id"),
                               {**values, "id": company.id})
            db.session.flush()
        db.session.rollback()
    db.session.execute(sa.text("UPDATE companies SET municipality_id = NULL, province_id = NULL "
                               "WHERE id = :id"), {"id": company.id})
    db.session.rollback()


def test_upgrading_a_database_with_data_keeps_it(tmp_path):
    """Later migrations run on a populated SQLite database (tables rebuilt under foreign keys)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from tests.conftest import make_test_app
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = make_test_app(url, tmp_path)
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organisations (id, name, kind, active, created_at) "
                                 "VALUES (1, 'A', 'edih', 1, CURRENT_TIMESTAMP), "
                                 "(2, 'B', 'rom', 1, CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO companies (id, kvk, name, trade_names, sort_name, search_text, "
                "non_mailing, digital_maturity, created_at, version) VALUES (1, '01234567', "
                "'X', '', 'x', 'x', 0, 'onbekend', CURRENT_TIMESTAMP, 1)"))
            conn.execute(sa.text(
                "INSERT INTO referrals (id, company_id, from_organisation_id, "
                "to_organisation_id, question, context, entrepreneur_agrees, status, "
                "accept_due_on, created_at, version) VALUES (1, 1, 1, 2, 'q', '', 1, "
                "'requested', '2026-01-01', CURRENT_TIMESTAMP, 1)"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM referrals")).scalar() == 1
            assert conn.execute(sa.text(
                "SELECT intake_point FROM organisations WHERE id = 1")).scalar() == 0
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def test_search_text_loses_the_kvk_number_on_upgrade(tmp_path):
    """Migration 0022: existing rows' search text drops the KVK number it ended in, and the
    FTS5 table follows (substring search on the number finds nothing any more); a province
    that is not the municipality's becomes the municipality's."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_test_app
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = make_test_app(url, tmp_path)
    with app.app_context():
        upgrade(revision="0021")
        with db.engine.begin() as conn:
            place, province = conn.execute(sa.text(
                "SELECT id, province_id FROM municipalities WHERE name = 'Utrecht'")).one()
            other = province % 12 + 1
            # 1: another province than its municipality's; 2: a province without a place.
            for id_, kvk, text, m, p in [(1, "01234567", "bakkerij de ruyter 01234567", place,
                                          other),
                                         (2, None, "zonder nummer", None, other),
                                         (3, "76543210", "al zonder nummer", place, province)]:
                conn.execute(sa.text(
                    "INSERT INTO companies (id, kvk, name, trade_names, sort_name, search_text, "
                    "non_mailing, digital_maturity, created_at, version, municipality_id, "
                    "province_id) VALUES (:id, :kvk, 'X', '', 'x', :text, 0, 'onbekend', "
                    "CURRENT_TIMESTAMP, 1, :m, :p)"),
                    {"id": id_, "kvk": kvk, "text": text, "m": m, "p": p})
        upgrade()
        with db.engine.connect() as conn:
            texts = dict(conn.execute(sa.text("SELECT id, search_text FROM companies")).all())
            assert texts == {1: "bakkerij de ruyter", 2: "zonder nummer", 3: "al zonder nummer"}
            provinces = dict(conn.execute(sa.text("SELECT id, province_id FROM companies")).all())
            assert provinces == {1: province, 2: None, 3: province}  # the municipality's
            fts = "SELECT rowid FROM company_fts WHERE company_fts MATCH :q"
            assert conn.execute(sa.text(fts), {"q": '"234567"'}).all() == []
            assert conn.execute(sa.text(fts), {"q": '"ruyter"'}).scalars().all() == [1]
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("companies")}
            assert not indexes & {"ix_companies_sbi_section", "ix_companies_size_class"}
        downgrade(revision="0021")
        with db.engine.connect() as conn:
            texts = dict(conn.execute(sa.text("SELECT id, search_text FROM companies")).all())
            assert texts[1] == "bakkerij de ruyter 01234567"
        db.session.remove()
        db.engine.dispose()


def test_postgresql_has_the_covering_indexes_of_an_organisations_monitor(app):
    """Migration 0025: on PostgreSQL an organisation's contacts carry their company and kind in
    ``ix_interventions_organisation_occurred``, and the companies by id carry the monitor's
    breakdowns (``ix_pg_companies_monitor_id``), so its figures read no table rows."""
    import pytest
    import sqlalchemy as sa
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's INCLUDE indexes")
    definitions = dict(db.session.execute(sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
        "('ix_interventions_organisation_occurred', 'ix_pg_companies_monitor_id')")).all())
    assert definitions["ix_interventions_organisation_occurred"].endswith(
        "(organisation_id, occurred_on) INCLUDE (company_id, kind_code)")
    assert definitions["ix_pg_companies_monitor_id"].endswith(
        "(id) INCLUDE (province_id, sbi_section, size_class, digital_maturity, "
        "municipality_id, phase)")
