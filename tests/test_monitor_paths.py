"""The dashboard's paths (integer step keys per company, see ``step_keys.path_key``) against
the plain definition (``top_paths``: first day per archetype, ranked with a window function),
on seeded random journeys full of same-day ties, repeated archetypes, plain contacts and
interventions outside the period."""
import importlib
import random
from datetime import date, timedelta

import pytest

from crm.extensions import db
from crm.journeys.monitor import reach, scope_from_params, top_paths
from crm.models.vocabulary import ARCHETYPE_SLUGS, INTERVENTION_KIND_SLUGS
from tests import monitor_data
from tests.monitor_data import TODAY
from tests.test_monitor import fast_hashing  # noqa: F401 - fixture

reach_module = importlib.import_module("crm.journeys.monitor.reach")
PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}


def as_counts(paths):
    return sorted((tuple(p["steps"]), p["companies"]) for p in paths)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_paths_equal_the_plain_definition(seed, fast_hashing, make_org, make_user,  # noqa: F811
                                          make_company, monkeypatch):
    rng = random.Random(seed)
    orgs = [make_org(name=f"Org {seed}-{n}", provinces=("Utrecht",)) for n in range(3)]
    staff = make_user(org=orgs[0], role="staff")
    kinds = list(ARCHETYPE_SLUGS[:5]) + [k for k in INTERVENTION_KIND_SLUGS
                                         if k not in ARCHETYPE_SLUGS][:2]
    days = [date(2025, 12, 30) + timedelta(days=rng.randrange(8)) for _ in range(5)]
    days += [date(2026, 12, 31), date(2027, 1, 1)]
    for n in range(60):
        company = make_company(name=f"Pad {seed}-{n}", municipality="Utrecht")
        for _ in range(rng.randrange(10)):
            monitor_data.intervention(company, rng.choice(orgs + orgs[:1] * 4), rng.choice(kinds),
                                      rng.choice(days))
    db.session.flush()
    # Every path, not only the ten most common, and for the organisation's own work (no "< 5").
    monkeypatch.setattr(reach_module, "TOP_PATHS", 10_000)
    s = scope_from_params(db.session, staff, {**PERIOD}, today=TODAY)
    assert not s.cross_organisation
    ours = reach(db.session, s)["paths"]
    plain = top_paths(db.session, s, limit=10_000)
    assert as_counts(ours) == as_counts(plain)
    assert len(ours) >= 8 and any(len(p["steps"]) == 3 for p in ours)
    db.session.rollback()
