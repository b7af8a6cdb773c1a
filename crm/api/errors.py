"""Every API error is JSON: ``{"error": {"code", "message"}}`` (+ ``"fields"`` on 422).

Messages are msgids translated into the token user's language (English before authenticating).
Routing errors (unknown path under ``/api/``, wrong method) are answered here too, before the
login redirect of the screens can turn them into a redirect.
"""
from flask import current_app, g, jsonify, request
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from ..catalogue import translate
from ..extensions import db
from ..journeys.consent import AlreadyConsented, NoConsent
from ..journeys.errors import N_, DomainError, DuplicateKvk, NotAllowed, StaleEdit, \
    ValidationFailed
from ..journeys.referrals import Conflict, IllegalTransition
from . import bp

#: Operation field names → API field names.
FIELD_NAMES = {"sbi_code": "sbi", "municipality_id": "municipality", "occurred_on": "date"}

#: Standard messages per status (msgids).
MESSAGES = {
    400: N_("The request could not be processed."),
    401: N_("A valid API token is required (Authorization: Bearer <token>)."),
    403: N_("You may not do this."),
    404: N_("Not found, or you may not see it."),
    405: N_("This method is not allowed here."),
    409: N_("This conflicts with the current state."),
    413: N_("The request is too large."),
    415: N_("Send JSON (Content-Type: application/json)."),
    422: N_("Please correct the marked fields."),
    500: N_("An unexpected error occurred."),
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         415: "unsupported_media_type", 422: "validation_failed", 429: "too_many_requests",
         500: "internal_error"}


def locale() -> str:
    user = g.get("api_user")
    return user.locale if user is not None else "en"


def text(msgid: str, params: dict | None = None) -> str:
    from datetime import date

    from ..models import vocabulary
    lang = locale()
    translated = translate(msgid, lang)
    if not params:
        return translated
    readable = {}
    for key, value in params.items():
        if key == "status":
            value = translate(vocabulary.label(vocabulary.REFERRAL_STATUSES, value), lang)
        elif key == "action":
            value = translate(vocabulary.label(vocabulary.REFERRAL_ACTIONS, value), lang)
        elif isinstance(value, date):
            value = value.isoformat()
        readable[key] = value
    return translated % readable


class ApiError(Exception):
    """An error answered as JSON; ``fields`` maps API field names to (msgid, params) pairs."""

    def __init__(self, status: int, message: str | None = None, *, code: str | None = None,
                 params: dict | None = None, fields: dict | None = None, **extra):
        super().__init__(message or MESSAGES.get(status, ""))
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message or MESSAGES.get(status, MESSAGES[400])
        self.params = params or {}
        self.fields = fields
        self.extra = extra


def field_errors(errors: dict) -> dict:
    """A ValidationFailed's errors with API field names."""
    out = {}
    for name, messages in errors.items():
        out.setdefault(FIELD_NAMES.get(name, name), []).extend(messages)
    return out


def response(status: int, code: str, message: str, *, fields: dict | None = None,
             headers: dict | None = None, **extra):
    body = {"code": code, "message": message, **extra}
    if fields is not None:
        body["fields"] = {name: [text(m, p) for m, p in messages]
                          for name, messages in fields.items()}
    rv = jsonify({"error": body})
    rv.status_code = status
    if status == 401:
        rv.headers["WWW-Authenticate"] = 'Bearer realm="Volgende Deur API"'
    for key, value in (headers or {}).items():
        rv.headers[key] = value
    return rv


def _from_api_error(error: ApiError):
    return response(error.status, error.code, text(error.message, error.params),
                    fields=error.fields, **error.extra)


def _from_http(error: HTTPException):
    status = error.code or 500
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return response(status, CODES.get(status, "error"),
                    text(MESSAGES.get(status, MESSAGES[400])), headers=headers)


def from_domain(error: DomainError) -> ApiError:
    """The API error for an operation's refusal."""
    if isinstance(error, ValidationFailed):
        return ApiError(422, fields=field_errors(error.errors))
    if isinstance(error, DuplicateKvk):
        return ApiError(409, error.message, code="duplicate_kvk", params=error.params,
                        kvk=error.existing.kvk)
    if isinstance(error, NotAllowed):
        return ApiError(403, error.message, params=error.params)
    if isinstance(error, IllegalTransition):
        return ApiError(409, error.message, code="illegal_transition", params=error.params)
    if isinstance(error, Conflict):
        return ApiError(409, error.message, code="conflict", params=error.params)
    if isinstance(error, StaleEdit):
        return ApiError(409, error.message, code="stale_edit", params=error.params)
    if isinstance(error, AlreadyConsented):
        return ApiError(409, error.message, code="already_consented", params=error.params)
    if isinstance(error, NoConsent):
        return ApiError(404, error.message, code="no_consent", params=error.params)
    return ApiError(409, error.message, params=error.params)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    db.session.rollback()
    return _from_api_error(error)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    db.session.rollback()
    return _from_api_error(from_domain(error))


@bp.errorhandler(IntegrityError)
def _integrity_error(error):
    db.session.rollback()  # a race lost against a unique constraint
    return response(409, "conflict", text(MESSAGES[409]))


@bp.errorhandler(DataError)
def _data_error(error):
    db.session.rollback()
    return response(400, "bad_request", text(MESSAGES[400]))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return _from_http(error)


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
def _unavailable(error):
    from ..security import unavailable_page
    return unavailable_page(error)  # 503, JSON, nothing kept


@bp.errorhandler(Exception)
def _unexpected(error):
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return _unavailable(error)
    db.session.rollback()
    current_app.logger.exception("Unhandled API error on %s", request.path)
    return response(500, "internal_error", text(MESSAGES[500]))


def _routing_errors():
    """No route matched under /api/ (unknown path, wrong method): JSON, not a login redirect."""
    if request.path.startswith("/api/") and request.routing_exception is not None:
        error = request.routing_exception
        if isinstance(error, HTTPException) and (error.code or 500) >= 400:
            return _from_http(error)
    return None


@bp.record_once
def _run_routing_errors_first(state):
    # The screens' login check would redirect an unmatched /api/ path to the login page; the
    # API answers first. (Flask runs app-wide before_request functions in list order.)
    funcs = state.app.before_request_funcs.setdefault(None, [])
    if _routing_errors not in funcs:
        funcs.insert(0, _routing_errors)
