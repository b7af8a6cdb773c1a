"""All figures of one monitor view, as one JSON-ready dict (the dashboard, API, CSV and PDF
all show this)."""
from sqlalchemy import text

from .funnel import referrals
from .impact import dma, survey
from .paths import stalled
from .reach import reach
from .scope import MonitorScope


def dashboard_figures(session, scope: MonitorScope, viewer) -> dict:
    """``{"scope", "contacts", "companies_reached", "reach", "referrals", "funnel",
    "by_sender", "by_receiver", "flows", "journeys", "impact"}``."""
    _sort_memory(session)
    r = reach(session, scope)
    ref = referrals(session, scope)
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
                     "stalled": stalled(session, scope, viewer)},
        "impact": {"survey": survey(session, scope), "dma": dma(session, scope)},
    }


#: Memory for the sorts and hash tables of the monitor's statements on PostgreSQL (the default
#: 4 MB spills the per-company rows of a large region to disk).
WORK_MEM = "64MB"


def _sort_memory(session) -> None:
    """On PostgreSQL: :data:`WORK_MEM` for the rest of this transaction (``SET LOCAL``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
