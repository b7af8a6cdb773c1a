"""Signing in and out, and the language switch before signing in."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..forms import LoginForm
from ..journeys.accounts import BadCredentials, TooManyAttempts, authenticate
from ..journeys import audit
from ..models import LOCALES, User
from .base import message

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login form cannot be used to redirect elsewhere."""
    if not target:
        return url_for("companies.search")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("companies.search")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    error = None
    if request.method == "POST":
        if form.validate():
            try:
                user = authenticate(
                    db.session, form.email.data, form.password.data,
                    address=request.remote_addr or "unknown",
                    max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                    window_seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
            except TooManyAttempts as exc:
                _audit_failure("sign-in-blocked", form.email.data)
                db.session.commit()
                error, status = message(exc), 429
            except BadCredentials as exc:
                _audit_failure("sign-in-failed", form.email.data)
                db.session.commit()
                error, status = message(exc), 401
            else:
                audit.record(user, "sign-in", "user", user.id,
                             changes={"address": [None, _address()]})
                db.session.commit()
                session.clear()  # a fresh session on sign-in (no fixation)
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
        else:
            error, status = _("Enter your e-mail address and password."), 422
    return render_template("login.html", form=form, error=error), status


def _address() -> str:
    return (request.remote_addr or "unknown")[:45]


def _audit_failure(action: str, email) -> None:
    """A failed sign-in in the audit trail: which account (when the address is one) and from
    where; never the password, and not the text typed when it is no account's address (that
    is sometimes a password typed in the wrong field)."""
    email = email.strip().lower()[:254] if isinstance(email, str) else ""
    user_id = db.session.scalar(select(User.id).where(User.email == email)) if email else None
    audit.record(None, action, "user", user_id or 0, session=db.session,
                 changes={"address": [None, _address()]})


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if current_user.is_authenticated:
        audit.record(current_user._get_current_object(), "sign-out", "user", current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<locale>", methods=["POST"])
def set_language(locale):
    if locale in LOCALES:
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next") or url_for("auth.login")))
