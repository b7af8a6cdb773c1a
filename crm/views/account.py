"""The signed-in user's own settings: language and password."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import LanguageForm, PasswordForm
from ..journeys.accounts import change_password, set_locale
from ..journeys.errors import ValidationFailed
from .base import apply_errors

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
    return render_template("account.html", language=language, password=password), status
