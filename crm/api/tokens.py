"""Personal API tokens: ``vd_`` + 43 random characters, shown once, stored as SHA-256 hex."""
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ..journeys import audit
from ..models import ApiToken, User, utcnow

PREFIX = "vd_"
#: Characters kept to recognise a token in a list (``vd_`` and 7 more).
PREFIX_LENGTH = 10
#: Longest Authorization value considered (a real token is 46 characters).
MAX_LENGTH = 200


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User) -> str:
    """Issue a token acting as ``user``; returns it (the only time it is seen). Adds and
    flushes, never commits."""
    session = object_session(user)
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:PREFIX_LENGTH],
                   created_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(user, "create", "api_token", row.id, changes={"prefix": [None, row.prefix]})
    return token


def revoke_token(row: ApiToken, *, by: User) -> None:
    """Revoke a token: it stops working at once. Flushes, never commits."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(by, "revoke", "api_token", row.id, session=object_session(row))
        object_session(row).flush()


def find_token(session: Session, token: str) -> ApiToken | None:
    """The token row for a presented token, valid or not (None if unknown or malformed)."""
    if not token.startswith(PREFIX) or len(token) > MAX_LENGTH:
        return None
    return session.scalars(select(ApiToken).where(
        ApiToken.token_hash == hash_token(token))).first()
