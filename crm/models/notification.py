"""In-app notifications, and the outbox of e-mail written in the same transaction."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .user import User


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "id",
              sqlite_where=text("read_at IS NULL"), postgresql_where=text("read_at IS NULL")),
        # A company's notifications (merging companies moves them; migration 0015).
        Index("ix_notifications_company_id", "company_id"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Recipient.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What happened: referral-new, referral-accepted, referral-rejected, referral-completed, …
    kind: Mapped[str] = mapped_column(String(30))
    #: The referral it is about.
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    #: The company it is about.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    #: When it was created.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When the recipient read it.
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class OutgoingMail(Base):
    """An e-mail waiting to be sent by ``flask crm send-mail`` (written with the change)."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_unsent", "id", sqlite_where=text("sent_at IS NULL"),
              postgresql_where=text("sent_at IS NULL")),
    )

    #: Surrogate key (also the sending order).
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Recipient address.
    to_address: Mapped[str] = mapped_column(String(254))
    #: Subject line.
    subject: Mapped[str] = mapped_column(String(300))
    #: Plain-text body.
    body: Mapped[str] = mapped_column(Text)
    #: When it was queued.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When it was handed to the SMTP server.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Failed attempts so far.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The last error, for the operator.
    last_error: Mapped[str | None] = mapped_column(Text)
