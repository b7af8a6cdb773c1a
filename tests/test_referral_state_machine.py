"""The referral state machine, exhaustively: every status × every action × every actor.

The expected outcomes are written out below from the issue's rules, not derived from
``referrals.TRANSITIONS``, so that a wrong entry there makes a test fail:

* ``requested → accepted | rejected``; ``accepted → in-progress ⇄ on-hold``; an accepted,
  in-progress or on-hold referral ends ``completed`` (with outcome) or ``failed`` (with reason,
  "no follow-up"); ``cancelled`` by the sender before acceptance.
* Only the receiving organisation accepts, rejects, starts, holds, completes or fails; only the
  sender cancels. Nobody else, whatever their role: not a coordinator of the company's
  province, not an administrator of a third organisation.
* A wrong party gets NotAllowed; the right party in the wrong status gets IllegalTransition.
"""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.journeys import referrals
from crm.journeys.errors import NotAllowed, ValidationFailed
from crm.journeys.referrals import Conflict, IllegalTransition, is_overdue, refer, transition
from crm.journeys.workdays import add_working_days, easter, holidays, is_working_day
from crm.models import AuditEntry, Referral, ReferralStep, User

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ROLES = ("account_manager", "staff", "coordinator", "admin")
STATUSES = ("requested", "accepted", "rejected", "in-progress", "on-hold", "completed",
            "failed", "cancelled")
ACTIONS = ("accept", "reject", "start", "hold", "complete", "fail", "cancel")

#: (status, action) → the status it leads to. Everything not listed is an illegal transition.
LEGAL = {
    ("requested", "accept"): "accepted",
    ("requested", "reject"): "rejected",
    ("requested", "cancel"): "cancelled",
    ("accepted", "start"): "in-progress",
    ("accepted", "complete"): "completed",
    ("accepted", "fail"): "failed",
    ("in-progress", "hold"): "on-hold",
    ("in-progress", "complete"): "completed",
    ("in-progress", "fail"): "failed",
    ("on-hold", "start"): "in-progress",
    ("on-hold", "complete"): "completed",
    ("on-hold", "fail"): "failed",
}
#: Which side takes which action.
SIDE = {"accept": "receiver", "reject": "receiver", "start": "receiver", "hold": "receiver",
        "complete": "receiver", "fail": "receiver", "cancel": "sender"}
FINAL = {"rejected", "completed", "failed", "cancelled"}

#: Every actor: (label, which organisation, role, coordinated provinces).
ACTORS = (
    [(f"sender-{r}", "sender", r, ("Utrecht",) if r == "coordinator" else ()) for r in ROLES]
    + [(f"receiver-{r}", "receiver", r, ("Utrecht",) if r == "coordinator" else ())
       for r in ROLES]
    + [(f"third-{r}", "third", r, ()) for r in ROLES]
    + [("coordinator-of-province", "coordinator-org", "coordinator", ("Utrecht",)),
       ("admin-of-third-org", "coordinator-org", "admin", ())]
)


def expected(status: str, action: str, party: str):
    """What should happen: the target status, NotAllowed or IllegalTransition."""
    if party != SIDE[action]:
        return NotAllowed
    if (status, action) not in LEGAL:
        return IllegalTransition
    return LEGAL[(status, action)]


def test_the_table_covers_the_module():
    # The names must agree; the table itself is the issue's, written out above.
    assert set(referrals.ACTIONS) == set(ACTIONS)
    assert set(referrals.FINAL_STATUSES) == FINAL


ARGS = {"reject": {"reason": "geen-capaciteit"}, "fail": {"reason": "niet-bereikbaar"},
        "complete": {"outcome": "Scan uitgevoerd; vervolgtraject afgesproken."}}


@pytest.fixture
def fast_hashing(monkeypatch):
    """These users never sign in: skip the deliberately slow scrypt hashing in ``make_user``."""
    import werkzeug.security
    real = werkzeug.security.generate_password_hash
    monkeypatch.setattr(werkzeug.security, "generate_password_hash",
                        lambda password: real(password, method="pbkdf2:sha256:1"))


@pytest.fixture
def world(fast_hashing, make_org, make_user, make_company):
    orgs = {"sender": make_org(name="Afzender"), "receiver": make_org(name="Ontvanger"),
            "third": make_org(name="Derde"), "coordinator-org": make_org(name="Regio")}
    company = make_company(municipality="Utrecht")
    author = make_user(org=orgs["sender"], role="account_manager")
    actors = {}
    for label, party, role, provinces in ACTORS:
        actors[label] = (party, make_user(org=orgs[party], role=role, provinces=provinces))
    return orgs, company, author, actors


