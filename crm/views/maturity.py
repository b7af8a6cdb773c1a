"""Digital maturity (DMA): record a result for a company, see its results and movement."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, IntegerField
from wtforms.validators import Optional

from ..extensions import db
from ..forms import FlaskForm
from ..journeys.clock import today
from ..journeys.errors import DomainError, NotAllowed, ValidationFailed
from ..journeys.maturity import (assessments_of, delete_assessment, maturity_movement,
                                 record_assessment, timeline_movement)
from ..models import Company
from ..models.survey import DmaAssessment
from ..models.vocabulary import DMA_DIMENSION_NAMES, DMA_DIMENSIONS
from ..policy import CREATE, DELETE, may
from .base import RecordView, apply_errors, message

bp = Blueprint("maturity", __name__)


def _score_field(label):
    return IntegerField(label, validators=[Optional()],
                        render_kw={"inputmode": "numeric", "min": 0, "max": 100, "step": 1})


class DmaForm(FlaskForm):
    assessed_on = DateField(_l("Date of the assessment"), validators=[Optional()])
    digital_business_strategy = _score_field(_l(DMA_DIMENSIONS[0][1]))
    digital_readiness = _score_field(_l(DMA_DIMENSIONS[1][1]))
    human_centric = _score_field(_l(DMA_DIMENSIONS[2][1]))
    data_management = _score_field(_l(DMA_DIMENSIONS[3][1]))
    automation_ai = _score_field(_l(DMA_DIMENSIONS[4][1]))
    green = _score_field(_l(DMA_DIMENSIONS[5][1]))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("assessed_on", *DMA_DIMENSION_NAMES):
            self[name].flags.required = True


def new_form() -> DmaForm:
    form = DmaForm(formdata=None)
    form.assessed_on.data = today()
    return form


@bp.app_template_global()
def maturity_panel(timeline) -> dict:
    """What the company page shows of digital maturity: the movement, drawn from the DMA
    results the page's ``timeline`` (read for the same viewer) holds, and a link to the form
    (on the maturity page: the company page stays light)."""
    return {"movement": timeline_movement(timeline),
            "may_record": may(current_user, CREATE, DmaAssessment)}


class MaturityPage(RecordView):
    """``/companies/<id>/maturity``: every result the user may see, the movement, the form."""

    model = Company
    actions = {"GET": "view", "HEAD": "view", "POST": "view"}

    def _render(self, company, form, status=200, error=None):
        results = db.session.scalars(assessments_of(company, current_user)).all()
        return render_template(
            "maturity/company.html", company=company, form=form, results=results,
            movement=maturity_movement(company, current_user), error=error,
            may_record=may(current_user, CREATE, DmaAssessment),
            deletable={r.id for r in results if may(current_user, DELETE, r)}), status

    def get(self, company):
        return self._render(company, new_form())

    def post(self, company):
        if not may(current_user, CREATE, DmaAssessment):
            abort(403)
        form = DmaForm()
        form.validate()
        # A number the browser could not send as one (e.g. "6O") is the field's own error.
        if "csrf_token" in form and form.csrf_token.errors:
            return self._render(company, form, 400,
                                _("The form had expired. Please send it again."))
        raw = {name: request.form.get(name, "") for name in DMA_DIMENSION_NAMES}
        for name in DMA_DIMENSION_NAMES:
            form[name].errors = []
        form.assessed_on.errors = []
        assessed_on = request.form.get("assessed_on", "")
        try:
            record_assessment(company, raw, assessed_on, by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            rest = apply_errors(form, exc)
            return self._render(company, form, 422, " ".join(rest) or None)
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except DomainError as exc:
            db.session.rollback()
            return self._render(company, form, 409, message(exc))
        db.session.commit()
        flash(_("DMA result recorded."), "success")
        return redirect(url_for("maturity.company", id=company.id))


class AssessmentDelete(RecordView):
    model = DmaAssessment
    actions = {"POST": DELETE}

    def post(self, assessment):
        company_id = assessment.company_id
        delete_assessment(assessment, by=current_user)
        db.session.commit()
        flash(_("DMA result removed."), "success")
        return redirect(url_for("maturity.company", id=company_id))


bp.add_url_rule("/companies/<int:id>/maturity", view_func=MaturityPage.as_view("company"))
bp.add_url_rule("/dma/<int:id>/delete", view_func=AssessmentDelete.as_view("delete"),
                methods=["POST"])
