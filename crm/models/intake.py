"""Questions left at the one front door: the public form, no login."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .company import Company
from .intervention import _one_of
from .organisation import Organisation
from .reference import Municipality
from .user import User

INTAKE_STATUSES = ("new", "referred", "handled", "spam")


class IntakeRequest(Base):
    __tablename__ = "intake_requests"
    __table_args__ = (
        CheckConstraint(_one_of("status", INTAKE_STATUSES), name="status_known"),
        CheckConstraint("length(kvk) = 8 AND ltrim(kvk, '0123456789') = ''",
                        name="kvk_eight_digits"),
        CheckConstraint("consent", name="consent_given"),
        Index("ix_intake_requests_queue", "organisation_id", "status", "created_at"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The intake point whose queue it is in.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: KVK number the entrepreneur gave.
    kvk: Mapped[str] = mapped_column(String(8))
    #: Company name as given.
    company_name: Mapped[str] = mapped_column(String(200))
    #: Municipality the entrepreneur chose (decides the region's intake point).
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    #: Contact person's name (personal data).
    contact_name: Mapped[str] = mapped_column(String(200))
    #: Contact e-mail address (personal data).
    email: Mapped[str] = mapped_column(String(254))
    #: Contact phone number (personal data, optional).
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: The question, in the entrepreneur's words.
    question: Mapped[str] = mapped_column(Text)
    #: The entrepreneur consented to the network using these details (required).
    consent: Mapped[bool] = mapped_column(Boolean)
    #: new, referred, handled or spam.
    status: Mapped[str] = mapped_column(String(10), default="new", server_default="new")
    #: The company record it was linked to when triaged.
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"))
    #: When it arrived.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Who triaged it, and when.
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was triaged.
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    company: Mapped[Company | None] = relationship()
    handled_by: Mapped[User | None] = relationship()


class FormSubmission(Base):
    """Submissions of public forms per client address: the rate limit, shared by every app
    process (kept in the database, not in memory)."""

    __tablename__ = "form_submissions"
    __table_args__ = (Index("ix_form_submissions_address_at", "address", "at"),)

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Which form (``front-door``).
    form: Mapped[str] = mapped_column(String(30))
    #: Client IP address.
    address: Mapped[str] = mapped_column(String(45))
    #: When.
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