def fresh_referral(company, orgs, author, status: str) -> Referral:
    """A new referral A→B, put directly into ``status`` with the fields its checks require."""
    referral = refer(company, orgs["receiver"], "Wij willen een webshop.", by=author,
                     context="Kleine bakkerij, 3 medewerkers.", entrepreneur_agrees=True)
    now = datetime.now(timezone.utc)
    if status != "requested":
        referral.status = status
        if status not in ("rejected", "cancelled"):
            referral.accepted_at = now
        if status in FINAL:
            referral.closed_at = now
        if status == "completed":
            referral.outcome = "Afgerond."
        if status in ("rejected", "failed"):
            referral.reason = "anders"
            referral.reason_text = "Zie telefoongesprek."
    db.session.commit()
    return referral


def _counts(referral_id):
    steps = db.session.scalar(sa.select(sa.func.count()).select_from(ReferralStep)
                              .where(ReferralStep.referral_id == referral_id))
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.record_type == "referral", AuditEntry.record_id == referral_id))
    return steps, audits


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", STATUSES)
def test_every_status_action_and_actor(world, status, action, subtests):
    orgs, company, author, actors = world
    for label, (party, user) in actors.items():
        with subtests.test(actor=label):
            referral = fresh_referral(company, orgs, author, status)
            rid = referral.id
            steps_before, audits_before = _counts(rid)
            want = expected(status, action, party)
            if isinstance(want, str):
                started = datetime.now(timezone.utc)
                transition(referral, action, by=user, **ARGS.get(action, {}))
                db.session.commit()
                db.session.expire_all()
                referral = db.session.get(Referral, rid)
                assert referral.status == want
                step = db.session.scalars(sa.select(ReferralStep).where(
                    ReferralStep.referral_id == rid).order_by(ReferralStep.id.desc())).first()
                assert (step.action, step.from_status, step.to_status) == (action, status, want)
                assert step.actor_id == user.id
                assert step.organisation_id == user.organisation_id
                assert step.at is not None and step.at >= started - timedelta(seconds=1)
                entry = db.session.scalars(sa.select(AuditEntry).where(
                    AuditEntry.record_type == "referral", AuditEntry.record_id == rid)
                    .order_by(AuditEntry.id.desc())).first()
                assert entry.action == action
                assert entry.user_id == user.id
                assert entry.organisation_id == user.organisation_id
                assert entry.company_id == company.id
                assert entry.changes["status"] == [status, want]
                assert _counts(rid) == (steps_before + 1, audits_before + 1)
                if action == "accept":
                    assert referral.accepted_at is not None
                if want in FINAL:
                    assert referral.closed_at is not None
                else:
                    assert referral.closed_at is None
            else:
                with pytest.raises(want):
                    transition(referral, action, by=user, **ARGS.get(action, {}))
                db.session.rollback()
                db.session.expire_all()
                assert db.session.get(Referral, rid).status == status
                assert _counts(rid) == (steps_before, audits_before)


@pytest.mark.parametrize("status", STATUSES)
def test_allowed_actions_lists_exactly_the_legal_ones(world, status):
    orgs, company, author, actors = world
    referral = fresh_referral(company, orgs, author, status)
    for label, (party, user) in actors.items():
        want = sorted(a for a in ACTIONS if isinstance(expected(status, a, party), str))
        assert sorted(referrals.allowed_actions(referral, user)) == want, label


def test_unknown_action_is_an_illegal_transition(world):
    orgs, company, author, actors = world
    referral = fresh_referral(company, orgs, author, "requested")
    with pytest.raises(IllegalTransition):
        transition(referral, "delete", by=actors["receiver-staff"][1])


def test_a_whole_journey_through_legal_transitions(world):
    orgs, company, author, actors = world
    receiver = actors["receiver-staff"][1]
    referral = refer(company, orgs["receiver"], "Hulp bij cybersecurity.", by=author,
                     entrepreneur_agrees=True)
    db.session.commit()
    assert referral.status == "requested" and referral.accepted_at is None
    for action in ("accept", "start", "hold", "start", "hold", "complete"):
        transition(referral, action, by=receiver, **ARGS.get(action, {}))
        db.session.commit()
    assert referral.status == "completed"
    assert referral.outcome == ARGS["complete"]["outcome"]
    assert referral.accepted_at is not None and referral.closed_at >= referral.accepted_at
    steps = db.session.scalars(sa.select(ReferralStep).where(
        ReferralStep.referral_id == referral.id).order_by(ReferralStep.id)).all()
    assert [(s.action, s.from_status, s.to_status) for s in steps] == [
        ("send", None, "requested"), ("accept", "requested", "accepted"),
        ("start", "accepted", "in-progress"), ("hold", "in-progress", "on-hold"),
        ("start", "on-hold", "in-progress"), ("hold", "in-progress", "on-hold"),
        ("complete", "on-hold", "completed")]
    assert [s.actor_id for s in steps] == [author.id] + [receiver.id] * 6
    assert all(s.at is not None for s in steps)
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.record_type == "referral", AuditEntry.record_id == referral.id)
        .order_by(AuditEntry.id)).all()
    assert actions == ["create", "accept", "start", "hold", "start", "hold", "complete"]


