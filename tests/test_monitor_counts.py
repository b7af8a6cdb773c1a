"""The monitor's counting statements against plain definitions computed here in Python, on
seeded random data full of the cases that are easy to get wrong: several DMA results of one
company on one day (the order is day, then id), results after the period or only before it,
companies with a single result, other organisations' rows in an organisation's own view,
unanswered survey questions, and kinds that are no archetype.

The statements count per company in one pass (``reach.per_company``), find a company's first
and last DMA result from one key (``impact.dma``) and count survey answers per question and
value with FILTER clauses (``impact.survey``); these tests fail when any of them drops,
repeats or misorders a row."""
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from crm.extensions import db
from crm.journeys.monitor import dashboard_figures, dma, reach, scope_from_params, survey
from crm.journeys.monitor.reach import count_reach
from crm.models.survey import DmaAssessment, SurveyInvitation, SurveyResponse
from crm.models.vocabulary import (ARCHETYPE_SLUGS, DMA_DIMENSION_NAMES, INTERVENTION_KIND_SLUGS,
                                   SURVEY_QUESTION_KEYS)
from tests import monitor_data
from tests.monitor_data import TODAY, at
from tests.test_monitor import fast_hashing  # noqa: F401 - fixture

PERIOD = {"from": "2026-03-01", "to": "2026-08-31"}
START, END = date(2026, 3, 1), date(2026, 8, 31)
DIMS = [*DMA_DIMENSION_NAMES, "average"]


@pytest.fixture
def world(fast_hashing, make_org, make_user, make_company):  # noqa: F811
    def build(seed):
        rng = random.Random(seed)
        orgs = [make_org(name=f"Telorg {seed}-{n}", provinces=("Utrecht",)) for n in range(3)]
        staff = make_user(org=orgs[0], role="staff")
        companies = [make_company(name=f"Tel {seed}-{n}", municipality="Utrecht")
                     for n in range(40)]
        return rng, orgs, staff, companies
    return build


def own_scope(staff):
    s = scope_from_params(db.session, staff, dict(PERIOD), today=TODAY)
    assert not s.cross_organisation  # nothing suppressed: every count can be compared
    return s


@pytest.mark.parametrize("seed", [1, 2])
def test_contacts_and_companies_per_kind(seed, world):
    rng, orgs, staff, companies = world(seed)
    days = [START - timedelta(days=1), START, date(2026, 5, 5), END, END + timedelta(days=1)]
    made = []
    for company in companies:
        for _ in range(rng.randrange(8)):
            org, kind, day = rng.choice(orgs), rng.choice(INTERVENTION_KIND_SLUGS), rng.choice(days)
            monitor_data.intervention(company, org, kind, day)
            made.append((company.id, org.id, kind, day))
    db.session.flush()
    ours = [m for m in made if m[1] == orgs[0].id and START <= m[3] <= END]
    contacts, companies_ = defaultdict(int), defaultdict(set)
    for company_id, _org, kind, _day in ours:
        contacts[kind] += 1
        companies_[kind].add(company_id)
    plain = sorted((k, len(companies_[k]), contacts[k]) for k in contacts)

    for figures in (reach(db.session, own_scope(staff)),
                    dashboard_figures(db.session, own_scope(staff), staff)["reach"]):
        got = sorted((r["key"], r["companies"], r["contacts"]) for r in figures["archetype"])
        assert got == plain
    assert any(k not in ARCHETYPE_SLUGS for k, _n, _c in plain)
    r = reach(db.session, own_scope(staff))
    assert (r["contacts"], r["companies_reached"]) == (len(ours), len({m[0] for m in ours}))
    db.session.rollback()


@pytest.mark.parametrize("seed", [1, 2])
def test_organisations_met_per_company(seed, world, make_org, make_user):
    """1, 2 or 3+ organisations per company (the journeys' figure), against a plain count:
    a company that met only the first and the last of three organisations, any number of
    times, met two; one that also met the one in between met three."""
    rng, orgs, _staff, companies = world(seed)
    orgs += [make_org(name=f"Telorg {seed}-{n}", provinces=("Utrecht",)) for n in (3, 4)]
    orgs.sort(key=lambda org: org.id)
    coordinator = make_user(org=orgs[0], role="coordinator", provinces=("Utrecht",))
    fixed = [[0, 2, 2, 2], [0, 1, 2], [2, 0, 0, 2], [1, 1], [4, 0, 0, 0, 4], [0, 3, 4, 4]]
    met = defaultdict(set)
    for n, company in enumerate(companies):
        picks = fixed[n] if n < len(fixed) else [rng.randrange(5) for _ in range(rng.randrange(9))]
        for pick in picks:
            monitor_data.intervention(company, orgs[pick], rng.choice(INTERVENTION_KIND_SLUGS),
                                      date(2026, 5, 5))
            met[company.id].add(pick)
    db.session.flush()
    plain = defaultdict(int)
    for picked in met.values():
        plain[str(min(len(picked), 3)).replace("3", "3+")] += 1
    assert plain["2"] >= 3 and plain["3+"] >= 2
    s = scope_from_params(db.session, coordinator, dict(PERIOD), today=TODAY)
    counted = count_reach(db.session, s)
    assert {r["key"]: r["companies"] for r in counted["organisations"]} == plain
    db.session.rollback()


