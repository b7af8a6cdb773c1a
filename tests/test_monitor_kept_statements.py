"""The monitor's statements are built once per scope and kind of database and then reused: a
repeated view builds none and still shows everything written since; another scope, another
kind of database or a statement pushed out of the bounded store is built anew."""
import importlib
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest

from crm.extensions import db
from crm.journeys.monitor import dashboard_figures, funnel, impact, statements
from tests import monitor_data
from tests.test_monitor import data, fast_hashing, scope  # noqa: F401 - fixtures

# (the package's ``reach`` is the function of that name)
reach = importlib.import_module("crm.journeys.monitor.reach")
BUILDERS = [(reach, "_grouped_statement"), (reach, "_branches_statement"),
            (reach, "_kinds_statement"), (funnel, "_referrals_statement"),
            (impact, "_survey_statement"), (impact, "_invitations_statement"),
            (impact, "_dma_statement")]


@pytest.fixture
def built(monkeypatch):
    """The builders' names, once per statement built (none is kept at the start)."""
    statements.forget_all()
    seen = []
    for module, name in BUILDERS:
        real = getattr(module, name)

        def spy(session, scope_, real=real, name=name):
            seen.append(name)
            return real(session, scope_)
        monkeypatch.setattr(module, name, spy)
    yield seen
    statements.forget_all()


@pytest.mark.parametrize("who", ["staff_a", "coordinator"])
def test_a_repeated_view_builds_nothing_and_shows_what_was_written_since(data, built, who):
    user = getattr(data.users, who)
    first = dashboard_figures(db.session, scope(user), user)
    db.session.commit()
    assert len(built) == 6  # reach, contacts per kind, referrals, survey, invitations, DMA
    assert dashboard_figures(db.session, scope(user), user) == first
    db.session.commit()
    assert len(built) == 6
    monitor_data.intervention(data.companies[0], data.orgs.a, "workshops", date(2026, 6, 1))
    db.session.commit()
    after = dashboard_figures(db.session, scope(user), user)
    db.session.commit()
    assert after["contacts"] == first["contacts"] + 1
    assert len(built) == 6
    # Another period is another statement.
    dashboard_figures(db.session, scope(user, **{"from": "2026-02-01"}), user)
    assert len(built) == 12


class _Session:
    def __init__(self, dialect):
        self.bind = SimpleNamespace(dialect=SimpleNamespace(name=dialect))

    def get_bind(self):
        return self.bind


def _build(session, scope_):
    _build.calls += 1
    return ("statement", session.get_bind().dialect.name, scope_.date_from)


def test_statements_are_kept_per_kind_of_database_and_scope(data):
    statements.forget_all()
    _build.calls = 0
    one = scope(data.users.staff_a)
    sqlite, postgresql = _Session("sqlite"), _Session("postgresql")
    assert statements.kept(sqlite, one, _build) == ("statement", "sqlite", one.date_from)
    assert statements.kept(sqlite, one, _build) == ("statement", "sqlite", one.date_from)
    assert _build.calls == 1
    assert statements.kept(postgresql, one, _build)[1] == "postgresql"
    assert _build.calls == 2
    # An equal scope made anew is the same scope; another "today" (overdue) is not.
    assert statements.kept(sqlite, scope(data.users.staff_a), _build)
    assert _build.calls == 2
    statements.kept(sqlite, replace(one, today=date(2026, 11, 24)), _build)
    assert _build.calls == 3
    statements.forget_all()


def test_only_the_last_statements_are_kept(data, monkeypatch):
    statements.forget_all()
    monkeypatch.setattr(statements, "KEPT", 2)
    _build.calls = 0
    sqlite = _Session("sqlite")
    first = scope(data.users.staff_a)
    scopes = [first, replace(first, date_from=date(2026, 2, 1)),
              replace(first, date_from=date(2026, 3, 1))]
    for scope_ in scopes:
        statements.kept(sqlite, scope_, _build)
    assert _build.calls == 3
    statements.kept(sqlite, scopes[2], _build)  # still kept
    assert _build.calls == 3
    statements.kept(sqlite, first, _build)  # pushed out by the third: built again
    assert _build.calls == 4
    statements.forget_all()
