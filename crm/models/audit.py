"""The audit trail: who changed which record how, written in the same transaction."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_record", "record_type", "record_id"),
        Index("ix_audit_entries_company_at", "company_id", "at"),
        # The admin search: newest first, optionally per organisation or per user.
        Index("ix_audit_entries_at", "at"),
        Index("ix_audit_entries_organisation_at", "organisation_id", "at"),
        Index("ix_audit_entries_user_at", "user_id", "at"),
    )

    #: Surrogate key (also the order of entries).
    id: Mapped[int] = mapped_column(primary_key=True)
    #: When.
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Who (NULL for the system, or after the account was removed).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: On behalf of which organisation.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"))
    #: create, update, delete, or a referral action (accept, reject, …).
    action: Mapped[str] = mapped_column(String(20))
    #: The kind of record (company, contact, intervention, referral, consent, task).
    record_type: Mapped[str] = mapped_column(String(30))
    #: The record's id.
    record_id: Mapped[int] = mapped_column(Integer)
    #: The company the record belongs to, for a company's history.
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"))
    #: Field-level changes: ``{"field": [before, after]}``.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
