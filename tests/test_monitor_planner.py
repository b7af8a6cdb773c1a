"""The monitor's PostgreSQL planner settings hold for its own transaction only, on both of
its connections: a plan for the actual period every time (no generic plan of a prepared
statement, which made a dashboard over all data twice as slow after a few of 12 months), and
nothing carried over to the next request on the same pooled connection."""
import threading

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.monitor import dashboard_figures, figures as monitor_figures
from tests.test_monitor import data, fast_hashing, scope  # noqa: F401 - fixtures

SETTINGS = ("plan_cache_mode", "enable_hashjoin", "jit", "max_parallel_workers_per_gather",
            "work_mem")
MONITOR = {"plan_cache_mode": "force_custom_plan", "enable_hashjoin": "off", "jit": "off",
           "max_parallel_workers_per_gather": "0", "work_mem": "64MB"}


def _settings(connection) -> dict:
    return {name: connection.execute(sa.text(f"SHOW {name}")).scalar() for name in SETTINGS}


@pytest.fixture
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("planner settings are PostgreSQL's")


def test_both_connections_plan_for_the_actual_values_and_the_next_request_does_not(
        data, postgresql_only, monkeypatch):
    seen = {}
    real = monitor_figures._work_through

    def spy(queue, session, out):
        seen[threading.get_ident()] = _settings(session)
        return real(queue, session, out)

    monkeypatch.setattr(monitor_figures, "_work_through", spy)
    before = _settings(db.session)
    assert before["plan_cache_mode"] == "auto"
    db.session.commit()  # (a text statement counts as a possible write: no second connection)
    user = data.users.coordinator
    dashboard_figures(db.session, scope(user), user)
    assert len(seen) == 2  # the request's connection and the second one
    assert all(settings == MONITOR for settings in seen.values())
    db.session.commit()
    assert _settings(db.session) == before