# --- reasons and outcome ----------------------------------------------------------------------

@pytest.mark.parametrize("action, status", [("reject", "requested"), ("fail", "accepted"),
                                            ("fail", "in-progress"), ("fail", "on-hold")])
@pytest.mark.parametrize("reason, text", [(None, None), ("", "uitleg"), ("onbekend", None),
                                          ("anders", None), ("anders", "   ")])
def test_reject_and_fail_need_a_reason_from_the_list(world, action, status, reason, text):
    orgs, company, author, actors = world
    referral = fresh_referral(company, orgs, author, status)
    with pytest.raises(ValidationFailed) as info:
        transition(referral, action, by=actors["receiver-staff"][1], reason=reason,
                   reason_text=text)
    assert set(info.value.errors) & {"reason", "reason_text"}
    db.session.rollback()
    assert db.session.get(Referral, referral.id).status == status


@pytest.mark.parametrize("action, status", [("reject", "requested"), ("fail", "on-hold")])
@pytest.mark.parametrize("reason", ["geen-capaciteit", "past-niet", "niet-bereikbaar",
                                    "ziet-ervan-af", "elders-geholpen", "anders"])
def test_every_listed_reason_is_accepted(world, action, status, reason):
    orgs, company, author, actors = world
    referral = fresh_referral(company, orgs, author, status)
    text = "Ondernemer verhuist naar het buitenland." if reason == "anders" else None
    transition(referral, action, by=actors["receiver-staff"][1], reason=reason, reason_text=text)
    db.session.commit()
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    assert referral.reason == reason
    if reason == "anders":
        assert referral.reason_text == text
    step = referral.steps[-1]
    assert step.reason == reason


@pytest.mark.parametrize("status", ["accepted", "in-progress", "on-hold"])
@pytest.mark.parametrize("outcome", [None, "", "   \n "])
def test_complete_needs_an_outcome(world, status, outcome):
    orgs, company, author, actors = world
    referral = fresh_referral(company, orgs, author, status)
    with pytest.raises(ValidationFailed) as info:
        transition(referral, "complete", by=actors["receiver-staff"][1], outcome=outcome)
    assert "outcome" in info.value.errors
    db.session.rollback()
    assert db.session.get(Referral, referral.id).status == status


def test_cancel_sets_closed_but_not_accepted(world):
    orgs, company, author, actors = world
    referral = fresh_referral(company, orgs, author, "requested")
    transition(referral, "cancel", by=actors["sender-staff"][1])
    db.session.commit()
    assert referral.status == "cancelled"
    assert referral.closed_at is not None and referral.accepted_at is None


# --- concurrency ------------------------------------------------------------------------------

def test_two_sessions_race_and_exactly_one_wins(world):
    orgs, company, author, actors = world
    referral = fresh_referral(company, orgs, author, "requested")
    rid = referral.id
    receiver_id, sender_id = actors["receiver-staff"][1].id, actors["sender-staff"][1].id

    other = Session(db.engine, expire_on_commit=False)
    try:
        # Both sessions have the referral loaded in its "requested" state.
        theirs = other.get(Referral, rid)
        their_sender = other.get(User, sender_id)
        assert theirs.status == "requested"
        _ = their_sender.organisation.name, theirs.company.name
        other.commit()  # end the read transaction; the loaded objects stay as they are

        receiver = db.session.get(User, receiver_id)
        transition(db.session.get(Referral, rid), "accept", by=receiver)
        db.session.commit()

        with pytest.raises(Conflict) as info:
            transition(theirs, "cancel", by=their_sender)
        assert info.value.params["status"] == "accepted"
    finally:
        other.rollback()
        other.close()
    db.session.expire_all()
    referral = db.session.get(Referral, rid)
    assert referral.status == "accepted"
    assert [s.action for s in referral.steps] == ["send", "accept"]


# --- overdue and the working-days calendar ----------------------------------------------------

def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)


