"""The privacy officer's screen (administrators): access report and erasure for a person."""
import json

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm
from ..journeys import audit
from ..journeys.errors import ValidationFailed
from ..journeys.privacy import access_report, erase, find_person, purge_freed_space
from ..models import ContactPerson
from ..policy import may
from ..reference import parse_id

bp = Blueprint("privacy", __name__)

SECTIONS = ("contact_persons", "consents", "intake_requests", "survey_invitations",
            "outgoing_mail", "mentions", "audit_entries")


@bp.before_request
def _admins_only():
    if not may(current_user, "admin", "admin"):
        abort(403)


def _person_from(args):
    """The person named by ``email`` and/or ``contact`` (a contact-person id); None when the
    form is empty. Raises ValidationFailed for an address that is not one."""
    email = (args.get("email") or "").strip()[:300]
    contact = None
    raw = (args.get("contact") or "").strip()
    if raw:
        if (contact_id := parse_id(raw)) is not None:
            contact = db.session.get(ContactPerson, contact_id)
        if contact is None:
            abort(404)
    if not email and contact is None:
        return None
    return find_person(db.session, email or None, contact)


def _query(person) -> dict:
    return {"email": person.email} if person.email else {
        "contact": person.contacts[0].id}


@bp.route("/privacy")
def index():
    try:
        person = _person_from(request.args)
    except ValidationFailed:
        return render_template("privacy/index.html", person=None, report=None,
                               email=request.args.get("email", "")[:300],
                               error=_("Enter an e-mail address such as naam@bedrijf.nl."),
                               form=ConfirmForm()), 400
    report = access_report(db.session, person) if person else None
    empty = report is not None and not any(report[s] for s in SECTIONS)
    return render_template("privacy/index.html", person=person, report=report, empty=empty,
                           email=person.email if person else "", error=None,
                           sections=SECTIONS, form=ConfirmForm(),
                           query=_query(person) if person else {})


@bp.route("/privacy/report.<any(json, pdf):fmt>")
def report_file(fmt):
    try:
        person = _person_from(request.args)
    except ValidationFailed:
        abort(400)
    if person is None:
        abort(400)
    report = access_report(db.session, person)
    audit.record(current_user._get_current_object(), "access-report", "person", 0,
                 changes={"format": [None, fmt]})
    db.session.commit()
    name = "inzage-" + (person.email or f"contact-{person.contacts[0].id}").replace("@", "-at-")
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "json":
        return Response(json.dumps(report, ensure_ascii=False, indent=2),
                        mimetype="application/json", headers=headers)
    from ..reports.access_report import render_pdf
    return Response(render_pdf(report), mimetype="application/pdf", headers=headers)


@bp.route("/privacy/erase", methods=["POST"])
def erase_person():
    form = ConfirmForm()
    if not form.validate():
        flash(_("The form had expired. Please try again."), "warning")
        return redirect(url_for("privacy.index"))
    try:
        person = _person_from(request.form)
    except ValidationFailed:
        abort(400)
    if person is None:
        abort(400)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the erasure."), "warning")
        return redirect(url_for("privacy.index", **_query(person)))
    done = erase(db.session, person, by=current_user._get_current_object())
    db.session.commit()
    purge_freed_space(db.engine)
    total = sum(done.values())
    flash(_("Erased: %(n)d record(s) removed or anonymised. Counts and statistics are "
            "unchanged.", n=total), "success")
    return redirect(url_for("privacy.index"))
