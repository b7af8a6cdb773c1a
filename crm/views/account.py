"""The signed-in user's own settings: language, password and two-step verification."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..extensions import db
from ..forms import ConfirmForm, LanguageForm, MfaDisableForm, MfaEnrolForm, PasswordForm
from ..journeys import mfa
from ..journeys.accounts import change_password, set_locale
from ..journeys.errors import DomainError, ValidationFailed
from .base import apply_errors, message

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
def settings():
    language = LanguageForm(prefix="lang", locale=current_user.locale)
    password = PasswordForm(prefix="pw")
    status = 200
    if request.method == "POST":
        form = language if "lang-locale" in request.form else password
        if form.validate():
            try:
                if form is language:
                    set_locale(current_user, language.locale.data)
                    message = None
                else:
                    change_password(current_user, password.current_password.data,
                                    password.new_password.data)
                    message = _("Your password has been changed.")
            except ValidationFailed as exc:
                db.session.rollback()
                apply_errors(form, exc)
                status = 422
            else:
                db.session.commit()
                if message:  # the password changed: other sessions ended, this one stays
                    from ..security import keep_this_session
                    keep_this_session()
                flash(message or _("Language saved."), "success")
                return redirect(url_for("account.settings"))
        else:
            status = 422
    return render_template("account.html", language=language, password=password,
                           mfa_codes_left=mfa.recovery_codes_left(db.session, current_user)
                           if current_user.mfa_enabled else None), status


# -- two-step verification ------------------------------------------------------------------------

def _key() -> str:
    return current_app.config["SECRET_KEY"]


def _qr_svg(uri: str) -> Markup:
    """The otpauth:// address as an inline SVG QR code (no image request, no inline style)."""
    import segno
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", svgclass="mfa-qr",
        title=_("QR code for your authenticator app"))
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _codes_page(codes: list[str], status: int = 200):
    """The new recovery codes, shown once (only their hashes are kept)."""
    return render_template("account_mfa_codes.html", codes=codes), status


@bp.route("/two-step", methods=["GET", "POST"], endpoint="mfa")
def mfa_page():
    """Set up two-step verification (QR code, secret, first code), or manage it."""
    user = current_user._get_current_object()
    if user.mfa_enabled:
        return render_template("account_mfa.html", enabled=True, codes=ConfirmForm(prefix="rc"),
                               disable=MfaDisableForm(prefix="off"),
                               codes_left=mfa.recovery_codes_left(db.session, user))
    form = MfaEnrolForm(prefix="mfa")
    status = 200
    if request.method == "POST" and form.validate():
        try:
            codes = mfa.confirm_enrolment(db.session, user, form.code.data, _key())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
            status = 422
        except DomainError as exc:
            db.session.rollback()
            flash(message(exc), "danger")
            return redirect(url_for("account.mfa"))
        else:
            db.session.commit()
            return _codes_page(codes)
    elif request.method == "POST":
        status = 422
    secret = mfa.start_enrolment(db.session, user, _key())
    db.session.commit()
    return render_template("account_mfa.html", enabled=False, form=form,
                           qr=_qr_svg(mfa.provisioning_uri(user, _key())),
                           secret=_grouped(secret)), status


@bp.route("/two-step/recovery-codes", methods=["POST"])
def mfa_codes():
    form = ConfirmForm(prefix="rc")
    if not form.validate():
        flash(_("The form had expired. Please send it again."), "danger")
        return redirect(url_for("account.mfa"))
    try:
        codes = mfa.regenerate_recovery_codes(db.session, current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(message(exc), "danger")
        return redirect(url_for("account.mfa"))
    db.session.commit()
    return _codes_page(codes)


@bp.route("/two-step/off", methods=["POST"])
def mfa_disable():
    user = current_user._get_current_object()
    form = MfaDisableForm(prefix="off")
    if form.validate():
        try:
            mfa.disable(db.session, user, form.password.data, form.code.data, _key())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
        except DomainError as exc:
            db.session.rollback()
            flash(message(exc), "danger")
            return redirect(url_for("account.mfa"))
        else:
            db.session.commit()
            flash(_("Two-step verification is off."), "success")
            return redirect(url_for("account.mfa" if user.role in _required() else
                                    "account.settings"))
    if not user.mfa_enabled:
        return redirect(url_for("account.mfa"))
    return render_template("account_mfa.html", enabled=True, codes=ConfirmForm(prefix="rc"),
                           disable=form,
                           codes_left=mfa.recovery_codes_left(db.session, user)), 422


def _required():
    from ..config import mfa_required_roles
    return mfa_required_roles(current_app.config)
