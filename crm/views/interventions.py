"""Logging contacts and activities: the quick form on the company page, edit, and events."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..reference import parse_id
from ..journey_forms import EventForm, InterventionForm
from ..journeys.clock import today
from ..journeys.errors import ValidationFailed
from ..journeys.interventions import (delete_intervention, last_kind, log_event,
                                      log_intervention, resolve_kvk_numbers, update_intervention)
from ..models import Company, Event, Intervention
from ..policy import CREATE, DELETE, EDIT, intervention_filter
from .base import RecordView, apply_errors, require, submit

bp = Blueprint("interventions", __name__)

MAX_UPLOAD = 2 * 1024 * 1024


def _data(form) -> dict:
    return {"kind": form.kind.data, "occurred_on": form.occurred_on.data,
            "bottlenecks": form.bottlenecks.data or [], "topics": form.topics.data or [],
            "summary": form.summary.data, "internal_note": getattr(form, "internal_note", None)
            and form.internal_note.data}


def quick_form() -> InterventionForm:
    """The short form on the company page: today, the user's last-used kind."""
    form = InterventionForm(formdata=None)
    form.occurred_on.data = today()
    form.kind.data = last_kind(current_user) or "intake"
    return form


class InterventionCreate(RecordView):
    """Logging a contact with a company (the company page's quick form posts here)."""

    model = Company
    actions = {"GET": EDIT, "HEAD": EDIT, "POST": EDIT}

    def get(self, company):
        return render_template("interventions/form.html", form=quick_form(), company=company,
                               intervention=None)

    def post(self, company):
        form = InterventionForm()
        return submit(form, lambda: log_intervention(company, _data(form), by=current_user),
                      message=_("Contact logged."),
                      next_url=url_for("companies.detail", id=company.id) + "#timeline",
                      template="interventions/form.html", company=company, intervention=None)


class InterventionEdit(RecordView):
    model = Intervention
    actions = {"GET": EDIT, "HEAD": EDIT, "POST": EDIT}

    def get(self, intervention):
        form = InterventionForm(obj=intervention)
        return render_template("interventions/form.html", form=form,
                               company=intervention.company, intervention=intervention)

    def post(self, intervention):
        form = InterventionForm()
        return submit(form, lambda: update_intervention(intervention, _data(form),
                                                        by=current_user),
                      message=_("Contact saved."),
                      next_url=url_for("companies.detail", id=intervention.company_id),
                      template="interventions/form.html", company=intervention.company,
                      intervention=intervention)


class InterventionDelete(RecordView):
    model = Intervention
    actions = {"POST": DELETE}

    def post(self, intervention):
        company_id = intervention.company_id
        delete_intervention(intervention, by=current_user)
        db.session.commit()
        flash(_("Contact removed."), "success")
        return redirect(url_for("companies.detail", id=company_id))


bp.add_url_rule("/companies/<int:id>/interventions/new",
                view_func=InterventionCreate.as_view("create"))
bp.add_url_rule("/interventions/<int:id>/edit", view_func=InterventionEdit.as_view("edit"))
bp.add_url_rule("/interventions/<int:id>/delete", view_func=InterventionDelete.as_view("delete"),
                methods=["POST"])


def _attendee_text(form: EventForm) -> tuple[str, str | None]:
    """The pasted numbers plus the uploaded file's text; an error message if unreadable."""
    text = form.kvk_numbers.data or ""
    upload = form.attendee_file.data
    if upload and getattr(upload, "filename", ""):
        raw = upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            return text, _("The file is larger than 2 MB.")
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text += "\n" + raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return text, None


@bp.route("/events/new", methods=["GET", "POST"])
def event_create():
    require(CREATE, Intervention)
    form = EventForm()
    if request.method == "GET":
        form.occurred_on.data = today()
        picked = [i for i in map(parse_id, request.args.getlist("company")) if i is not None]
        if picked:
            kvks = db.session.scalars(select(Company.kvk).where(
                Company.id.in_(picked[:500]), Company.kvk.is_not(None)))
            form.kvk_numbers.data = "\n".join(kvks)
        return render_template("interventions/event.html", form=form, attendees=None)
    attendees = None
    status = 422
    if form.validate():
        text, upload_error = _attendee_text(form)
        if upload_error:
            form.attendee_file.errors = [upload_error]
        else:
            attendees = resolve_kvk_numbers(db.session, text)
            form.kvk_numbers.data = text.strip()
            if form.confirmed.data and attendees.companies:
                try:
                    event, logged = log_event({**_data(form), "title": form.title.data},
                                              attendees.companies,
                                              by=current_user, unresolved=attendees.unknown)
                except ValidationFailed as exc:
                    db.session.rollback()
                    apply_errors(form, exc)
                else:
                    db.session.commit()
                    flash(ngettext("Event logged for %(num)d company.",
                                   "Event logged for %(num)d companies.", len(logged)),
                          "success")
                    return redirect(url_for("interventions.event_detail", id=event.id))
            elif not attendees.companies:
                form.kvk_numbers.errors = [_("None of these numbers belongs to a known "
                                             "company.")]
            else:
                status = 200  # the preview: check the list, then confirm
    return render_template("interventions/event.html", form=form, attendees=attendees), status


class EventDetail(RecordView):
    model = Event

    def get(self, event):
        rows = db.session.execute(
            select(Intervention.id, Company.id, Company.name, Company.kvk)
            .join(Company, Company.id == Intervention.company_id)
            .where(Intervention.event_id == event.id, intervention_filter(current_user))
            .order_by(Company.sort_name)).all()
        return render_template("interventions/event_detail.html", event=event, rows=rows,
                               unresolved=[n for n in event.unresolved_kvk.splitlines() if n])


bp.add_url_rule("/events/<int:id>", view_func=EventDetail.as_view("event_detail"))
