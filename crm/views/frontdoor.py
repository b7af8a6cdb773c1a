"""The one front door: the public question form (no login), and the intake point's queue.

Two blueprints: ``frontdoor`` (public, listed in ``crm.auth.PUBLIC_ENDPOINTS``) and ``intake``
(staff, signed in; the policy shows a question only to its intake point's users).
"""
import inspect
import logging

from flask import (Blueprint, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import (BooleanField, EmailField, RadioField, SelectField, StringField, TelField,
                     TextAreaField)
from wtforms.validators import Length, Optional

from ..extensions import db
from ..forms import FlaskForm
from ..journeys.errors import DomainError, ValidationFailed
from ..journeys.intake import (PER_DAY, PER_HOUR, QUESTION_MAX, AlreadyTriaged, NoIntakePoint,
                               TooManySubmissions, accept_intake, intake_queue, mark_spam,
                               referral_of, submit_question)
from ..models import Company, IntakeRequest, Municipality, Offering, Organisation
from ..models.intake import INTAKE_STATUSES
from ..reference import parse_id
from .base import RecordView, apply_errors, int_arg, message

log = logging.getLogger(__name__)

bp = Blueprint("frontdoor", __name__)
staff_bp = Blueprint("intake", __name__)

#: The form's fields, in order (the honeypot ``website`` is not among them).
FIELDS = ("kvk", "company_name", "municipality_id", "contact_name", "email", "phone", "question",
          "consent")


def status_labels() -> dict[str, str]:
    return {"new": _("new"), "referred": _("referred"), "handled": _("handled"),
            "spam": _("spam")}


def municipality_choices():
    rows = db.session.execute(select(Municipality.id, Municipality.name)
                              .order_by(Municipality.name)).all()
    return [("", _("Choose your municipality"))] + [(str(i), n) for i, n in rows]


class QuestionForm(FlaskForm):
    """The public form. Its rules live in :func:`crm.journeys.intake.validate_question`; the
    fields only carry the input (required ones are flagged for the asterisk and assistive
    technology)."""

    kvk = StringField(_l("KVK number"), description=_l("8 digits, for example 01234567"),
                      render_kw={"inputmode": "numeric", "autocomplete": "off",
                                 "maxlength": 20})
    company_name = StringField(_l("Company name"),
                               render_kw={"autocomplete": "organization", "maxlength": 200})
    municipality_id = SelectField(_l("Municipality where your company is located"),
                                  validate_choice=False)
    contact_name = StringField(_l("Your name"),
                               render_kw={"autocomplete": "name", "maxlength": 200})
    email = EmailField(_l("Your e-mail address"),
                       render_kw={"autocomplete": "email", "maxlength": 254})
    phone = TelField(_l("Your phone number"), description=_l("optional"),
                     render_kw={"autocomplete": "tel", "maxlength": 40})
    question = TextAreaField(_l("Your question"),
                             description=_l("What would you like to know, improve or start "
                                            "with? Use at least 10 characters."),
                             render_kw={"rows": 6, "maxlength": QUESTION_MAX})
    consent = BooleanField(_l("I agree that the organisations in the network use these "
                              "details to answer my question and to put me in touch with the "
                              "right organisation."))
    #: The honeypot: hidden from people (CSS class ``hp-field``), filled in by bots.
    website = StringField(_l("Leave this field empty"),
                          render_kw={"tabindex": "-1", "autocomplete": "off",
                                     "aria-hidden": "true"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality_id.choices = municipality_choices()
        for name in ("kvk", "company_name", "municipality_id", "contact_name", "email",
                     "question", "consent"):
            self[name].flags.required = True


def _client_address() -> str:
    return (request.remote_addr or "unknown")[:45]


@bp.route("/voordeur", methods=["GET", "POST"])
def ask():
    form = QuestionForm()
    if request.method != "POST":
        return render_template("frontdoor/form.html", form=form)
    form.validate()  # CSRF (also checked app-wide); the field rules are the journey's
    for field in form:
        if field.name != "csrf_token":
            field.errors = []
    if "csrf_token" in form and form.csrf_token.errors:
        return render_template("frontdoor/form.html", form=form), 400
    data = {name: form[name].data for name in FIELDS}
    data["website"] = form.website.data
    try:
        submit_question(db.session, data, address=_client_address(),
                        per_hour=current_app.config.get("FRONTDOOR_PER_HOUR", PER_HOUR),
                        per_day=current_app.config.get("FRONTDOOR_PER_DAY", PER_DAY))
    except TooManySubmissions as exc:
        db.session.rollback()
        return render_template("frontdoor/form.html", form=form, error=message(exc)), 429
    except NoIntakePoint as exc:
        db.session.rollback()
        log.error("Front-door question refused: there is no active organisation.")
        return render_template("frontdoor/form.html", form=form, error=message(exc)), 503
    except ValidationFailed as exc:
        db.session.rollback()
        rest = apply_errors(form, exc)
        return render_template("frontdoor/form.html", form=form,
                               error=" ".join(rest) or None), 422
    db.session.commit()
    # The same answer for every accepted submission, honeypot or not, known company or not.
    return redirect(url_for("frontdoor.thanks"))


@bp.route("/voordeur/bedankt")
def thanks():
    return render_template("frontdoor/thanks.html")


# --- the intake point's staff -------------------------------------------------------------------

@staff_bp.route("/intake")
def queue():
    status = request.args.get("status") or None
    status = status if status in INTAKE_STATUSES else None
    stmt = intake_queue(current_user, status).options(joinedload(IntakeRequest.municipality))
    page = db.paginate(stmt, page=int_arg("page"), per_page=50, error_out=False)
    return render_template("intake/queue.html", page=page, status=status,
                           statuses=INTAKE_STATUSES, status_labels=status_labels())


class TriageForm(FlaskForm):
    to_organisation_id = SelectField(_l("Refer to organisation"), validate_choice=False)
    offering_id = RadioField(_l("Suggested next doors"), validate_choice=False)
    question = TextAreaField(_l("Question for the next door"),
                             validators=[Optional(), Length(max=4000)],
                             description=_l("the entrepreneur's question; rephrase it if that "
                                            "helps the next door"),
                             render_kw={"rows": 4})


def _organisation_choices():
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.active.is_(True), Organisation.id != current_user.organisation_id)
        .order_by(Organisation.name)).all()
    return [("", _("Choose an organisation"))] + [(str(i), n) for i, n in rows]


def _subject_company(intake: IntakeRequest) -> Company:
    """The linked company, the registered one with this KVK number, or an unsaved stand-in
    built from the question (never added to the session)."""
    if intake.company is not None:
        return intake.company
    existing = db.session.scalars(select(Company).where(Company.kvk == intake.kvk)).first()
    if existing is not None:
        return existing
    municipality = intake.municipality
    return Company(kvk=intake.kvk, name=intake.company_name,
                   municipality_id=municipality.id if municipality else None,
                   province_id=municipality.province_id if municipality else None)


def _suggestions(intake: IntakeRequest) -> list:
    """Next-door suggestions, when that module is there (it is imported lazily)."""
    try:
        from ..journeys.suggestions import suggest_next_doors
    except ImportError:
        return []
    extra = ({"session": db.session}  # the stand-in company has no session of its own
             if "session" in inspect.signature(suggest_next_doors).parameters else {})
    return list(suggest_next_doors(_subject_company(intake), viewer=current_user,
                                   question=intake.question, limit=10, **extra))


def _known_company(intake: IntakeRequest) -> Company | None:
    if intake.company is not None:
        return intake.company
    return db.session.scalars(select(Company).where(Company.kvk == intake.kvk)).first()


class IntakeDetail(RecordView):
    """A question in the queue, and its triage: refer on, mark handled, or spam."""

    model = IntakeRequest
    load_options = (joinedload(IntakeRequest.municipality),)

    def _render(self, intake, form, status=200, error=None):
        suggestions = _suggestions(intake) if intake.status == "new" else []
        form.offering_id.choices = ([("", _("No specific offering"))]
                                    + [(str(s.offering.id), s.offering.name)
                                       for s in suggestions])
        form.to_organisation_id.choices = _organisation_choices()
        return render_template(
            "intake/detail.html", intake=intake, form=form, suggestions=suggestions,
            known_company=_known_company(intake), referral=referral_of(intake),
            status_labels=status_labels(), error=error), status

    def get(self, intake):
        form = TriageForm(formdata=None)
        form.question.data = intake.question
        form.offering_id.data = ""
        return self._render(intake, form)

    def post(self, intake):
        form = TriageForm()
        action = request.form.get("action")
        if action not in ("refer", "handled", "spam"):
            return self._render(intake, form, 422, _("Choose what to do with the question."))
        if not form.validate():
            return self._render(intake, form, 422)
        try:
            if action == "spam":
                mark_spam(intake, by=current_user)
                done = _("The question was marked as spam.")
            elif action == "handled":
                accept_intake(intake, by=current_user)
                done = _("The question was taken in and marked as handled.")
            else:
                to_id, offering_id = form.to_organisation_id.data, form.offering_id.data
                to_id, offering_id = parse_id(to_id), parse_id(offering_id)
                to_org = db.session.get(Organisation, to_id) if to_id is not None else None
                offering = (db.session.get(Offering, offering_id)
                            if offering_id is not None else None)
                if to_org is None and offering is None:
                    form.to_organisation_id.errors = [
                        _("Choose an organisation or a suggested offering to refer to.")]
                    return self._render(intake, form, 422)
                result = accept_intake(intake, by=current_user, refer_to=to_org,
                                       offering=offering, question=form.question.data)
                done = _("Referral sent to %(org)s.", org=result.referral.to_organisation.name)
        except ValidationFailed as exc:
            db.session.rollback()
            rest = apply_errors(form, exc)
            return self._render(intake, form, 422, " ".join(rest) or None)
        except AlreadyTriaged as exc:
            db.session.rollback()
            flash(message(exc), "warning")
            return redirect(url_for("intake.detail", id=intake.id))
        except DomainError as exc:
            db.session.rollback()
            return self._render(intake, form, 409, message(exc))
        db.session.commit()
        flash(done, "success")
        return redirect(url_for("intake.detail", id=intake.id))


staff_bp.add_url_rule("/intake/<int:id>", view_func=IntakeDetail.as_view("detail"))
