"""Referrals: the handover form, the inbox and outbox, a referral's page and its actions."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..reference import parse_id
from ..journey_forms import ReferralActionForm, ReferralForm, TaskForm
from ..journeys.errors import DomainError, NotAllowed, ValidationFailed
from ..journeys.referrals import (TRANSITIONS, Conflict, IllegalTransition, allowed_actions,
                                  inbox, is_overdue, outbox, refer, transition)
from ..models import Company, Organisation, Referral, User
from ..policy import EDIT
from .base import RecordView, apply_errors, int_arg, message
from .labels import status_label

bp = Blueprint("referrals", __name__)


def organisation_choices():
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.active.is_(True), Organisation.id != current_user.organisation_id)
        .order_by(Organisation.name)).all()
    return [("", _("Choose an organisation"))] + [(str(i), n) for i, n in rows]


def offering_choices():
    """Every active offering that takes referrals, grouped by organisation (``<optgroup>``)."""
    from wtforms import SelectChoice

    from ..journeys.clock import today
    from ..models import Offering
    on = today()
    rows = db.session.execute(
        select(Offering.id, Offering.name, Organisation.name)
        .join(Organisation, Organisation.id == Offering.organisation_id)
        .where(Offering.active.is_(True), Offering.takes_referrals.is_(True),
               (Offering.ends_on.is_(None)) | (Offering.ends_on >= on),
               Organisation.active.is_(True),
               Organisation.id != current_user.organisation_id)
        .order_by(Organisation.name, Offering.name, Offering.id)).all()
    return ([SelectChoice("", _("No particular offering"))]
            + [SelectChoice(str(i), name, optgroup=org) for i, name, org in rows])


def referral_suggestions(company, question=None, limit=5):
    """The best next doors for the company, each with its reason in the user's language."""
    from flask_babel import gettext

    from ..journeys.suggestions import explain, suggest_next_doors
    return [(s, explain(s.reasons, gettext))
            for s in suggest_next_doors(company, viewer=current_user, question=question,
                                        limit=limit, session=db.session)]


class ReferralCreate(RecordView):
    """Hand a company over to the next door (a right to edit the company is needed)."""

    model = Company
    actions = {"GET": EDIT, "HEAD": EDIT, "POST": EDIT}

    def _render(self, form, company, status=200):
        form.to_organisation_id.choices = organisation_choices()
        form.offering_id.choices = offering_choices()
        return render_template("referrals/form.html", form=form, company=company,
                               suggestions=referral_suggestions(company, form.question.data)
                               ), status

    def get(self, company):
        from ..models import Offering
        form = ReferralForm(formdata=None)
        to = request.args.get("to", "")[:12]
        offering_id = parse_id(request.args.get("offering", ""))
        if offering_id is not None and parse_id(to) is None:
            offering = db.session.get(Offering, offering_id)
            to = str(offering.organisation_id) if offering else to
        form.to_organisation_id.data = to
        form.offering_id.data = str(offering_id) if offering_id is not None else ""
        return self._render(form, company)

    def post(self, company):
        from ..models import Offering
        form = ReferralForm()
        form.to_organisation_id.choices = organisation_choices()
        if form.validate():
            to_id = parse_id(form.to_organisation_id.data)
            to_org = db.session.get(Organisation, to_id) if to_id is not None else None
            offering_text = form.offering_id.data or ""
            offering_id = parse_id(offering_text)
            offering = db.session.get(Offering, offering_id) if offering_id is not None else None
            if offering_text and offering is None:
                form.offering_id.errors = [_("Choose an offering from the list.")]
                return self._render(form, company, 422)
            try:
                referral = refer(company, to_org, form.question.data, by=current_user,
                                 context=form.context.data or "",
                                 entrepreneur_agrees=form.entrepreneur_agrees.data,
                                 accept_within=current_app.config["REFERRAL_ACCEPT_DAYS"],
                                 offering=offering)
            except ValidationFailed as exc:
                db.session.rollback()
                apply_errors(form, exc)
            else:
                db.session.commit()
                flash(_("Referral sent to %(org)s.", org=to_org.name), "success")
                return redirect(url_for("referrals.detail", id=referral.id))
        return self._render(form, company, 422)


