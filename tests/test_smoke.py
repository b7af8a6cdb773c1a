import sqlalchemy as sa

from crm.extensions import db
from crm.models import Municipality, Province


def test_reference_data_is_loaded_by_migrations(app):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Province)) == 12
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Municipality)) > 0


def test_builders(make_company, make_user):
    company = make_company(name="Bakkerij Één")
    user = make_user()
    assert company.sort_name == "bakkerij een"
    assert user.organisation.provinces[0].name == "Utrecht"
