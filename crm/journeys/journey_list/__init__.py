"""The journey list: the companies in a viewer's scope with their journey at a glance —
organisations visited, the last step, open referrals — sortable and filterable.

Scope: a regional coordinator sees the companies in the provinces they coordinate; everyone
else sees the companies their own organisation worked with (an intervention, or a referral it
sent or received). What the row *says* follows the klantreis visibility rules
(:mod:`crm.policy`): another organisation's interventions count only while the company
consents to sharing its journey; referral routes count for parties, under consent, and for the
coordinator of the company's province.

*Organisations visited* are the organisations with a visible intervention, and the receivers of
a visible referral that was accepted. The *last step* is the latest visible intervention or
referral step (the same order as the timeline).

Computed in two phases so a page stays fast however many companies are in scope: (1) one
statement picks the page's company ids — sorted by name straight from the companies table, or,
for the aggregate sorts and filters, joined to ``GROUP BY`` aggregates over the interventions and
referrals; (2) a handful of statements fill in the rows of just those companies.

The package: :mod:`.filters` (scope, filters, their choices), :mod:`.visibility` (what the
viewer may count), :mod:`.paging` (phase 1: the page's ids and the count), :mod:`.page_rows`
(phase 2: the rows). Every public name is re-exported here.
"""
from .filters import (FILTER_KEYS, MATURITIES, PHASES, SIZES, SORTS, Filters, Scope, options,
                      parse_filters, scope_for)
from .page_rows import JourneyRow, Step, rows
from .paging import (COUNT_LIMIT, MAX_LISTED_IDS, OWN_COUNT_LIMIT, company_ids, count,
                     count_limit, listing, page)
from .visibility import FAILED, visible_interventions, visible_referrals, visits

__all__ = [
    "COUNT_LIMIT", "FAILED", "FILTER_KEYS", "MATURITIES", "MAX_LISTED_IDS", "OWN_COUNT_LIMIT",
    "PHASES", "SIZES", "SORTS", "Filters", "JourneyRow", "Scope", "Step", "company_ids",
    "count", "count_limit", "listing", "options", "page", "parse_filters", "rows", "scope_for",
    "visible_interventions", "visible_referrals", "visits",
]