bp.add_url_rule("/companies/<int:id>/refer", view_func=ReferralCreate.as_view("create"))


@bp.route("/referrals")
def boxes():
    box = request.args.get("box", "inbox")
    box = box if box in ("inbox", "outbox") else "inbox"
    status = request.args.get("status") or None
    stmt = inbox(current_user) if box == "inbox" else outbox(current_user)
    if status == "open":
        stmt = stmt.where(Referral.status.in_(("requested", "accepted", "in-progress",
                                               "on-hold")))
    elif status in {t.target for t in TRANSITIONS.values()} | {"requested"}:
        stmt = stmt.where(Referral.status == status)
    else:
        status = None
    stmt = stmt.options(joinedload(Referral.company), joinedload(Referral.from_organisation),
                        joinedload(Referral.to_organisation))
    page = db.paginate(stmt, page=int_arg("page"), per_page=50, error_out=False)
    return render_template("referrals/boxes.html", box=box, status=status, page=page,
                           is_overdue=is_overdue)


class ReferralDetail(RecordView):
    """A referral's page: parties see everything, others with a route right see the route."""

    model = Referral
    view_action = "view-route"

    def get(self, referral):
        from ..policy import may
        full = may(current_user, "view", referral)
        colleagues = db.session.execute(
            select(User.id, User.name).where(User.organisation_id == current_user.organisation_id,
                                             User.active.is_(True)).order_by(User.name)).all()
        task_form = TaskForm(formdata=None)
        task_form.owner_id.choices = [(str(i), n) for i, n in colleagues]
        task_form.owner_id.data = str(current_user.id)
        return render_template(
            "referrals/detail.html", referral=referral, full=full,
            actions=allowed_actions(referral, current_user), form=ReferralActionForm(),
            overdue=is_overdue(referral), task_form=task_form,
            may_add_task=may(current_user, EDIT, referral))


class ReferralAction(RecordView):
    model = Referral
    view_action = "view-route"
    actions = {"POST": EDIT}

    def dispatch_request(self, **kwargs):
        self.action_name = kwargs.pop("action")
        if self.action_name not in TRANSITIONS:
            from flask import abort
            abort(404)
        return super().dispatch_request(**kwargs)

    def post(self, referral):
        form = ReferralActionForm()
        if not form.validate():
            flash(_("The form had expired. Please try again."), "warning")
            return redirect(url_for("referrals.detail", id=referral.id))
        try:
            transition(referral, self.action_name, by=current_user, reason=form.reason.data,
                       reason_text=form.reason_text.data, outcome=form.outcome.data)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = apply_errors(form, exc)
            return render_template(
                "referrals/detail.html", referral=referral, full=True,
                actions=allowed_actions(referral, current_user), form=form,
                overdue=is_overdue(referral), open_action=self.action_name, errors=errors,
                task_form=None, may_add_task=False), 422
        except NotAllowed as exc:
            db.session.rollback()
            return render_template("error.html", code=403, title=_("No access"),
                                   message=message(exc)), 403
        except (IllegalTransition, Conflict, DomainError) as exc:
            # Someone else moved it first, or it is no longer in a state for this: 409.
            db.session.rollback()
            current = db.session.get(Referral, referral.id)
            return render_template(
                "referrals/detail.html", referral=current, full=True,
                actions=allowed_actions(current, current_user), form=ReferralActionForm(),
                overdue=is_overdue(current), conflict=message(exc), task_form=None,
                may_add_task=False), 409
        db.session.commit()
        flash(_("The referral is now %(status)s.", status=status_label(referral.status)),
              "success")
        return redirect(url_for("referrals.detail", id=referral.id))


bp.add_url_rule("/referrals/<int:id>", view_func=ReferralDetail.as_view("detail"))
bp.add_url_rule("/referrals/<int:id>/<action>", view_func=ReferralAction.as_view("action"),
                methods=["POST"])
