"""Flask-Login wiring: every page requires a signed-in user except the public ones."""
from flask import redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db, login_manager
from .models import User

#: Endpoints reachable without signing in.
PUBLIC_ENDPOINTS = {"auth.login", "auth.second_step", "auth.set_language", "static",
                    "bootstrap.static", "health.healthz", "frontdoor.ask", "frontdoor.thanks",
                    "enquete.answer_page", "enquete.thanks"}


@login_manager.user_loader
def load_user(user_id: str):
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.is_active:
        return None
    from .security import session_revoked
    return None if session_revoked(user) else user


def _require_login():
    endpoint = request.endpoint or ""
    if (endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("admin")
            or endpoint.startswith("api.") or request.path.startswith("/api/")
            or endpoint.endswith(".static")):
        return None  # the admin and API check access themselves
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(_require_login)
