"""Bearer-token authentication for every API endpoint except the OpenAPI document.

The API never looks at the session cookie: a signed-in browser does not authenticate it.
"""
from datetime import timedelta

from flask import g, request

from ..extensions import db
from ..journeys import audit
from ..models import User, utcnow
from . import bp
from .errors import ApiError, N_
from .tokens import find_token

#: Endpoints that need no token.
PUBLIC = {"api.openapi"}
#: ``last_used_at`` is written at most this often per token.
TOUCH_INTERVAL = timedelta(minutes=1)


def current() -> User:
    """The user the request's token acts as."""
    return g.api_user


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


@bp.before_request
def authenticate():
    g.api_user = None
    if request.endpoint in PUBLIC or request.method == "OPTIONS":
        return
    token = _bearer()
    if token is None:
        raise ApiError(401, N_("A valid API token is required (Authorization: Bearer <token>)."))
    row = find_token(db.session, token)
    if row is None or row.revoked_at is not None or not row.user.is_active:
        raise ApiError(401, N_("This API token is unknown, revoked or of an inactive account."),
                       code="invalid_token")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        # Token use enters the audit trail at most once a minute per token, with the touch.
        row.last_used_at = now
        audit.record(row.user, "token-use", "api_token", row.id, session=db.session,
                     changes={"request": [None, f"{request.method} {request.path}"[:200]]})
        db.session.commit()
    g.api_user = row.user
