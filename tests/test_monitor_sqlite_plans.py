"""On SQLite the monitor reads the contacts of a place's companies from
``ix_interventions_company_monitor`` alone (no table row per contact), whatever the planner's
statistics say; an organisation's own work starts from that organisation's contacts.

Two ways this went wrong, each making the 12-month dashboard of the benchmark region two to
five times slower: naming the generated ``kind_code`` column (SQLite 3.40 then counts every
column of the table as used, so no index covers the statement), and statistics of a database
with few organisations (after ``ANALYZE``), with which the planner skipped through
``ix_interventions_organisation_occurred`` and looked up each contact's company.
"""
import importlib

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.monitor import dashboard_figures
from tests.test_monitor import data, fast_hashing, scope  # noqa: F401 - fixtures

#: The module (``crm.journeys.monitor.reach`` is also the name of its function there).
monitor_reach = importlib.import_module("crm.journeys.monitor.reach")
COVERED = "COVERING INDEX ix_interventions_company_monitor"


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner")


def _plans_of_contact_statements(run) -> list[str]:
    """The query plan of each statement ``run`` executes that reads the interventions."""
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if " interventions" in statement and statement.lstrip().upper().startswith(
                ("SELECT", "WITH")):
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    connection = db.session.connection()
    return [" | ".join(row[3] for row in connection.exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement, parameters).all()) for statement, parameters in seen]


@pytest.fixture
def skewed_statistics(sqlite_only):
    """Statistics as ``ANALYZE`` wrote them for the benchmark (1,000,000 contacts of 12
    organisations): a company has about 11 contacts, an organisation 83,000. Removed again
    afterwards (the test database serves the next tests)."""
    connection = db.session.connection()
    connection.exec_driver_sql("ANALYZE")
    connection.exec_driver_sql(
        "DELETE FROM sqlite_stat1 WHERE tbl IN ('interventions', 'companies')")
    stats = {
        ("interventions", "ix_interventions_company_monitor"): "1000000 11 1 1 1 1",
        ("interventions", "ix_interventions_company_occurred"): "1000000 11 1",
        ("interventions", "ix_interventions_organisation_occurred"): "1000000 83334 60",
        ("interventions", "ix_interventions_organisation_company"): "1000000 83334 4 1",
        ("interventions", "ix_interventions_author"): "1000000 83334 1",
        ("interventions", "ix_interventions_user_id"): "1000000 83334",
        ("interventions", "ix_interventions_event_id"): "1000000 1000000",
        ("companies", "ix_companies_monitor"): "1000000 83334 1 1 1 1 1 1",
        ("companies", "ix_companies_municipality_sort"): "1000000 2924 1",
        ("companies", "ix_companies_sort_name"): "1000000 3",
        ("companies", "ix_companies_province_sort"): "1000000 83334 2",
        ("companies", "sqlite_autoindex_companies_1"): "1000000 1",
    }
    for (table, index), stat in stats.items():
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)",
                                   (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # reload the statistics
    db.session.commit()
    yield
    db.session.rollback()
    connection = db.session.connection()
    connection.exec_driver_sql("DELETE FROM sqlite_stat1")
    connection.exec_driver_sql("ANALYZE sqlite_schema")
    db.session.commit()


def _assert_covered(plans: list[str]) -> None:
    assert plans
    for plan in plans:
        assert COVERED in plan, plan
        assert "ix_interventions_organisation_occurred" not in plan, plan


def test_the_dashboard_reads_contacts_from_the_covering_index(data, sqlite_only):
    user = data.users.coordinator
    view = scope(user)
    plans = _plans_of_contact_statements(lambda: dashboard_figures(db.session, view, user))
    # The reach statement and the contacts per kind; the stalled list reads the
    # interventions in a NOT EXISTS (a company's contacts after a day: either index covers it).
    assert sum(COVERED in plan for plan in plans) >= 2


@pytest.mark.parametrize("params", [{}, {"archetype": "scans"}])
def test_statistics_of_few_organisations_do_not_change_the_plan(data, skewed_statistics,
                                                                params):
    user = data.users.coordinator
    view = scope(user, **params)
    _assert_covered(_plans_of_contact_statements(
        lambda: monitor_reach.count_reach(db.session, view)))
    _assert_covered(_plans_of_contact_statements(
        lambda: monitor_reach.contacts_per_kind(db.session, view)))


def test_an_organisations_own_work_starts_from_its_contacts(data, skewed_statistics):
    """Not from every company's entries of the covering index (``ANY(company_id)``: a
    national network has two million)."""
    user = data.users.coordinator
    view = scope(user, organisation_id=str(user.organisation_id))
    plans = _plans_of_contact_statements(
        lambda: monitor_reach.contacts_per_kind(db.session, view))
    assert plans
    for plan in plans:
        assert "SEARCH interventions USING INDEX ix_interventions_organisation" in plan, plan
        assert "ANY(company_id)" not in plan, plan


def test_the_index_hint_is_only_written_for_sqlite(data):
    from sqlalchemy.dialects import postgresql, sqlite
    user = data.users.coordinator
    statement = monitor_reach.per_company(db.session, scope(user))
    assert "INDEXED BY ix_interventions_company_monitor" in str(
        statement.compile(dialect=sqlite.dialect()))
    assert "INDEXED BY" not in str(statement.compile(dialect=postgresql.dialect()))