def _dma_plain(rows, org_id):
    """Per company, its first and last result up to the period's end (by day, then id), for
    companies with two or more whose last lies in the period."""
    per_company = defaultdict(list)
    for row in rows:
        if row.organisation_id == org_id and row.assessed_on <= END:
            per_company[row.company_id].append(row)
    pairs = {}
    for company_id, results in per_company.items():
        results.sort(key=lambda r: (r.assessed_on, r.id))
        if len(results) > 1 and results[-1].assessed_on >= START:
            pairs[company_id] = (results[0], results[-1])
    return pairs


def _mean(values):
    return round(float(sum(Decimal(v) for v in values) / len(values)), 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dma_change_from_each_companys_first_and_last_result(seed, world):
    rng, orgs, staff, companies = world(seed)
    days = [date(2025, 6, 1), START - timedelta(days=1), START, date(2026, 5, 5),
            date(2026, 5, 5), END, END + timedelta(days=1)]
    rows = []
    for company in companies:
        for _ in range(rng.randrange(5)):
            scores = {d: rng.randrange(101) for d in DMA_DIMENSION_NAMES}
            rows.append(DmaAssessment(
                company=company, organisation=rng.choice(orgs[:1] * 3 + orgs[1:]),
                assessed_on=rng.choice(days), average=Decimal(rng.randrange(10001)) / 100,
                **scores))
    rng.shuffle(rows)  # ids do not follow the days: the tie-break by id is tested
    db.session.add_all(rows)
    db.session.flush()
    pairs = _dma_plain(rows, orgs[0].id)
    assert len(pairs) >= 5
    assert any(f.assessed_on == l_.assessed_on for f, l_ in pairs.values())

    d = dma(db.session, own_scope(staff))
    assert d["companies"] == len(pairs)
    got = {r["key"]: r for r in d["dimensions"]}
    for dim in DIMS:
        firsts = [getattr(f, dim) for f, _l in pairs.values()]
        lasts = [getattr(l_, dim) for _f, l_ in pairs.values()]
        assert got[dim]["companies"] == len(pairs)
        assert got[dim]["first"] == _mean(firsts), dim
        assert got[dim]["last"] == _mean(lasts), dim
        assert got[dim]["change"] == _mean([b - a for a, b in zip(firsts, lasts)]), dim
    by_org = {int(r["key"]): r["companies"] for r in d["by_organisation"]}
    assert by_org == {orgs[0].id: len(pairs)}  # the last result's organisation: always ours
    db.session.rollback()


@pytest.mark.parametrize("seed", [1, 2])
def test_survey_answers_per_question_value_and_archetype(seed, world):
    rng, orgs, staff, companies = world(seed)
    moments = [at(2026, 2, 28, 23), at(2026, 3, 1, 1), at(2026, 6, 1), at(2026, 8, 31, 23),
               at(2026, 9, 1, 1)]
    responses = []
    for company in companies:
        for _ in range(rng.randrange(3)):
            org = rng.choice(orgs[:1] * 3 + orgs[1:])
            kind = rng.choice(ARCHETYPE_SLUGS[:4])
            moment = rng.choice(moments)
            made = monitor_data.intervention(company, org, kind, moment.date())
            db.session.flush()
            invitation = SurveyInvitation(
                company=company, organisation=org, intervention=made, created_at=moment,
                expires_at=moment + timedelta(days=30),
                token_nonce=f"telling-{seed}-{len(responses)}")
            db.session.add(invitation)
            answers = {k: rng.choice([None, 1, 2, 3, 4, 5, 6]) for k in SURVEY_QUESTION_KEYS}
            response = SurveyResponse(invitation=invitation, company=company, organisation=org,
                                      archetype=kind, answered_at=moment, **answers)
            responses.append(response)
    db.session.add_all(responses)
    db.session.flush()
    start, end = at(2026, 3, 1, 0), at(2026, 9, 1, 0)
    ours = [r for r in responses if r.organisation_id == orgs[0].id and
            start <= r.answered_at < end]
    assert len(ours) >= 5

    s = survey(db.session, own_scope(staff))
    assert s["responses"] == len(ours)
    for q in s["questions"]:
        values = [getattr(r, q["key"]) for r in ours]
        for v in range(1, 7):
            assert q[f"n{v}"] == values.count(v), (q["key"], v)
        scored = [v for v in values if v in (1, 2, 3, 4)]
        assert q["answered"] == len(scored)
        assert q["mean"] == (round(sum(scored) / len(scored), 2) if scored else None)
    by_kind = defaultdict(list)
    for r in ours:
        by_kind[r.archetype].append(r)
    got = {row["key"]: row for row in s["by_archetype"]}
    assert set(got) == set(by_kind)
    for kind, rows in by_kind.items():
        assert got[kind]["responses"] == len(rows)
        assert got[kind]["companies"] == len({r.company_id for r in rows})
        first = [r.answer_1 for r in rows if r.answer_1 in (1, 2, 3, 4)]
        assert got[kind]["answer_1"] == (round(sum(first) / len(first), 2) if first else None)
    db.session.rollback()
