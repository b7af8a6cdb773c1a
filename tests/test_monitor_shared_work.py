"""The dashboard's reach statement runs on a second connection, alongside the other figures,
only for a place (not for an organisation's own figures) and only when the caller's
transaction has written nothing: the figures are the same either way, and uncommitted work of
the caller is never missed."""
import threading
from datetime import date

import pytest

from crm.extensions import db
from crm.journeys.monitor import dashboard_figures, figures as monitor_figures
from tests import monitor_data
from tests.test_monitor import data, fast_hashing, scope  # noqa: F401 - fixtures


@pytest.fixture
def reach_threads(monkeypatch):
    """The threads the reach statement ran in on its own connection."""
    seen = []
    real = monitor_figures._reach_on_own_connection

    def spy(engine, scope_, queue):
        seen.append(threading.get_ident())
        return real(engine, scope_, queue)

    monkeypatch.setattr(monitor_figures, "_reach_on_own_connection", spy)
    return seen


def test_shared_and_one_after_the_other_give_the_same_figures(data, reach_threads,
                                                               monkeypatch):
    for user in (data.users.coordinator, data.users.staff_a):
        shared = dashboard_figures(db.session, scope(user), user)
        db.session.commit()
        monkeypatch.setattr(monitor_figures, "SHARE_WORK", False)
        alone = dashboard_figures(db.session, scope(user), user)
        monkeypatch.setattr(monitor_figures, "SHARE_WORK", True)
        assert shared == alone
        assert shared["contacts"] > 0
    # The reach statement ran in another thread for the coordinator's region only, never in
    # this one.
    assert len(reach_threads) == 1
    assert threading.get_ident() not in reach_threads


def test_an_organisations_own_figures_use_the_callers_connection_alone(data, reach_threads):
    user = data.users.staff_a
    own = scope(user)
    assert own.organisation_id == data.orgs.a.id and own.province_ids is None
    figures = dashboard_figures(db.session, own, user)
    assert figures["contacts"] > 0 and figures["scope"]["organisation_id"] == data.orgs.a.id
    assert reach_threads == []
    # The same organisation as a filter on the coordinator's region is a place: shared.
    coordinator = data.users.coordinator
    dashboard_figures(db.session, scope(coordinator, partner=str(data.orgs.a.id)), coordinator)
    assert len(reach_threads) == 1


def test_a_transaction_that_wrote_counts_its_own_uncommitted_contacts(data, reach_threads):
    user = data.users.coordinator
    before = dashboard_figures(db.session, scope(user), user)
    db.session.commit()
    monitor_data.intervention(data.companies[0], data.orgs.a, "workshops", date(2026, 6, 1))
    db.session.flush()
    after = dashboard_figures(db.session, scope(user), user)
    assert after["contacts"] == before["contacts"] + 1
    assert len(reach_threads) == 1  # only the first view was shared
    db.session.rollback()


def test_the_other_statements_are_each_computed_once_by_whichever_connection_is_free(
        data, monkeypatch):
    done = []
    real = monitor_figures._shared_work

    def spied(scope_):
        queue = real(scope_)
        for n, (name, compute) in enumerate(queue):
            queue[n] = (name, lambda s, name=name, compute=compute:
                        done.append((name, threading.get_ident())) or compute(s))
        return queue

    monkeypatch.setattr(monitor_figures, "_shared_work", spied)
    user = data.users.coordinator
    figures = dashboard_figures(db.session, scope(user), user)
    assert sorted(name for name, _thread in done) == ["dma", "kind_contacts", "referrals",
                                                      "survey"]
    assert figures["funnel"]["sent"] > 0 and figures["reach"]["archetype"]
