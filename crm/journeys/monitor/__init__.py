"""The monitor: figures for a coordinator's region or an organisation's own work.

Public functions (all take a SQLAlchemy session and a :class:`MonitorScope`):

* :func:`scope_from_params` — the scope query parameters ask for (validated, authorised).
* :func:`dashboard_figures` — every figure of the dashboard in one dict (JSON-ready).
* :func:`reach` — contacts and distinct companies, per archetype, sector, size class,
  maturity, municipality, and companies by number of organisations met.
* :func:`referrals` — states, funnel, medians, overdue, per sender/receiver, flows.
* :func:`top_paths` — the most common archetype paths.
* :func:`stalled` — companies whose last step was a referral that went nowhere (listed only as
  far as the viewer may see them).
* :func:`survey`, :func:`dma` — impact survey and DMA change.
* :func:`suppress`, :func:`suppress_row`, :func:`suppress_rows` — "< 5" small-cell suppression.

Anonymous counts cover every company in scope, consent or not; only :func:`stalled` names
companies, and it applies :func:`crm.policy.referral_route_filter`.
"""
from .figures import dashboard_figures
from .funnel import referrals
from .impact import dma, survey
from .paths import stalled, top_paths
from .reach import reach
from .scope import MonitorScope, scope_from_params
from .suppress import SUPPRESSED, suppress, suppress_row, suppress_rows

__all__ = ["MonitorScope", "scope_from_params", "dashboard_figures", "reach", "referrals",
           "top_paths", "stalled", "survey", "dma", "suppress", "suppress_row",
           "suppress_rows", "SUPPRESSED"]
