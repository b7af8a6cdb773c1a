"""The company timeline: order, item types, the open referrals on top, and a constant number of
SQL statements however long the journey is."""
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from crm.extensions import db
from crm.journeys.consent import give_consent, withdraw_consent
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer, transition
from crm.journeys.timeline import timeline_for
from crm.models.vocabulary import BOTTLENECK_SLUGS, INTERVENTION_KIND_SLUGS, TOPIC_SLUGS

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(y, m, d, hour=10, minute=0):
    return datetime(y, m, d, hour, minute, tzinfo=AMSTERDAM)


@pytest.fixture
def fast_hashing(monkeypatch):
    """These users never sign in: skip the deliberately slow scrypt hashing in ``make_user``."""
    import werkzeug.security
    real = werkzeug.security.generate_password_hash
    monkeypatch.setattr(werkzeug.security, "generate_password_hash",
                        lambda password: real(password, method="pbkdf2:sha256:1"))


@pytest.fixture
def parties(fast_hashing, make_org, make_user):
    a, b, c = (make_org(name=n) for n in ("Alfa", "Bravo", "Charlie"))
    return {"A": make_user(org=a, role="account_manager"), "B": make_user(org=b, role="staff"),
            "C": make_user(org=c, role="staff")}


def log(company, user, on, kind="intake", **extra):
    return log_intervention(company, {"kind": kind, "occurred_on": on,
                                      "summary": f"{kind} op {on}", **extra}, by=user)


def test_items_in_time_order_oldest_first_with_their_types(parties, make_company):
    a, b = parties["A"], parties["B"]
    company = make_company()
    with time_machine.travel(at(2026, 3, 1), tick=False):
        consent = give_consent(company, "mondeling bij intake", by=a)
    with time_machine.travel(at(2026, 3, 5, 10), tick=False):
        referral = refer(company, b.organisation, "Webshop?", by=a, entrepreneur_agrees=True)
        late = log(company, a, date(2026, 3, 10), bottlenecks=["weten", "kunnen"],
                   topics=["online-marketing"])
    with time_machine.travel(at(2026, 3, 12, 9), tick=False):
        transition(referral, "accept", by=b)
    with time_machine.travel(at(2026, 3, 15), tick=False):
        # logged last, but it happened first: the date it occurred on counts
        early = log(company, a, date(2026, 3, 3), kind="bezoek")
        same_day = log(company, a, date(2026, 3, 5), kind="telefoon")
    with time_machine.travel(at(2026, 3, 20), tick=False):
        withdraw_consent(company, by=a)
    db.session.commit()

    timeline = timeline_for(company, a)
    got = [(i.type, i.kind, i.id) for i in timeline.items]
    assert got == [
        ("consent", "given", consent.id),
        ("intervention", "bezoek", early.id),
        ("intervention", "telefoon", same_day.id),  # a date sorts before that day's moments
        ("referral", "send", referral.id),
        ("intervention", "intake", late.id),
        ("referral-step", "accept", referral.steps[-1].id),
        ("consent", "withdrawn", consent.id),
    ]
    by_type = {(i.type, i.kind): i for i in timeline.items}
    iv = by_type[("intervention", "intake")]
    assert iv.occurred_at == date(2026, 3, 10)
    assert iv.organisation == "Alfa" and iv.organisation_id == a.organisation_id
    assert sorted(iv.bottlenecks) == ["kunnen", "weten"] and iv.topics == ["online-marketing"]
    assert iv.actor == a.name
    sent = by_type[("referral", "send")]
    assert (sent.status, sent.from_organisation, sent.to_organisation) == (
        "accepted", "Alfa", "Bravo")
    assert sent.occurred_at == at(2026, 3, 5, 10)
    step = by_type[("referral-step", "accept")]
    assert step.organisation == "Bravo" and step.status == "accepted"
    assert step.occurred_at == at(2026, 3, 12, 9)
    assert by_type[("consent", "given")].summary == "mondeling bij intake"
    assert by_type[("consent", "withdrawn")].withdrawn is True
    # every item says which organisation it comes from
    assert all(i.organisation for i in timeline.items)


