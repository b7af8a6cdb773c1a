"""Referrals: the warm handover to the next door, and its lifecycle (a state machine).

Statuses are named after HL7 FHIR Task.status::

    requested → accepted | rejected
    accepted → in-progress ⇄ on-hold
    accepted | in-progress | on-hold → completed (with outcome) | failed (with reason)
    requested → cancelled (by the sender)

Only the receiving organisation accepts, rejects, starts, holds, completes or fails; only the
sender cancels. Transitions are compare-and-set on the referral's version, so of two racing
transitions exactly one wins and the other raises :class:`Conflict`.
"""
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import StaleDataError

from ..models import Company, Offering, Organisation, Referral, ReferralStep, User, utcnow
from ..models.vocabulary import OPEN_REFERRAL_STATUSES, REFERRAL_REASON_SLUGS
from ..policy import may, referral_party_filter
from . import audit
from .clock import today
from .errors import N_, DomainError, NotAllowed, ValidationFailed
from .notifications import notify_referral
from .workdays import add_working_days

DEFAULT_ACCEPT_WITHIN = 5  # working days


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    #: Which side may take it: "receiver" or "sender".
    side: str
    needs_reason: bool = False
    needs_outcome: bool = False


TRANSITIONS = {t.action: t for t in [
    Transition("accept", ("requested",), "accepted", "receiver"),
    Transition("reject", ("requested",), "rejected", "receiver", needs_reason=True),
    Transition("start", ("accepted", "on-hold"), "in-progress", "receiver"),
    Transition("hold", ("in-progress",), "on-hold", "receiver"),
    Transition("complete", ("accepted", "in-progress", "on-hold"), "completed", "receiver",
               needs_outcome=True),
    Transition("fail", ("accepted", "in-progress", "on-hold"), "failed", "receiver",
               needs_reason=True),
    Transition("cancel", ("requested",), "cancelled", "sender"),
]}
ACTIONS = tuple(TRANSITIONS)
FINAL_STATUSES = ("rejected", "completed", "failed", "cancelled")

_NOTIFY = {"accept": "referral-accepted", "reject": "referral-rejected",
           "complete": "referral-completed", "fail": "referral-failed",
           "cancel": "referral-cancelled"}


class IllegalTransition(DomainError):
    message = N_("The step “%(action)s” is not possible for a referral that is %(status)s.")


class Conflict(DomainError):
    message = N_("Someone else changed this referral in the meantime; it is now %(status)s. "
                 "Reload the page to see where it stands.")


def allowed_actions(referral: Referral, user: User) -> list[str]:
    """The actions ``user`` may take on ``referral`` in its current status."""
    return [a for a, t in TRANSITIONS.items()
            if referral.status in t.sources and may(user, a, referral)]


def _clean_text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def refer(company: Company, to_org: Organisation, question: str, *, by: User,
          context: str = "", entrepreneur_agrees: bool = False,
          accept_within: int = DEFAULT_ACCEPT_WITHIN,
          offering: Offering | None = None) -> Referral:
    """Hand ``company`` over to ``to_org`` with the entrepreneur's question, optionally to one
    of ``to_org``'s offerings (active, not expired, taking referrals)."""
    session = object_session(by)
    errors = {}
    if to_org is None or not to_org.active:
        errors["to_organisation_id"] = [(N_("Choose an active organisation to refer to."), {})]
    elif to_org.id == by.organisation_id:
        errors["to_organisation_id"] = [(N_("You cannot refer to your own organisation."), {})]
    if offering is not None:
        if to_org is None or offering.organisation_id != to_org.id:
            errors["offering_id"] = [
                (N_("Choose an offering of the organisation you refer to."), {})]
        elif not (offering.active and offering.takes_referrals
                  and not offering.expired(today())):
            errors["offering_id"] = [(N_("This offering does not take referrals now."), {})]
    question = _clean_text(question, 4000)
    if not question:
        errors["question"] = [(N_("Write down the entrepreneur's question."), {})]
    if not entrepreneur_agrees:
        errors["entrepreneur_agrees"] = [
            (N_("A referral needs the entrepreneur's agreement to the handover."), {})]
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    referral = Referral(
        company_id=company.id, from_organisation_id=by.organisation_id,
        to_organisation_id=to_org.id, offering_id=offering.id if offering else None,
        question=question,
        context=_clean_text(context, 8000), entrepreneur_agrees=True, status="requested",
        accept_due_on=add_working_days(today(), accept_within), created_by_id=by.id,
        created_at=now)
    session.add(referral)
    session.flush()
    session.add(ReferralStep(referral_id=referral.id, from_status=None, to_status="requested",
                             action="send", actor_id=by.id, organisation_id=by.organisation_id,
                             at=now))
    audit.record(by, "create", "referral", referral.id, company_id=company.id,
                 changes={"status": [None, "requested"], "to_organisation_id": [None, to_org.id],
                          "offering_id": [None, offering.id if offering else None]})
    notify_referral(session, "referral-new", referral, to_organisation_id=to_org.id,
                    other_organisation_name=by.organisation.name)
    session.flush()
    return referral


