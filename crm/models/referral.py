"""Referrals (warm handovers) from one organisation to another, with every step recorded."""
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .company import Company
from .intervention import _one_of
from .organisation import Organisation
from .user import User
from .vocabulary import REFERRAL_REASON_SLUGS, REFERRAL_STATUS_SLUGS

if TYPE_CHECKING:
    from .offering import Offering


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("from_organisation_id <> to_organisation_id", name="not_to_itself"),
        CheckConstraint(_one_of("status", REFERRAL_STATUS_SLUGS), name="status_known"),
        CheckConstraint(_one_of("reason", REFERRAL_REASON_SLUGS), name="reason_known"),
        CheckConstraint("entrepreneur_agrees", name="entrepreneur_agrees"),
        CheckConstraint("length(trim(question)) > 0", name="question_not_blank"),
        CheckConstraint("status <> 'completed' OR outcome IS NOT NULL", name="completed_outcome"),
        CheckConstraint("status NOT IN ('rejected', 'failed') OR reason IS NOT NULL",
                        name="closed_with_reason"),
        Index("ix_referrals_to_status", "to_organisation_id", "status"),
        Index("ix_referrals_from_status", "from_organisation_id", "status"),
        Index("ix_referrals_company_created", "company_id", "created_at"),
        # The monitor: the referrals sent in a period with everything its figures and the
        # stalled list count them by, read from the index alone (migration 0023).
        Index("ix_referrals_monitor", "created_at", "company_id", "from_organisation_id",
              "to_organisation_id", "status", "accept_due_on", "accepted_at", "closed_at"),
        # An organisation's own monitor: the referrals it sent, and those it received, in a
        # period (migration 0026).
        Index("ix_referrals_from_created", "from_organisation_id", "created_at"),
        Index("ix_referrals_to_created", "to_organisation_id", "created_at"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company handed over.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    #: The sending organisation.
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: The receiving organisation (never the sender).
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: The receiver's offering the company is referred to, when one was chosen.
    offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("offerings.id", ondelete="SET NULL"), index=True)
    #: The question as the entrepreneur put it.
    question: Mapped[str] = mapped_column(Text)
    #: Context the sender chose to pass on.
    context: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The entrepreneur agreed to this handover (required).
    entrepreneur_agrees: Mapped[bool] = mapped_column(Boolean)
    #: Current status (HL7 FHIR Task.status names).
    status: Mapped[str] = mapped_column(String(12), default="requested",
                                        server_default="requested")
    #: Why it was rejected or failed.
    reason: Mapped[str | None] = mapped_column(String(20))
    #: Explanation of the reason (required with ``anders``).
    reason_text: Mapped[str | None] = mapped_column(Text)
    #: What came of it, recorded on completion.
    outcome: Mapped[str | None] = mapped_column(Text)
    #: Accept by this date or the referral is overdue (working days after sending).
    accept_due_on: Mapped[date] = mapped_column(Date)
    #: The user who sent it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was sent.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())
    #: When the receiver accepted it.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When it reached a final state.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the overdue notice went out (so it goes out once).
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Compare-and-set counter: of two racing transitions exactly one wins.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    company: Mapped[Company] = relationship()
    from_organisation: Mapped[Organisation] = relationship(foreign_keys=[from_organisation_id])
    to_organisation: Mapped[Organisation] = relationship(foreign_keys=[to_organisation_id])
    created_by: Mapped[User | None] = relationship()
    offering: Mapped["Offering | None"] = relationship()
    steps: Mapped[list["ReferralStep"]] = relationship(
        back_populates="referral", order_by="ReferralStep.id", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}


class ReferralStep(Base):
    """One step of a referral's lifecycle: who moved it from which status to which, when."""

    __tablename__ = "referral_steps"
    __table_args__ = (
        CheckConstraint(_one_of("to_status", REFERRAL_STATUS_SLUGS), name="status_known"),
        # The journey list: a referral's last step and the last one that rejected or failed
        # it, read from the index alone (migration 0015).
        Index("ix_referral_steps_referral_at", "referral_id", "at", "to_status"),
    )

    #: Surrogate key (also the order of the steps).
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The referral.
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"),
                                             index=True)
    #: Status before the step (NULL for the sending itself).
    from_status: Mapped[str | None] = mapped_column(String(12))
    #: Status after the step.
    to_status: Mapped[str] = mapped_column(String(12))
    #: The action taken (``send``, ``accept``, ``reject``, …).
    action: Mapped[str] = mapped_column(String(12))
    #: Who took it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: On behalf of which organisation.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: When.
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Reason slug for reject/fail.
    reason: Mapped[str | None] = mapped_column(String(20))
    #: Reason text, or the outcome on completion (visible to sender and receiver only).
    note: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="steps")
    actor: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation] = relationship()
