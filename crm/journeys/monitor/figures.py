"""All figures of one monitor view, as one JSON-ready dict (the dashboard, API, CSV and PDF
all show this).

The work is shared by two connections: a second one, in a thread, starts with the reach
statement (the largest: every intervention of the period in scope) while the caller's own
computes the stalled list; then each takes the next of the remaining statements (referrals,
contacts per kind, DMA, survey; largest first) until none is left. The database works on two
cores, and the view takes about as long as the busier connection instead of the sum of all:
for 12 months the reach statement is about as large as all the rest together, over several
years the rest is larger and the second connection helps with it. That is only done for a
place (a region, province or the country: every contact of its companies) and when the
caller's transaction has written nothing (:func:`crm.database.sees_only_committed`): the
other connection sees committed data only. An organisation's own figures (its own contacts,
a few thousand a year) run on the caller's connection alone, one statement after the other,
as does everything in a transaction that wrote and for an in-memory SQLite database (one
connection). Either way each statement reads the data as committed when it starts (PostgreSQL's
read committed; SQLite reads from one snapshot per connection), so the figures are the same.
"""
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.orm import Session

from ...database import sees_only_committed

from .funnel import referrals
from .impact import dma, survey
from .paths import stalled
from .reach import contacts_per_kind, count_reach, finish_reach
from .scope import MonitorScope


def dashboard_figures(session, scope: MonitorScope, viewer) -> dict:
    """``{"scope", "contacts", "companies_reached", "reach", "referrals", "funnel",
    "by_sender", "by_receiver", "flows", "journeys", "impact"}``."""
    out: dict = {}
    queue = _shared_work(scope)
    _planner_settings(session)
    if _may_share(session, scope):
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_reach_on_own_connection, session.get_bind(), scope, queue)
            # The stalled list reads the viewer (an object of this session): here.
            out["stalled"] = stalled(session, scope, viewer)
            _work_through(queue, session, out)
            out.update(pending.result())
    else:
        out["stalled"] = stalled(session, scope, viewer)
        out["reach"] = count_reach(session, scope)
        _work_through(queue, session, out)
    r = finish_reach(out["reach"], out["kind_contacts"], scope)
    ref, stalled_ = out["referrals"], out["stalled"]
    impact = {"survey": out["survey"], "dma": out["dma"]}
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


def _may_share(session, scope: MonitorScope) -> bool:
    """Whether the reach statement runs on a second connection (see the module's text).

    Not for an organisation's own figures: there a second connection saves little and takes
    the second core from everybody else's requests. Measured under the load mix (2,000,000
    companies, 20,000,000 events, 25 requests/s, an organisation's dashboard in 5 % of the
    requests, two cores): with it the other endpoints' p99 was 77–165 ms, without it 57–97 ms;
    the dashboard's own p50 124–153 against 145–147 ms."""
    if scope.organisation_id is not None:
        return False
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and bind.url.database in (None, "", ":memory:"):
        return False
    return SHARE_WORK and sees_only_committed(session)


def _shared_work(scope: MonitorScope) -> deque:
    """The statements either connection may compute (they need nothing but the scope), largest
    first: each connection takes the next when it is free (``deque.popleft`` is atomic)."""
    return deque([("referrals", lambda s: referrals(s, scope)),
                  ("kind_contacts", lambda s: contacts_per_kind(s, scope)),
                  ("dma", lambda s: dma(s, scope)),
                  ("survey", lambda s: survey(s, scope))])


def _work_through(queue: deque, session, out: dict) -> None:
    while True:
        try:
            name, compute = queue.popleft()
        except IndexError:
            return
        out[name] = compute(session)


def _reach_on_own_connection(engine, scope: MonitorScope, queue: deque) -> dict:
    """The reach statement, then shared work from ``queue``, on a connection of its own."""
    with Session(engine) as own:
        _planner_settings(own)
        out = {"reach": count_reach(own, scope)}
        _work_through(queue, own, out)
        own.commit()  # read only: COMMIT keeps PostgreSQL's prepared statements
        return out


#: Memory for the sorts and hash tables of the monitor's statements on PostgreSQL (the default
#: 4 MB spills the per-company rows of a large region to disk).
WORK_MEM = "64MB"


def _planner_settings(session) -> None:
    """Planner settings for the rest of this transaction on PostgreSQL (``set_config(…,
    true)`` is ``SET LOCAL``), each measured on the benchmark region (100,000 companies,
    260,000 contacts in 12 months):

    * :data:`WORK_MEM`;
    * no JIT compilation: the reach statement's estimated cost is just above the JIT
      threshold; compiling its expressions took 110–130 ms and won back less than that;
    * no parallel workers: the dashboard already keeps two cores busy with its two
      connections; a statement's workers compete with the other connection (the reach
      statement 550 ms alone, 710 ms with two workers);
    * no hash joins: the monitor's statements join the companies in scope to their
      interventions (or referrals, DMA results, survey answers) in the order of the company,
      where both covering indexes can be merged; the planner's estimate prefers hashing every
      company of the region and scanning the whole table, 2.7 times slower for the contacts per
      kind (240 → 90 ms) and no faster for any other statement;
    * a plan for the actual period and scope every time: psycopg prepares a statement on the
      server after its fifth run, and PostgreSQL then chose a generic plan (made for no
      particular values) once it looked no costlier; a dashboard over all data on a
      connection that had first shown 12 months went from 1.1 to 2.1 s. Planning takes about
      a millisecond; the statements take hundreds.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            "SELECT set_config('work_mem', :memory, true), set_config('jit', 'off', true), "
            "set_config('max_parallel_workers_per_gather', '0', true), "
            "set_config('enable_hashjoin', 'off', true), "
            "set_config('plan_cache_mode', 'force_custom_plan', true)"), {"memory": WORK_MEM})
