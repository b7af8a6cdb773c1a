"""The impact survey: staff make and send the personal link; the entrepreneur answers it on a
public page (no login). Two blueprints: ``survey`` (staff) and ``enquete`` (public, listed in
``crm.auth.PUBLIC_ENDPOINTS``). Digital maturity (DMA) pages live in :mod:`.maturity`."""
from flask import (Blueprint, abort, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, EmailField, SelectField, TextAreaField

from ..extensions import db
from ..forms import FlaskForm
from ..journeys.errors import DomainError, NotAllowed, ValidationFailed
from ..journeys.survey import (COMMENT_MAX, SurveyAlreadyAnswered, SurveyLinkExpired,
                               SurveyLinkInvalid, answer, invitation_for_token,
                               invitations_for, invite, may_invite, queue_invitation_mail,
                               subject_title, survey_link)
from ..models import LOCALES, Intervention, Referral, utcnow
from ..models.survey import SurveyInvitation
from ..models.vocabulary import SURVEY_QUESTION_KEYS, SURVEY_QUESTIONS, SURVEY_SCALE
from .base import RecordView, apply_errors, message

bp = Blueprint("survey", __name__)
public_bp = Blueprint("enquete", __name__)


@bp.app_template_global()
def survey_texts() -> dict:
    """Translated survey texts, once per request (the timeline asks per entry)."""
    cache = getattr(request, "_vd_survey_texts", None)
    if cache is None:
        cache = request._vd_survey_texts = {
            "send": _("Send survey"),
            "answered": _("Impact survey answered"),
            "sent": _("Survey link sent"),
            "show_link": _("Show link"),
            "open": _("not answered yet"),
            "expired": _("expired without answer"),
            "dma": _("Digital maturity (DMA) recorded"),
            "imported": _("imported"),
            "comment": _("Comment:"),
            "answers": _("Answers"),
            "not_answered": _("(not answered)"),
            "questions": {k: _(text) for k, text in SURVEY_QUESTIONS},
            "scale": {v: _(text) for v, text in SURVEY_SCALE},
            "dimensions": dimension_labels(),
        }
    return cache


@bp.app_template_global()
def may_send_survey(subject) -> bool:
    return may_invite(current_user, subject)


def dimension_labels() -> dict:
    from ..models.vocabulary import DMA_DIMENSIONS
    return {**{k: _(text) for k, text in DMA_DIMENSIONS}, "average": _("Average")}


# --- staff: make, show and mail a personal link -----------------------------------------------

class InviteForm(FlaskForm):
    email = EmailField(_l("The entrepreneur's e-mail address"),
                       description=_l("optional: only needed to send the link by e-mail"),
                       render_kw={"autocomplete": "off", "maxlength": 254})
    send_mail = BooleanField(_l("Send the link by e-mail"))
    language = SelectField(_l("Language of the e-mail and the survey"),
                           choices=[("nl", "Nederlands"), ("en", "English")], default="nl")


class MailForm(FlaskForm):
    email = EmailField(_l("The entrepreneur's e-mail address"),
                       render_kw={"autocomplete": "off", "maxlength": 254})
    language = SelectField(_l("Language of the e-mail and the survey"),
                           choices=[("nl", "Nederlands"), ("en", "English")], default="nl")


class SurveySubjectView(RecordView):
    """``/interventions/<id>/survey`` and ``/referrals/<id>/survey``: the links made so far
    and a form to make a new one."""

    actions = {"GET": "survey", "HEAD": "survey", "POST": "survey"}

    def _render(self, subject, form, status=200, error=None):
        invitations = db.session.scalars(invitations_for(subject)).all()
        return render_template("survey/invite.html", subject=subject, form=form,
                               invitations=invitations, error=error,
                               is_referral=isinstance(subject, Referral), now_utc=utcnow(),
                               possible=may_invite(current_user, subject)), status

    def get(self, subject):
        return self._render(subject, InviteForm(formdata=None))

    def post(self, subject):
        form = InviteForm()
        if not form.validate():
            return self._render(subject, form, 422)
        if form.send_mail.data and not (form.email.data or "").strip():
            form.email.errors = [_("Enter the entrepreneur's e-mail address to send the "
                                   "link.")]
            return self._render(subject, form, 422)
        try:
            invitation = invite(subject, by=current_user, email=form.email.data)
            if form.send_mail.data:
                queue_invitation_mail(invitation, locale=form.language.data)
        except ValidationFailed as exc:
            db.session.rollback()
            rest = apply_errors(form, exc)
            return self._render(subject, form, 422, " ".join(rest) or None)
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except DomainError as exc:
            db.session.rollback()
            return self._render(subject, form, 409, message(exc))
        db.session.commit()
        flash(_("The survey link was queued for e-mail to %(email)s.",
                email=invitation.email) if form.send_mail.data
              else _("The survey link is ready: copy it and give it to the entrepreneur."),
              "success")
        return redirect(url_for("survey.invitation", id=invitation.id))


class InterventionSurvey(SurveySubjectView):
    model = Intervention


class ReferralSurvey(SurveySubjectView):
    model = Referral
    view_action = "view-route"


class InvitationDetail(RecordView):
    """One link: copy it, or (again) send it by e-mail."""

    model = SurveyInvitation
    actions = {"GET": "view", "HEAD": "view", "POST": "edit"}

    def _render(self, invitation, form, status=200):
        organisation, what = subject_title(invitation)
        state = ("answered" if invitation.used_at else
                 "expired" if invitation.expires_at <= utcnow() else "open")
        return render_template("survey/invitation.html", invitation=invitation,
                               link=survey_link(invitation), form=form, state=state,
                               what=what), status

    def get(self, invitation):
        form = MailForm(formdata=None)
        form.email.data = invitation.email
        return self._render(invitation, form)

    def post(self, invitation):
        form = MailForm()
        if not form.validate():
            return self._render(invitation, form, 422)
        if invitation.used_at is not None or invitation.expires_at <= utcnow():
            flash(_("This link can no longer be used; make a new one."), "warning")
            return redirect(url_for("survey.invitation", id=invitation.id))
        email = (form.email.data or "").strip()
        from ..journeys.survey import _EMAIL
        if not email or len(email) > 254 or not _EMAIL.match(email):
            form.email.errors = [_("Enter an e-mail address such as name@example.nl.")]
            return self._render(invitation, form, 422)
        invitation.email = email
        queue_invitation_mail(invitation, locale=form.language.data)
        from ..journeys import audit
        audit.record(current_user, "mail", "survey_invitation", invitation.id,
                     company_id=invitation.company_id, changes={"email": ["…", "…"]})
        db.session.commit()
        flash(_("The survey link was queued for e-mail to %(email)s.", email=email), "success")
        return redirect(url_for("survey.invitation", id=invitation.id))


bp.add_url_rule("/interventions/<int:id>/survey",
                view_func=InterventionSurvey.as_view("for_intervention"))
bp.add_url_rule("/referrals/<int:id>/survey", view_func=ReferralSurvey.as_view("for_referral"))
bp.add_url_rule("/survey-links/<int:id>", view_func=InvitationDetail.as_view("invitation"))


# --- public: the entrepreneur answers ----------------------------------------------------------

class AnswerForm(FlaskForm):
    """Only the CSRF token and the comment: the answers are radio groups read by key."""

    comment = TextAreaField(_l("Anything else you would like to tell us?"),
                            description=_l("optional"),
                            render_kw={"rows": 3, "maxlength": COMMENT_MAX})


def _closed_page(error: DomainError, status: int):
    return render_template("survey/closed.html", error=message(error),
                           expired=isinstance(error, SurveyLinkExpired),
                           answered=isinstance(error, SurveyAlreadyAnswered)), status


STATUS = {SurveyLinkInvalid: 404, SurveyLinkExpired: 410, SurveyAlreadyAnswered: 409}


@public_bp.route("/enquete/<token>", methods=["GET", "POST"])
def answer_page(token):
    try:
        invitation = invitation_for_token(token)
    except (SurveyLinkInvalid, SurveyLinkExpired, SurveyAlreadyAnswered) as exc:
        return _closed_page(exc, STATUS[type(exc)])
    if request.args.get("lang") in LOCALES and request.method == "GET":
        # The e-mail's language opens the survey in it; the switch on the page still works.
        if not current_user.is_authenticated:
            session["locale"] = request.args["lang"]
        return redirect(url_for("enquete.answer_page", token=token))
    form = AnswerForm()
    organisation, what = subject_title(invitation)
    context = dict(form=form, invitation=invitation, organisation=organisation, what=what,
                   occurred_on=(invitation.intervention.occurred_on if invitation.intervention
                                else None),
                   is_referral=invitation.referral_id is not None)
    if request.method != "POST":
        return render_template("survey/answer.html", chosen={}, errors={}, **context)
    chosen = {k: request.form.get(k, "")[:3] for k in SURVEY_QUESTION_KEYS}
    form.validate()
    if "csrf_token" in form and form.csrf_token.errors:
        return render_template("survey/answer.html", chosen=chosen, errors={},
                               error=_("The form had expired. Please send it again."),
                               **context), 400
    try:
        answer(invitation, chosen, form.comment.data)
    except ValidationFailed as exc:
        db.session.rollback()
        errors = {k: " ".join(_(m, **p) for m, p in v) for k, v in exc.errors.items()}
        if "comment" in errors:
            form.comment.errors = [errors.pop("comment")]
        return render_template("survey/answer.html", chosen=chosen, errors=errors,
                               error=errors.pop("answers", None), **context), 422
    except (SurveyLinkExpired, SurveyAlreadyAnswered) as exc:
        db.session.rollback()
        return _closed_page(exc, STATUS[type(exc)])
    db.session.commit()
    return redirect(url_for("enquete.thanks"))


@public_bp.route("/enquete-bedankt")
def thanks():
    return render_template("survey/thanks.html")