def transition(referral: Referral, action: str, *, by: User, reason: str | None = None,
               reason_text: str | None = None, outcome: str | None = None) -> Referral:
    """Take ``action`` on ``referral``. Raises NotAllowed, IllegalTransition, ValidationFailed
    or Conflict (someone else moved it first)."""
    session = object_session(by)
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise IllegalTransition(status=referral.status, action=action)
    if not may(by, action, referral):
        raise NotAllowed()
    if referral.status not in rule.sources:
        raise IllegalTransition(status=referral.status, action=action)
    errors = {}
    reason = (reason or "").strip() or None
    reason_text = _clean_text(reason_text, 4000) or None
    outcome = _clean_text(outcome, 8000) or None
    if rule.needs_reason:
        if reason not in REFERRAL_REASON_SLUGS:
            errors["reason"] = [(N_("Choose a reason from the list."), {})]
        elif reason == "anders" and not reason_text:
            errors["reason_text"] = [(N_("Explain the reason."), {})]
    if rule.needs_outcome and not outcome:
        errors["outcome"] = [(N_("Describe the outcome."), {})]
    if errors:
        raise ValidationFailed(errors)

    now = utcnow()
    before = referral.status
    by_id, org_id = by.id, by.organisation_id
    with session.no_autoflush:
        referral.status = rule.target
        if action == "accept":
            referral.accepted_at = now
        if rule.target in FINAL_STATUSES:
            referral.closed_at = now
        if rule.needs_reason:
            referral.reason, referral.reason_text = reason, reason_text
        if rule.needs_outcome:
            referral.outcome = outcome
    try:
        session.flush()  # UPDATE … WHERE version = :seen — the compare-and-set
    except StaleDataError:
        session.rollback()
        current = session.get(Referral, referral.id)
        raise Conflict(status=current.status if current else "?") from None
    session.add(ReferralStep(referral_id=referral.id, from_status=before, to_status=rule.target,
                             action=action, actor_id=by_id, organisation_id=org_id, at=now,
                             reason=reason if rule.needs_reason else None,
                             note=outcome if rule.needs_outcome else reason_text))
    changes = {"status": [before, rule.target]}
    if rule.needs_reason:
        changes["reason"] = [None, reason]
    if rule.needs_outcome:
        changes["outcome"] = [None, outcome]
    audit.record(by, action, "referral", referral.id, company_id=referral.company_id,
                 changes=changes)
    if action in _NOTIFY:
        other = (referral.from_organisation_id if rule.side == "receiver"
                 else referral.to_organisation_id)
        notify_referral(session, _NOTIFY[action], referral, to_organisation_id=other,
                        other_organisation_name=by.organisation.name)
    session.flush()
    return referral


def is_overdue(referral: Referral, on=None) -> bool:
    return referral.status == "requested" and referral.accept_due_on < (on or today())


def inbox(user: User) -> Select:
    """Referrals sent to the user's organisation, open ones first, newest first."""
    return (select(Referral).where(Referral.to_organisation_id == user.organisation_id)
            .order_by((Referral.status.in_(OPEN_REFERRAL_STATUSES)).desc(),
                      Referral.created_at.desc(), Referral.id.desc()))


def outbox(user: User) -> Select:
    """Referrals the user's organisation sent."""
    return (select(Referral).where(Referral.from_organisation_id == user.organisation_id)
            .order_by((Referral.status.in_(OPEN_REFERRAL_STATUSES)).desc(),
                      Referral.created_at.desc(), Referral.id.desc()))


def overdue_referrals(on=None) -> Select:
    """Requested referrals past their accept-by date."""
    return select(Referral).where(Referral.status == "requested",
                                  Referral.accept_due_on < (on or today()))


def referrals_visible_in_full(user: User) -> Select:
    return select(Referral).where(referral_party_filter(user))


def notify_overdue(session, on=None) -> int:
    """Notify both sides once of every overdue referral; returns how many were notified."""
    count = 0
    for referral in session.scalars(overdue_referrals(on).where(
            Referral.overdue_notified_at.is_(None))):
        for org_id, other in ((referral.to_organisation_id, referral.from_organisation),
                              (referral.from_organisation_id, referral.to_organisation)):
            notify_referral(session, "referral-overdue", referral, to_organisation_id=org_id,
                            other_organisation_name=other.name)
        referral.overdue_notified_at = utcnow()
        count += 1
    session.flush()
    return count
