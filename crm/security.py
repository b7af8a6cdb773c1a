"""Security headers on every response, error pages that never leak a stack trace, and query
arguments without NUL bytes."""
from flask import Request as _Request
from flask import render_template, request
from flask_babel import gettext as _

from .journeys.errors import N_
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.utils import cached_property

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


class Request(_Request):
    """The app's requests: the pages' query arguments (names and values) without NUL bytes.
    Nobody types one into a search box or a filter, and PostgreSQL refuses text that holds one
    wherever an argument reaches a statement (a 500). The API keeps them and refuses them
    with a 400 that says so (:mod:`crm.api.inputs`); posted forms keep theirs: a form field
    with one is refused with a message (:class:`crm.forms.FlaskForm`)."""

    @cached_property
    def args(self):
        args = super().args
        pairs = list(args.items(multi=True))
        if self.path.startswith("/api/") or not any("\x00" in k + v for k, v in pairs):
            return args
        return self.parameter_storage_class(
            [(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in pairs])


def _headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        h.setdefault("Cache-Control", "no-store")
    return response


def _titles():
    return {
        400: _("The request could not be processed"),
        403: _("No access"),
        404: _("Page not found"),
        405: _("Not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("Temporarily unavailable"),
    }


def _explanations():
    return {
        403: _("You do not have access to this page."),
        404: _("This page does not exist, or you may not see it."),
        500: _("An unexpected error occurred. It has been logged; please try again later."),
    }


def error_page(code: int, message: str | None = None):
    title = _titles().get(code, _("Error"))
    text = message or _explanations().get(code, title)
    return render_template("error.html", code=code, title=title, message=text), code


def _safe_locale() -> str:
    """The page language without touching the database (it may be what failed): a user
    already loaded by this request keeps theirs, else the session's choice, else Dutch."""
    from flask import g, session
    user = g.get("api_user") or g.get("_login_user")
    locale = None
    if user is not None and hasattr(user, "__dict__"):
        locale = vars(user).get("locale")
        if locale is None and getattr(user, "is_authenticated", False):
            try:  # loads it again when the database is back (e.g. one connection was killed)
                locale = user.locale
            except Exception:
                locale = None
    if locale not in ("nl", "en"):
        locale = session.get("locale") if session.get("locale") in ("nl", "en") else "nl"
    return locale


UNAVAILABLE = N_("The database cannot be reached at the moment. Nothing of what you just did "
                 "has been saved; please try again in a minute.")


def unavailable_page(error):
    """The database went away (or is locked past the busy timeout): roll back whatever the
    request had begun — nothing of it is kept — and answer 503 with a page that needs no
    database. API requests get the API's JSON error."""
    from flask import current_app, g, jsonify
    from flask_babel import force_locale

    from .extensions import db
    current_app.logger.warning("Database unavailable on %s: %s", request.path,
                               str(error).splitlines()[0][:300])
    try:
        db.session.rollback()
    except Exception:  # a dead connection: the pool discards it
        pass
    locale = _safe_locale()
    if request.path.startswith("/api/"):
        from .catalogue import translate
        if g.get("api_user") is None:
            locale = "en"  # the API's language without a user
        response = jsonify(error={"code": "unavailable", "message": translate(UNAVAILABLE,
                                                                               locale)})
        response.status_code = 503
        response.headers["Retry-After"] = "30"
        return response
    with force_locale(locale):
        message = _(UNAVAILABLE)
        try:
            body = render_template("unavailable.html", title=_("Temporarily unavailable"),
                                   message=message, locale=locale)
        except Exception:
            current_app.logger.exception("Could not render the unavailable page")
            body = f"<!doctype html><title>503</title><p>{message}</p>"
    response = current_app.response_class(body, 503, mimetype="text/html")
    response.headers["Retry-After"] = "30"
    return response


# -- revocable sessions ------------------------------------------------------------------------
# The session is a signed cookie (nothing kept in the app process), so signing out cannot
# delete it on the server. Instead each session records when it signed in, and a user's
# ``sessions_valid_from`` (set on signing out and on a password change) ends every session that
# signed in before it, in every worker.

def _signed_in(sender, user, **extra):
    import time

    from flask import session
    session["signed_in_at"] = time.time()


def _signed_out(sender, user, **extra):
    from .extensions import db
    from .models import utcnow
    if getattr(user, "is_authenticated", False) and hasattr(user, "sessions_valid_from"):
        user.sessions_valid_from = utcnow()
        db.session.commit()


def session_revoked(user) -> bool:
    """Whether the current session signed in before ``user``'s sessions were revoked."""
    from flask import has_request_context, session
    valid_from = user.sessions_valid_from
    if valid_from is None or not has_request_context():
        return False
    return float(session.get("signed_in_at") or 0) < valid_from.timestamp()


def keep_this_session() -> None:
    """After revoking a user's sessions (password change): this one stays signed in."""
    _signed_in(None, None)


def init_app(app) -> None:
    from flask_login import user_logged_in, user_logged_out
    app.request_class = Request
    user_logged_in.connect(_signed_in, app)
    user_logged_out.connect(_signed_out, app)
    app.after_request(_headers)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, _("The form had expired or was not sent from this site. "
                                 "Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/api/"):
            return error
        return error_page(error.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        return unavailable_page(error)

    @app.errorhandler(Exception)
    def unexpected(error):
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return unavailable_page(error)
        app.logger.exception("Unhandled error on %s", request.path)
        # The failed statement may have aborted the transaction (PostgreSQL then refuses every
        # further statement, the error page's own included): nothing of it is kept anyway.
        from .extensions import db
        try:
            db.session.rollback()
        except Exception:  # a dead connection: the pool discards it
            pass
        return error_page(500)
