"""Signing in (password, then a second factor where enabled) and out, and the language switch
before signing in."""
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..config import mfa_required_roles
from ..forms import LoginForm, MfaCodeForm, MfaRecoveryForm
from ..journeys.accounts import BadCredentials, TooManyAttempts, authenticate
from ..journeys import audit, mfa
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
                return _password_accepted(user, _safe_next(request.args.get("next")))
        else:
            error, status = _("Enter your e-mail address and password."), 422
    return render_template("login.html", form=form, error=error), status


#: How long the second step may take after the password (seconds).
PENDING_SECONDS = 300
_PENDING = "mfa_pending"


def _password_accepted(user, target: str):
    """A user with two-step verification gives a code first; everyone else is signed in (a
    user whose role requires it without having set it up, only to set it up: see
    ``_enrolment_required``)."""
    session.clear()  # a fresh session on sign-in (no fixation)
    if user.mfa_enabled:
        session[_PENDING] = {"user": user.id, "until": time.time() + PENDING_SECONDS,
                             "next": target}
        db.session.commit()
        return redirect(url_for("auth.second_step"))
    changes = {"address": [None, _address()]}
    if must_enrol(user):
        changes["two-step verification"] = [None, "to be set up"]
    _sign_in(user, changes)
    return redirect(target)


def _sign_in(user, changes: dict) -> None:
    audit.record(user, "sign-in", "user", user.id, changes=changes)
    db.session.commit()
    session.clear()
    login_user(user)


def _pending_user():
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or float(pending.get("until") or 0) < time.time():
        return None
    user = db.session.get(User, pending.get("user")) if isinstance(pending.get("user"), int) \
        else None
    return user if user is not None and user.is_active and user.mfa_enabled else None


@bp.route("/login/code", methods=["GET", "POST"])
def second_step():
    """The second step of signing in: a code from the app, or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(_PENDING, None)
        flash(_("Please sign in again: the time for entering your code has passed."), "info")
        return redirect(url_for("auth.login"))
    code_form, recovery_form = MfaCodeForm(prefix="mfa"), MfaRecoveryForm(prefix="rc")
    status, error = 200, None
    if request.method == "POST":
        form = recovery_form if "rc-recovery_code" in request.form else code_form
        if not form.validate():
            error, status = _("Enter the code."), 422
        else:
            code = form.recovery_code.data if form is recovery_form else form.code.data
            try:
                method = mfa.verify(
                    db.session, user, code, current_app.config["SECRET_KEY"],
                    address=_address(),
                    max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                    window_seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
            except TooManyAttempts as exc:
                _audit_failure("sign-in-blocked", user.email)
                db.session.commit()
                session.pop(_PENDING, None)
                return render_template("login.html", form=LoginForm(formdata=None),
                                       error=message(exc)), 429
            except mfa.WrongCode as exc:
                db.session.commit()  # the failure counts (rate limit) and is audited
                error, status = message(exc), 401
            else:
                target = _safe_next(session[_PENDING].get("next"))
                _sign_in(user, {"address": [None, _address()], "second factor": [None, method]})
                if method == "recovery code":
                    left = mfa.recovery_codes_left(db.session, user)
                    flash(_("You signed in with a recovery code; %(n)d left. Make new ones "
                            "on your account page.", n=left), "warning")
                return redirect(target)
    return render_template("login_code.html", code_form=code_form, recovery_form=recovery_form,
                           error=error), status


# -- roles that must use two-step verification --------------------------------------------------

def must_enrol(user) -> bool:
    """Whether ``user``'s role requires two-step verification that they have not set up."""
    return (not user.mfa_enabled
            and user.role in mfa_required_roles(current_app.config))


#: What a user who must set up two-step verification may still reach.
ENROLMENT_ENDPOINTS = {"account.mfa", "auth.logout", "auth.set_language",
                       "auth.login", "static", "bootstrap.static", "health.healthz"}


@bp.before_app_request
def _enrolment_required():
    """Until a user in a role that requires two-step verification has set it up, every page
    but the set-up page (and signing out, the language switch) sends them there."""
    endpoint = request.endpoint or ""
    if (endpoint in ENROLMENT_ENDPOINTS or endpoint.endswith(".static")
            or request.path.startswith("/api/")):
        return None  # the API is used with tokens, not with this session
    if not current_user.is_authenticated or not must_enrol(current_user):
        return None
    if request.method == "GET":
        flash(_("Your role requires two-step verification. Set it up to continue."), "warning")
    return redirect(url_for("account.mfa"))


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
