"""Security headers on every response, and error pages that never leak a stack trace."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


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


def init_app(app) -> None:
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

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("Unhandled error on %s", request.path)
        return error_page(500)
