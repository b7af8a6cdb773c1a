"""Follow-up tasks on interventions and referrals: "my tasks" and overdue ones."""
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import object_session

from ..models import FollowUpTask, Intervention, Referral, User, utcnow
from ..models.vocabulary import TASK_KIND_SLUGS
from ..policy import may, task_filter
from . import audit
from .clock import today
from .errors import N_, NotAllowed, ValidationFailed


def add_task(subject: Intervention | Referral, data: dict, *, by: User) -> FollowUpTask:
    """A follow-up on ``subject`` with a due date and an owner of the user's organisation."""
    session = object_session(by)
    if not may(by, "edit", subject):
        raise NotAllowed()
    errors = {}
    kind = data.get("kind") or "terugbelafspraak"
    if kind not in TASK_KIND_SLUGS:
        errors["kind"] = [(N_("Choose a kind of follow-up from the list."), {})]
    title = " ".join((data.get("title") or "").split())
    if not title:
        errors["title"] = [(N_("Say what is to be done."), {})]
    due = data.get("due_on")
    if isinstance(due, str):
        try:
            due = date.fromisoformat(due)
        except ValueError:
            due = None
    if not isinstance(due, date):
        errors["due_on"] = [(N_("Enter a due date such as 2026-03-31."), {})]
    owner = data.get("owner") or by
    if isinstance(owner, int):
        owner = session.get(User, owner)
    if owner is None or owner.organisation_id != by.organisation_id or not owner.active:
        errors["owner_id"] = [(N_("Choose a colleague of your own organisation."), {})]
    if errors:
        raise ValidationFailed(errors)
    task = FollowUpTask(
        company_id=subject.company_id, organisation_id=by.organisation_id, kind=kind,
        title=title[:200], due_on=due, owner_id=owner.id, created_by_id=by.id,
        created_at=utcnow(),
        intervention_id=subject.id if isinstance(subject, Intervention) else None,
        referral_id=subject.id if isinstance(subject, Referral) else None)
    session.add(task)
    session.flush()
    audit.record(by, "create", "task", task.id, company_id=task.company_id,
                 changes={"due_on": [None, due], "owner_id": [None, owner.id]})
    return task


def complete_task(task: FollowUpTask, *, by: User) -> FollowUpTask:
    if not may(by, "edit", task):
        raise NotAllowed()
    if task.done_at is None:
        task.done_at = utcnow()
        audit.record(by, "complete", "task", task.id, company_id=task.company_id,
                     changes={"done_at": [None, task.done_at]})
        object_session(by).flush()
    return task


def my_tasks(user: User) -> Select:
    """The user's open tasks, soonest first."""
    return (select(FollowUpTask).where(FollowUpTask.owner_id == user.id,
                                       FollowUpTask.done_at.is_(None))
            .order_by(FollowUpTask.due_on, FollowUpTask.id))


def overdue_tasks(user: User, on: date | None = None) -> Select:
    """Open tasks of the user's organisation past their due date."""
    return (select(FollowUpTask).where(task_filter(user), FollowUpTask.done_at.is_(None),
                                       FollowUpTask.due_on < (on or today()))
            .order_by(FollowUpTask.due_on, FollowUpTask.id))
