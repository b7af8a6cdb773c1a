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
