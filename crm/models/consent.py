"""The entrepreneur's consent to share the company's journey within the network."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .organisation import Organisation
from .user import User


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("length(trim(basis)) > 0", name="basis_not_blank"),
        CheckConstraint("withdrawn_at IS NULL OR withdrawn_at >= given_at",
                        name="withdrawn_after_given"),
        # At most one current consent per company.
        Index("uq_consents_company_current", "company_id", unique=True,
              sqlite_where=text("withdrawn_at IS NULL"),
              postgresql_where=text("withdrawn_at IS NULL")),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company whose journey may be shared.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                            index=True)
    #: The organisation that recorded it.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    #: On what basis (e.g. "mondeling bij intake", "getekend formulier", "voordeurformulier").
    basis: Mapped[str] = mapped_column(String(300))
    #: When it was given.
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When it was withdrawn (NULL while current).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who recorded the withdrawal.
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    #: Note with the withdrawal.
    withdrawal_note: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
