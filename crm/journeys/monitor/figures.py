"""All figures of one monitor view, as one JSON-ready dict (the dashboard, API, CSV and PDF
all show this).

The reach statement (the largest: every intervention of the period in scope) runs on a second
connection, in a thread, while this one computes the referrals, stalled referrals and impact:
the database works on two cores, and the view takes about as long as its largest statement
instead of the sum of all. That is only done when the caller's transaction has written nothing
(:func:`crm.database.sees_only_committed`): the other connection sees committed data only. In a
transaction that wrote, and for an in-memory SQLite database (one connection), it all runs on
the caller's connection, one statement after the other. Either way each statement reads the
data as committed when it starts (PostgreSQL's read committed; SQLite reads from one snapshot
per connection), so the figures are the same.
"""
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.orm import Session

from ...database import sees_only_committed

from .funnel import referrals
from .impact import dma, survey
from .paths import stalled
from .reach import reach
from .scope import MonitorScope


def dashboard_figures(session, scope: MonitorScope, viewer) -> dict:
    """``{"scope", "contacts", "companies_reached", "reach", "referrals", "funnel",
    "by_sender", "by_receiver", "flows", "journeys", "impact"}``."""
    if _may_share(session):
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_reach_on_own_connection, session.get_bind(), scope)
            ref, stalled_, impact = _the_rest(session, scope, viewer)
            r = pending.result()
    else:
        ref, stalled_, impact = _the_rest(session, scope, viewer)
        r = reach(session, scope)
    return {
        "scope": {"label": scope.label, "from": scope.date_from.isoformat(),
                  "to": scope.date_to.isoformat(),
                  "cross_organisation": scope.cross_organisation,
                  "organisation_id": scope.organisation_id,
                  "filters": {k: v for k, v in scope.params().items()
                              if k not in ("from", "to", "organisation_id")}},
        "contacts": r["contacts"],
        "companies_reached": r["companies_reached"],
        "reach": {k: r[k] for k in ("archetype", "sector", "size_class", "maturity",
                                    "municipality")},
        "referrals": ref["states"],
        "funnel": ref["funnel"],
        "by_sender": ref["by_sender"],
        "by_receiver": ref["by_receiver"],
        "flows": ref["flows"],
        "journeys": {"organisations": r["organisations"],
                     "paths": r["paths"],
                     "stalled": stalled_},
        "impact": impact,
    }


#: Whether the reach statement may run on a second connection (tests switch it off to compare).
SHARE_WORK = True


def _may_share(session) -> bool:
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and bind.url.database in (None, "", ":memory:"):
        return False
    return SHARE_WORK and sees_only_committed(session)


def _the_rest(session, scope: MonitorScope, viewer):
    """Everything but reach, on ``session``: referrals, the stalled list and impact."""
    _sort_memory(session)
    return (referrals(session, scope), stalled(session, scope, viewer),
            {"survey": survey(session, scope), "dma": dma(session, scope)})


def _reach_on_own_connection(engine, scope: MonitorScope) -> dict:
    with Session(engine) as own:
        _sort_memory(own)
        result = reach(own, scope)
        own.commit()  # read only: COMMIT keeps PostgreSQL's prepared statements
        return result


#: Memory for the sorts and hash tables of the monitor's statements on PostgreSQL (the default
#: 4 MB spills the per-company rows of a large region to disk).
WORK_MEM = "64MB"


def _sort_memory(session) -> None:
    """On PostgreSQL, for the rest of this transaction (``set_config(…, true)`` is ``SET
    LOCAL``): :data:`WORK_MEM`, and no JIT compilation. The reach statement's estimated cost is
    just above the JIT threshold; compiling its expressions took 110–130 ms and won back less
    than that (reach measured ~860 ms without, ~940 ms with)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT set_config('work_mem', :memory, true), "
                             "set_config('jit', 'off', true)"), {"memory": WORK_MEM})
