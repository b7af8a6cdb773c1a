"""The monitor's statements, built once per scope and kind of database and then reused.

Building one of the monitor's statements in SQLAlchemy (hundreds of expressions: a FILTER count
per archetype, per survey question and answer, per kind) costs about as much Python as running
it costs the database for an organisation's own figures: measured on an organisation's dashboard
(6,762 contacts in 12 months, PostgreSQL), its figures took 38–47 ms of Python when built every
time, 23 ms with the statements kept. The same view is asked for again and again
(the default period of one's own organisation, the page and then its CSV and PDF), so each
process keeps the statements of the scopes last asked for, and a repeat executes the kept one.

A statement depends on nothing but its scope (a frozen :class:`MonitorScope`, whose ``today``
covers "overdue") and the kind of database (the builders' only use of the session): that pair
and the builder are the key. A builder that reads anything else (the viewer, as the stalled
list's visibility rules do) must not be kept here. Nothing kept is data: the statements hold
the scope's values, never a row, so another process or a later write cannot make one wrong.
"""
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from sqlalchemy.sql import Executable

from .scope import MonitorScope

#: Statements kept per process (six per view: the last ~40 views).
KEPT = 256

_kept: OrderedDict = OrderedDict()
_lock = Lock()  # the dashboard's second connection runs in a thread


def kept(session, scope: MonitorScope,
         build: Callable[..., Executable]) -> Executable:
    """``build(session, scope)``, or the statement it made for the same scope on the same kind
    of database before. ``build`` must be a module-level function that reads only those two
    (see the module's text)."""
    key = (build, session.get_bind().dialect.name, scope)
    with _lock:
        statement = _kept.get(key)
        if statement is not None:
            _kept.move_to_end(key)
            return statement
    statement = build(session, scope)
    with _lock:
        _kept[key] = statement
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return statement


def forget_all() -> None:
    """Drop every kept statement (for tests that count the statements built)."""
    with _lock:
        _kept.clear()
