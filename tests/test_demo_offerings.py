"""The demo offerings: spread over archetypes and provinces as in the Regioscan, valid, and
deterministic."""
import random
from collections import Counter

import sqlalchemy as sa

from crm import demo
from crm.demo_offerings import ARCHETYPE_COUNTS, PROVINCE_COUNTS, allocate, seed_offerings
from crm.extensions import db
from crm.journeys.clock import today
from crm.models import Offering, OfferingProvider, OfferingTag, Organisation
from crm.models.vocabulary import (ARCHETYPE_SLUGS, COST_KINDS, OFFERING_TAG_DIMENSIONS,
                                   PROVIDER_ROLES)


def _seeded():
    demo.seed(db.session, companies=20)
    db.session.commit()
    return db.session.scalars(sa.select(Offering).order_by(Offering.id)).all()


def test_seed_demo_adds_a_realistic_set_of_offerings(app):
    offerings = _seeded()
    assert len(offerings) >= 100

    archetypes = Counter(o.archetype for o in offerings)
    assert set(archetypes) == set(ARCHETYPE_SLUGS)
    largest = {a for a, _ in archetypes.most_common(2)}
    assert largest == {"netwerken", "workshops"}
    assert archetypes.most_common()[-1][0] == "signaleren"
    total = len(offerings)
    for slug, count in ARCHETYPE_COUNTS.items():  # within one offering of the Regioscan share
        assert abs(archetypes[slug] - total * count / 582) <= 1, slug

    provinces = Counter(p.name for o in offerings for p in o.provinces)
    assert len(provinces) >= 10
    assert provinces["Zuid-Holland"] > provinces["Zeeland"]
    assert provinces["Overijssel"] > provinces["Drenthe"]
    regional = sum(1 for o in offerings if o.provinces)
    for name, count in PROVINCE_COUNTS.items():  # roughly the Regioscan share
        expected = regional * count / 582
        assert abs(provinces[name] - expected) <= max(4, expected / 3), (name, provinces[name])

    day = today()
    assert any(o.expired(day) for o in offerings)
    assert sum(not o.expired(day) and o.active for o in offerings) > len(offerings) * 0.7
    assert any(o.starts_on and o.starts_on > day for o in offerings)  # starts later
    assert sum(o.ends_on is None for o in offerings) > len(offerings) / 2  # most open-ended
    assert any(not o.takes_referrals for o in offerings)
    assert any(not o.provinces and not o.regions for o in offerings)  # national
    assert len({o.name for o in offerings}) == len(offerings)
    assert len({o.organisation_id for o in offerings}) >= 8
    for o in offerings:
        assert o.name.strip() and o.archetype in ARCHETYPE_SLUGS
        assert o.cost_kind in {c for c, _ in COST_KINDS}
        assert o.contact_email and o.url.startswith("https://")
        assert o.providers and any(p.organisation_id == o.organisation_id for p in o.providers)
        assert o.values("bottleneck") and o.values("maturity")
        assert o.ends_on is None or o.starts_on is None or o.ends_on >= o.starts_on

    tags = db.session.scalars(sa.select(OfferingTag)).all()
    for tag in tags:
        allowed = OFFERING_TAG_DIMENSIONS[tag.dimension]
        assert allowed is None or tag.value in allowed, (tag.dimension, tag.value)
    assert {t.dimension for t in tags} == set(OFFERING_TAG_DIMENSIONS)
    roles = Counter(p.role for p in db.session.scalars(sa.select(OfferingProvider)))
    assert set(roles) == {r for r, _ in PROVIDER_ROLES}
    names = Counter(p.name for p in db.session.scalars(sa.select(OfferingProvider)))
    assert names["Ministerie van EZK"] and names["Rabobank"]

    intake = db.session.scalars(sa.select(Organisation).where(
        Organisation.intake_point.is_(True))).all()
    assert intake and all(o.kind == "edih" and o.provinces for o in intake)


def test_demo_offerings_are_deterministic(app):
    def snapshot():
        return [(o.name, o.archetype, o.organisation.name, [p.name for p in o.provinces],
                 o.starts_on, o.ends_on, sorted((t.dimension, t.value) for t in o.tags),
                 [(p.name, p.role) for p in o.providers])
                for o in db.session.scalars(sa.select(Offering).order_by(Offering.name))]
    demo.seed(db.session, companies=0)
    db.session.commit()
    first = snapshot()
    db.session.execute(sa.delete(Offering))
    db.session.commit()
    seed_offerings(db.session, random.Random(2025))
    db.session.commit()
    again = snapshot()
    db.session.execute(sa.delete(Offering))
    db.session.commit()
    seed_offerings(db.session, random.Random(2025))
    db.session.commit()
    assert snapshot() == again and len(first) == len(again)


def test_allocation_follows_the_counts_exactly():
    shares = allocate(ARCHETYPE_COUNTS, 150)
    assert sum(shares.values()) == 150
    assert shares["netwerken"] == shares["workshops"] == 22
    assert shares["signaleren"] == 4
    assert sum(allocate(PROVINCE_COUNTS, 37).values()) == 37
