"""Offerings (aanbod): maintain an organisation's offerings, and read the ecosystem map.

Data of an offering, as operations take it (a dict; the form and the API fill it)::

    name, description, archetype, cost_kind, cost_note, starts_on, ends_on (end ≥ start),
    contact_name, contact_email, contact_phone, url, takes_referrals,
    province_ids, region_ids,                              # lists of ids
    sector, size, phase, maturity, form, technology,       # lists of slugs (SBI letters for
    bottleneck, market_failure,                            #  sector), see TAG_FIELDS
    providers: [{"name", "role", "organisation_id"?}],
    organisation_id                                        # create only, coordinators/admins

Semantics of the map (:func:`offerings_matching`):

* an empty dimension means "any": an offering without sizes fits every size, one without
  provinces or regions is national and fits every province; a maturity of
  ``ongespecificeerd`` fits every maturity;
* an offering's regions imply their provinces (through the regions' municipalities);
* "active" means not withdrawn and not expired on the day (``ends_on`` before it).

Operations validate, change, flush and write an audit entry; they never commit.

The package: :mod:`.validation` (data checks), :mod:`.operations` (writes), :mod:`.filters`
(the map's SQL filters), :mod:`.coverage` (white spots per province), :mod:`.network`
(providers). Every public name is re-exported here.
"""
from .coverage import (ARCHETYPE_REACH_EFFORT, COVERAGE_MATURITIES, COVERAGE_SIZES,
                       coverage_by_province)
from .filters import (fits, in_province, is_current, national, offerings_matching,
                      tags_by_offering)
from .network import provider_memberships, provider_name, provider_network
from .operations import create_offering, reactivate, update_offering, withdraw_offering
from .validation import SCALAR_FIELDS, TAG_FIELDS, validate_offering

__all__ = [
    "ARCHETYPE_REACH_EFFORT", "COVERAGE_MATURITIES", "COVERAGE_SIZES", "SCALAR_FIELDS",
    "TAG_FIELDS", "coverage_by_province", "create_offering", "fits", "in_province",
    "is_current", "national", "offerings_matching", "provider_memberships", "provider_name",
    "provider_network", "reactivate", "tags_by_offering", "update_offering",
    "validate_offering", "withdraw_offering",
]
