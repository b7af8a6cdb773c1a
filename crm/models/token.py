"""Personal API tokens: shown once, stored as a SHA-256 hash."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .user import User


class ApiToken(Base):
    __tablename__ = "api_tokens"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The user the token acts as (same policy as on the screens).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token, hex; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: First characters of the token, to recognise it in a list.
    prefix: Mapped[str] = mapped_column(String(12))
    #: When it was created.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When it was last used.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When it was revoked (NULL while valid).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