def test_open_referrals_at_the_top_with_overdue_flag(parties, make_org, make_company):
    a, b, c = parties["A"], parties["B"], parties["C"]
    company = make_company()
    # Monday 2 March 2026: accept by Monday 9 March.
    with time_machine.travel(at(2026, 3, 2), tick=False):
        waiting = refer(company, b.organisation, "Subsidie?", by=a, entrepreneur_agrees=True)
        accepted = refer(company, c.organisation, "Scan?", by=a, entrepreneur_agrees=True)
        transition(accepted, "accept", by=c)
    with time_machine.travel(at(2026, 3, 3), tick=False):
        running = refer(company, a.organisation, "Cyber?", by=b, entrepreneur_agrees=True)
        transition(running, "accept", by=a)
        transition(running, "start", by=a)
        transition(running, "hold", by=a)
        done = refer(company, c.organisation, "AI?", by=b, entrepreneur_agrees=True)
        transition(done, "accept", by=c)
        transition(done, "complete", by=c, outcome="Klaar.")
        declined = refer(company, c.organisation, "Robot?", by=a, entrepreneur_agrees=True)
        transition(declined, "reject", by=c, reason="past-niet")
        cancelled = refer(company, b.organisation, "Data?", by=a, entrepreneur_agrees=True)
        transition(cancelled, "cancel", by=a)
    with time_machine.travel(at(2026, 3, 4), tick=False):
        fresh = refer(company, c.organisation, "Later?", by=a, entrepreneur_agrees=True)
    db.session.commit()

    with time_machine.travel(at(2026, 3, 9, 12), tick=False):
        timeline = timeline_for(company, a)
        assert [r.id for r in timeline.open_referrals] == [waiting.id, accepted.id, running.id,
                                                           fresh.id]
        assert not any(r.overdue for r in timeline.open_referrals)  # due today: not yet

    with time_machine.travel(at(2026, 3, 10, 12), tick=False):
        timeline = timeline_for(company, a)
        opened = {r.id: r for r in timeline.open_referrals}
        assert set(opened) == {waiting.id, accepted.id, running.id, fresh.id}
        assert opened[waiting.id].overdue is True
        assert opened[waiting.id].status == "requested"
        assert opened[waiting.id].accept_due_on == date(2026, 3, 9)
        assert (opened[waiting.id].from_organisation, opened[waiting.id].to_organisation) == (
            "Alfa", "Bravo")
        assert opened[accepted.id].overdue is False  # accepted in time: never overdue
        assert opened[running.id].status == "on-hold" and opened[running.id].overdue is False
        assert opened[fresh.id].overdue is False  # sent 4 March, due 11 March
        assert opened[waiting.id].full and opened[waiting.id].question == "Subsidie?"
        # the closed ones are on the timeline but not among the open referrals
        closed = {i.referral_id: i.status for i in timeline.items if i.type == "referral"}
        assert closed[declined.id] == "rejected" and closed[cancelled.id] == "cancelled"
        assert done.id not in closed  # B→C: A is no party and there is no consent


# --- a constant number of queries -------------------------------------------------------------

@contextmanager
def count_statements():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def build_journey(company, users, n_events: int, seed: int = 0):
    """A journey of about ``n_events`` events from several organisations: interventions with
    bottlenecks and topics, referrals with steps, consent given (and once withdrawn)."""
    import random
    rng = random.Random(seed)
    events = 0
    with time_machine.travel(at(2025, 1, 6), tick=False):
        give_consent(company, "getekend formulier", by=users[0])
        events += 1
    # Every journey, short or long, starts the same way, so that each viewer has something of
    # every kind to see (an own intervention, a referral of their own, a step) in both.
    day = date(2025, 1, 6)
    log(company, users[0], day, bottlenecks=["weten"], topics=["ai"])
    referral = refer(company, users[1].organisation, "Eerste vraag", by=users[0],
                     entrepreneur_agrees=True)
    transition(referral, "accept", by=users[1])
    log(company, users[2], day, kind="bezoek", bottlenecks=["willen"], topics=["data"])
    events += 4
    if n_events > 20:
        withdraw_consent(company, by=users[1])
        give_consent(company, "opnieuw, mondeling", by=users[2])
        events += 2
    while events < n_events:
        sender = users[events % len(users)]
        if events % 10 == 3:
            receiver = users[(events + 1) % len(users)]
            referral = refer(company, receiver.organisation, f"Vraag {events}", by=sender,
                             context="Context", entrepreneur_agrees=True)
            transition(referral, "accept", by=receiver)
            events += 2
            if events % 3 == 0 and events < n_events:
                transition(referral, "start", by=receiver)
                transition(referral, "complete", by=receiver, outcome="Gedaan")
                events += 2
        else:
            day += timedelta(days=1)
            log(company, sender, day, kind=rng.choice(INTERVENTION_KIND_SLUGS),
                bottlenecks=rng.sample(BOTTLENECK_SLUGS, rng.randint(1, 2)),
                topics=rng.sample(TOPIC_SLUGS, rng.randint(1, 3)),
                internal_note="intern")
            events += 1
    db.session.commit()


