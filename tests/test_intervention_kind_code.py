"""``interventions.kind_code``: the database computes each intervention's kind as a number (the
monitor compares numbers, not text), for every kind, and keeps it when the kind changes."""
from datetime import date

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Intervention
from crm.models.vocabulary import ARCHETYPE_SLUGS, INTERVENTION_KIND_SLUGS, KIND_CODES


def test_archetypes_are_numbered_alphabetically_then_the_plain_contacts():
    assert sorted(KIND_CODES) == sorted(INTERVENTION_KIND_SLUGS)
    archetypes = sorted(ARCHETYPE_SLUGS, key=KIND_CODES.get)
    assert archetypes == sorted(ARCHETYPE_SLUGS)  # a path's same-day order
    assert [KIND_CODES[a] for a in archetypes] == list(range(12))
    assert sorted(KIND_CODES.values()) == list(range(len(INTERVENTION_KIND_SLUGS)))


def test_the_database_numbers_every_kind_and_follows_a_change(app, make_org, make_company):
    org = make_org()
    company = make_company(org)
    added = [Intervention(company=company, organisation=org, occurred_on=date(2026, 3, 1),
                          kind=kind) for kind in INTERVENTION_KIND_SLUGS]
    db.session.add_all(added)
    db.session.commit()
    stored = dict(db.session.execute(sa.select(Intervention.kind, Intervention.kind_code)
                                     .where(Intervention.company_id == company.id)).all())
    assert stored == KIND_CODES
    added[0].kind = "scans"
    db.session.commit()
    assert db.session.scalar(sa.select(Intervention.kind_code)
                             .where(Intervention.id == added[0].id)) == KIND_CODES["scans"]
