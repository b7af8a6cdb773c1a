"""Follow-up tasks (terugbelafspraak, evaluatie) on an intervention or a referral."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .company import Company
from .intervention import Intervention, _one_of
from .organisation import Organisation
from .referral import Referral
from .user import User
from .vocabulary import TASK_KIND_SLUGS


class FollowUpTask(Base):
    __tablename__ = "follow_up_tasks"
    __table_args__ = (
        CheckConstraint(_one_of("kind", TASK_KIND_SLUGS), name="kind_known"),
        CheckConstraint("intervention_id IS NOT NULL OR referral_id IS NOT NULL",
                        name="on_intervention_or_referral"),
        # Open tasks per owner, by due date: "my tasks" on the start page.
        Index("ix_follow_up_tasks_open_owner", "owner_id", "due_on",
              sqlite_where=text("done_at IS NULL"), postgresql_where=text("done_at IS NULL")),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company concerned.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                            index=True)
    #: The organisation the task belongs to.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: The intervention it follows up.
    intervention_id: Mapped[int | None] = mapped_column(
        ForeignKey("interventions.id", ondelete="CASCADE"), index=True)
    #: The referral it follows up.
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    #: terugbelafspraak, evaluatie or overig.
    kind: Mapped[str] = mapped_column(String(20))
    #: What to do.
    title: Mapped[str] = mapped_column(String(200))
    #: When it is due.
    due_on: Mapped[date] = mapped_column(Date)
    #: Who is to do it.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: When it was done (NULL while open).
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who created it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was created.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    company: Mapped[Company] = relationship()
    organisation: Mapped[Organisation] = relationship()
    intervention: Mapped[Intervention | None] = relationship()
    referral: Mapped[Referral | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