@pytest.fixture
def network(fast_hashing, make_org, make_user):
    orgs = [make_org(name=f"Org {i}") for i in range(6)]
    users = [make_user(org=o, role="staff") for o in orgs]
    coordinator = make_user(org=make_org(name="Regio"), role="coordinator",
                            provinces=("Utrecht",))
    outsider = make_user(org=make_org(name="Buiten"), role="admin")
    return users, coordinator, outsider


def _measure(company, viewer):
    # Load what the caller already has in hand (the company row, the signed-in user), so only
    # the timeline's own statements are counted.
    _ = company.id, company.province_id, viewer.organisation_id, viewer.is_active
    _ = list(viewer.provinces)
    with count_statements() as statements:
        timeline = timeline_for(company, viewer)
    return len(statements), timeline


def test_constant_number_of_queries(network, make_company):
    users, coordinator, outsider = network
    short, long = make_company(municipality="Utrecht"), make_company(municipality="Utrecht")
    build_journey(short, users, 5)
    build_journey(long, users, 200, seed=1)
    for viewer in (users[0], coordinator, outsider):
        n_short, t_short = _measure(short, viewer)
        n_long, t_long = _measure(long, viewer)
        assert len(t_long.items) >= 200 > 5 <= len(t_short.items)
        assert any(i.type == "referral-step" for i in t_short.items)
        assert any(i.bottlenecks for i in t_long.items if i.type == "intervention")
        assert n_short == n_long, (viewer.role, n_short, n_long)
        assert len(t_short.items) == 5 or viewer is not users[0]
    # Without consent the same again (a party, a coordinator, and someone who sees little).
    for company in (short, long):
        withdraw_consent(company, by=users[0])
    db.session.commit()
    counts = {}
    for viewer in (users[0], coordinator, outsider):
        counts[viewer.id] = (_measure(short, viewer)[0], _measure(long, viewer)[0])
    assert all(a == b for a, b in counts.values()), counts


def test_query_count_is_small(network, make_company):
    """Six statements by design (see crm/journeys/timeline.py); allow a little slack."""
    users, coordinator, outsider = network
    company = make_company(municipality="Utrecht")
    build_journey(company, users, 60)
    n, _ = _measure(company, coordinator)
    assert n <= 8, n


def _key(item):
    return (item.type, item.kind, item.id)


def test_latest_items_are_the_tail_of_the_whole_timeline(network, make_company):
    """Asked for the latest N, the timeline holds exactly the last N items of the whole one
    and tells how many there are in all, for each kind of viewer, with and without consent."""
    users, coordinator, outsider = network
    company = make_company(municipality="Utrecht")
    build_journey(company, users, 80, seed=3)
    for consented in (True, False):
        if not consented:
            withdraw_consent(company, by=users[2])
            db.session.commit()
        for viewer in (users[0], users[3], coordinator, outsider):
            whole = timeline_for(company, viewer)
            assert whole.total == len(whole.items)
            for n in (1, 7, 50, 500):
                latest = timeline_for(company, viewer, latest=n)
                assert [_key(i) for i in latest.items] == [_key(i) for i in whole.items[-n:]]
                assert latest.total == len(whole.items), (viewer.role, n)
                assert latest.open_referrals == whole.open_referrals
                assert latest.has_consent == whole.has_consent == consented


def test_company_page_shows_the_latest_steps_and_offers_the_rest(
        network, make_company, login_as):
    users, _, _ = network
    company = make_company(municipality="Utrecht")
    build_journey(company, users, 90, seed=4)
    total = len(timeline_for(company, users[0]).items)
    assert total > 50
    client = login_as(users[0])
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert page.count('<li class="timeline-item') == 50
    assert f"Alle {total} stappen van de klantreis tonen" in page
    everything = client.get(f"/companies/{company.id}?timeline=all").get_data(as_text=True)
    assert everything.count('<li class="timeline-item') == total
    assert "stappen van de klantreis tonen" not in everything
