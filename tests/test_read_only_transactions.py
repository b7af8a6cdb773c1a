"""A request that only read ends its transaction with COMMIT (so psycopg keeps its prepared
statements on PostgreSQL); anything that wrote, holds unsaved changes or failed still rolls
back and leaves nothing behind."""
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Organisation
from tests.conftest import PASSWORD


@pytest.fixture
def endings(app):
    """The ways transactions ended while the test ran: 'commit' or 'rollback'."""
    seen = []
    listeners = [("commit", lambda conn: seen.append("commit")),
                 ("rollback", lambda conn: seen.append("rollback"))]
    for name, listener in listeners:
        sa.event.listen(db.engine, name, listener)
    yield seen
    for name, listener in listeners:
        sa.event.remove(db.engine, name, listener)


def _organisations(name):
    with db.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(Organisation)
                           .where(Organisation.name == name))


def test_reading_ends_with_commit(app, endings):
    with app.app_context():
        db.session.scalars(sa.select(Organisation)).all()
    assert endings == ["commit"]


def test_a_written_row_is_rolled_back_when_nobody_committed(app, endings):
    with app.app_context():
        db.session.execute(sa.insert(Organisation).values(name="Nooit bewaard", kind="overig"))
    assert endings == ["rollback"]
    assert _organisations("Nooit bewaard") == 0


def test_a_flushed_object_is_rolled_back(app, endings):
    with app.app_context():
        db.session.add(Organisation(name="Half bewaard", kind="overig"))
        db.session.flush()
    assert endings == ["rollback"]
    assert _organisations("Half bewaard") == 0


def test_unflushed_changes_are_not_committed(app, endings):
    with app.app_context():
        db.session.scalars(sa.select(Organisation)).all()
        db.session.add(Organisation(name="Niet geflusht", kind="overig"))
    assert "commit" not in endings
    assert _organisations("Niet geflusht") == 0


def test_a_query_with_common_table_expressions_or_set_local_still_only_reads(app, endings):
    counted = sa.select(Organisation.id).cte("counted")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("SET LOCAL work_mem = '8MB'"))
        db.session.execute(sa.select(sa.func.count()).select_from(counted)).scalar()
    assert endings == ["commit"]


def test_a_data_changing_common_table_expression_is_a_write(app, endings):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no INSERT … RETURNING inside WITH")
    added = (sa.insert(Organisation).values(name="Via CTE", kind="overig")
             .returning(Organisation.id).cte("added"))
    with app.app_context():
        db.session.execute(sa.select(added.c.id)).all()
    assert endings == ["rollback"]
    assert _organisations("Via CTE") == 0


def test_a_failure_rolls_back_even_a_read(app, endings):
    with pytest.raises(RuntimeError):
        with app.app_context():
            db.session.scalars(sa.select(Organisation)).all()
            raise RuntimeError("boom")
    assert endings == ["rollback"]


@pytest.fixture
def own_app(database_url, tmp_path):
    """A second app on the same database: its requests push their own app context (the
    test's context belongs to the other app), so they end as they do in production."""
    from tests.conftest import make_test_app
    other = make_test_app(database_url, tmp_path)
    yield other
    with other.app_context():
        db.engine.dispose()


def _page_requests(own_app, user, company, n):
    """Sign in, then ask for the company page ``n`` times; yield how each request ended and
    the database connections the page requests used."""
    with own_app.app_context():
        engine = db.engine
    seen, used = [], []
    client = own_app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}
                       ).status_code == 302
    listeners = [("commit", lambda conn: seen.append("commit")),
                 ("rollback", lambda conn: seen.append("rollback")),
                 ("before_cursor_execute",
                  lambda conn, *args: used.append(conn.connection.dbapi_connection))]
    for name, listener in listeners:
        sa.event.listen(engine, name, listener)
    try:
        for _ in range(n):
            assert client.get(f"/companies/{company.id}").status_code == 200
    finally:
        for name, listener in listeners:
            sa.event.remove(engine, name, listener)
    return seen, used


def test_a_page_that_only_reads_commits(own_app, make_user, make_company):
    user, company = make_user(role="staff"), make_company()
    db.session.commit()
    seen, _ = _page_requests(own_app, user, company, 3)
    assert seen == ["commit"] * 3


def test_postgresql_keeps_the_pages_prepared_statements(own_app, make_user, make_company):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    user, company = make_user(role="staff"), make_company()
    db.session.commit()
    # psycopg prepares a statement on its fifth execution on a connection
    _, used = _page_requests(own_app, user, company, 6)
    connection = used[-1]
    assert connection.prepare_threshold == 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        prepared = cursor.fetchone()[0]
    connection.rollback()
    assert prepared >= 5, "the page's statements are planned anew on every request"
