"""Recording and withdrawing the entrepreneur's consent to share the journey."""
from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..journey_forms import ConsentForm, WithdrawConsentForm
from ..journeys.consent import give_consent, withdraw_consent
from ..journeys.errors import DomainError, ValidationFailed
from ..models import Company
from ..policy import EDIT
from .base import RecordView, message

bp = Blueprint("consent", __name__)


class ConsentGive(RecordView):
    model = Company
    actions = {"POST": EDIT}

    def post(self, company):
        form = ConsentForm()
        target = url_for("companies.detail", id=company.id) + "#consent"
        if not form.validate():
            flash(_("Say on what basis the consent was given (for example: verbally at the "
                    "intake)."), "danger")
            return redirect(target)
        try:
            give_consent(company, form.basis.data, by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            first = next(iter(exc.errors.values()))[0]
            flash(_(first[0], **first[1]), "danger")
            return redirect(target)
        except DomainError as exc:
            db.session.rollback()
            flash(message(exc), "warning")
            return redirect(target)
        db.session.commit()
        flash(_("Consent recorded: the journey is now shared within the network."), "success")
        return redirect(target)


class ConsentWithdraw(RecordView):
    model = Company
    actions = {"POST": EDIT}

    def post(self, company):
        form = WithdrawConsentForm()
        target = url_for("companies.detail", id=company.id) + "#consent"
        if not form.validate():
            flash(_("The form had expired. Please try again."), "warning")
            return redirect(target)
        try:
            withdraw_consent(company, by=current_user, note=form.note.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(message(exc), "warning")
            return redirect(target)
        db.session.commit()
        flash(_("Consent withdrawn: other organisations no longer see the journey."), "success")
        return redirect(target)


bp.add_url_rule("/companies/<int:id>/consent", view_func=ConsentGive.as_view("give"),
                methods=["POST"])
bp.add_url_rule("/companies/<int:id>/consent/withdraw",
                view_func=ConsentWithdraw.as_view("withdraw"), methods=["POST"])
