"""Saved views: a user's named filters of the journey list or the coordinator dashboard."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .user import User

#: The pages a view can be saved of.
SAVED_VIEW_KINDS = ("journeys", "dashboard")
#: Longest name and query string kept.
MAX_NAME = 100
MAX_QUERY = 2000


class SavedView(Base):
    __tablename__ = "saved_views"
    __table_args__ = (
        CheckConstraint("kind IN ('journeys', 'dashboard')", name="kind_known"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        CheckConstraint(f"length(query) <= {MAX_QUERY}", name="query_length"),
        # One name per user and page; also the index of "my views of this page".
        UniqueConstraint("user_id", "kind", "name", name="uq_saved_views_user_kind_name"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The owner: a saved view is personal.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: Which page it opens: ``journeys`` (the journey list) or ``dashboard`` (/monitor).
    kind: Mapped[str] = mapped_column(String(12))
    #: The name the owner gave it (unique per owner and kind).
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    #: The page's filters as a URL query string (without ``page``), e.g. ``sector=C&size=micro``.
    query: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: When it was saved.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())

    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        return self.name