def test_overdue_after_five_working_days_over_easter(world):
    orgs, company, author, actors = world
    # Monday 30 March 2026; Goede Vrijdag 3 April and Paasmaandag 6 April are no working days:
    # Tue 31, Wed 1, Thu 2, Tue 7, Wed 8 → accept by Wednesday 8 April.
    with time_machine.travel(_at(date(2026, 3, 30)), tick=False):
        referral = refer(company, orgs["receiver"], "Vraag over AI.", by=author,
                         entrepreneur_agrees=True)
        db.session.commit()
        assert referral.accept_due_on == date(2026, 4, 8)
        assert not is_overdue(referral)
    with time_machine.travel(_at(date(2026, 4, 8), 23), tick=False):
        assert not is_overdue(referral)
    with time_machine.travel(_at(date(2026, 4, 9), 0) + timedelta(minutes=1), tick=False):
        assert is_overdue(referral)
        assert referral.id in db.session.scalars(
            referrals.overdue_referrals().with_only_columns(Referral.id)).all()
    # Once accepted it is no longer overdue.
    with time_machine.travel(_at(date(2026, 4, 10)), tick=False):
        transition(referral, "accept", by=actors["receiver-staff"][1])
        db.session.commit()
        assert not is_overdue(referral)


def test_overdue_uses_the_amsterdam_date(world):
    orgs, company, author, actors = world
    with time_machine.travel(_at(date(2026, 6, 1)), tick=False):  # a Monday
        referral = refer(company, orgs["receiver"], "Vraag.", by=author, entrepreneur_agrees=True)
        db.session.commit()
    assert referral.accept_due_on == date(2026, 6, 8)
    # 23:30 UTC on Monday 8 June is already Tuesday 9 June in Amsterdam.
    with time_machine.travel(datetime(2026, 6, 8, 23, 30, tzinfo=timezone.utc), tick=False):
        assert is_overdue(referral)
    with time_machine.travel(datetime(2026, 6, 8, 21, 30, tzinfo=timezone.utc), tick=False):
        assert not is_overdue(referral)


def test_accept_within_is_configurable(world):
    orgs, company, author, actors = world
    with time_machine.travel(_at(date(2026, 6, 5)), tick=False):  # a Friday
        referral = refer(company, orgs["receiver"], "Vraag.", by=author,
                         entrepreneur_agrees=True, accept_within=2)
    assert referral.accept_due_on == date(2026, 6, 9)


def test_easter_dates():
    assert easter(2026) == date(2026, 4, 5)
    assert easter(2025) == date(2025, 4, 20)
    assert easter(2024) == date(2024, 3, 31)
    assert easter(2027) == date(2027, 3, 28)


def test_holidays_2026():
    h = holidays(2026)
    for day in (date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 4, 27),
                date(2026, 5, 5), date(2026, 5, 14), date(2026, 5, 25), date(2026, 12, 25),
                date(2026, 12, 26)):
        assert day in h, day
    assert date(2026, 4, 5) in h or not is_working_day(date(2026, 4, 5))  # a Sunday anyway


def test_koningsdag():
    assert not is_working_day(date(2026, 4, 27))  # a Monday
    # 27 April 2025 is a Sunday: Koningsdag is on Saturday the 26th.
    assert date(2025, 4, 26) in holidays(2025)
    assert is_working_day(date(2025, 4, 28))
    # The Tuesday after Koningsdag 2026 is an ordinary working day.
    assert add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)


def test_add_working_days_over_a_weekend():
    assert add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 12)  # Fri → Mon
    assert add_working_days(date(2026, 1, 10), 1) == date(2026, 1, 12)  # Sat → Mon
    assert add_working_days(date(2026, 1, 7), 5) == date(2026, 1, 14)  # Wed → next Wed
    assert add_working_days(date(2026, 1, 12), 0) == date(2026, 1, 12)


def test_add_working_days_over_kerst_and_new_year():
    # Wednesday 24 December 2025: Kerst on Thursday and Friday, then a weekend.
    assert add_working_days(date(2025, 12, 24), 1) == date(2025, 12, 29)
    # … and Nieuwjaarsdag (Thursday 1 January 2026) is skipped too.
    assert add_working_days(date(2025, 12, 24), 5) == date(2026, 1, 5)
    # 2026: Kerst falls on Friday and Saturday.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)


def test_add_working_days_over_hemelvaart_and_pinksteren():
    assert add_working_days(date(2026, 5, 13), 1) == date(2026, 5, 15)  # Hemelvaart 14 May
    assert add_working_days(date(2026, 5, 22), 1) == date(2026, 5, 26)  # Pinkstermaandag 25 May
