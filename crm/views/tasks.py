"""Follow-up tasks: adding one to an intervention or referral, "my tasks", marking done."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..reference import parse_id
from ..forms import ConfirmForm
from ..journey_forms import TaskForm
from ..journeys.tasks import add_task, complete_task, my_tasks, overdue_tasks
from ..models import FollowUpTask, Intervention, Referral, User
from ..policy import EDIT
from .base import RecordView, submit

bp = Blueprint("tasks", __name__)


def owner_choices():
    rows = db.session.execute(
        select(User.id, User.name).where(User.organisation_id == current_user.organisation_id,
                                         User.active.is_(True)).order_by(User.name)).all()
    return [(str(i), n) for i, n in rows]


def _back(subject) -> str:
    if isinstance(subject, Referral):
        return url_for("referrals.detail", id=subject.id)
    return url_for("companies.detail", id=subject.company_id) + "#timeline"


class TaskCreate(RecordView):
    actions = {"GET": EDIT, "HEAD": EDIT, "POST": EDIT}

    def get(self, subject):
        form = TaskForm(formdata=None)
        form.owner_id.choices = owner_choices()
        form.owner_id.data = str(current_user.id)
        return render_template("tasks/form.html", form=form, subject=subject, back=_back(subject))

    def post(self, subject):
        form = TaskForm()
        form.owner_id.choices = owner_choices()
        owner = form.owner_id.data or ""
        owner = parse_id(owner)
        return submit(form, lambda: add_task(subject, {
            "kind": form.kind.data, "title": form.title.data, "due_on": form.due_on.data,
            "owner": owner}, by=current_user),
            message=_("Follow-up planned."), next_url=_back(subject),
            template="tasks/form.html", subject=subject, back=_back(subject))


class InterventionTaskCreate(TaskCreate):
    model = Intervention


class ReferralTaskCreate(TaskCreate):
    model = Referral


class TaskDone(RecordView):
    model = FollowUpTask
    actions = {"POST": EDIT}

    def post(self, task):
        if ConfirmForm().validate():
            complete_task(task, by=current_user)
            db.session.commit()
            flash(_("Task marked as done."), "success")
        return redirect(request.form.get("next") if (request.form.get("next") or "").startswith(
            "/") and not request.form.get("next", "").startswith("//") else url_for("tasks.mine"))


bp.add_url_rule("/interventions/<int:id>/tasks/new",
                view_func=InterventionTaskCreate.as_view("for_intervention"))
bp.add_url_rule("/referrals/<int:id>/tasks/new",
                view_func=ReferralTaskCreate.as_view("for_referral"))
bp.add_url_rule("/tasks/<int:id>/done", view_func=TaskDone.as_view("done"), methods=["POST"])


@bp.route("/tasks")
def mine():
    tasks = db.session.scalars(my_tasks(current_user).limit(200)).all()
    overdue = db.session.scalars(overdue_tasks(current_user).limit(200)).all()
    return render_template("tasks/list.html", tasks=tasks, overdue=overdue)
