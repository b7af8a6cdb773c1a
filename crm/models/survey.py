"""Impact survey (invitations with a personal link, and the answers) and DMA results."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .company import Company
from .intervention import Intervention, _one_of
from .organisation import Organisation
from .referral import Referral
from .user import User
from .vocabulary import DMA_DIMENSION_NAMES, DMA_SOURCES, SURVEY_QUESTION_KEYS


class SurveyInvitation(Base):
    """A personal, single-use survey link sent to the entrepreneur after an intervention or a
    completed referral. The signed token carries the id and the nonce."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        CheckConstraint("(intervention_id IS NULL) <> (referral_id IS NULL)",
                        name="intervention_xor_referral"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        Index("ix_survey_invitations_company_created", "company_id", "created_at"),
    )

    #: Surrogate key (carried in the signed token).
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company asked.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    #: The organisation that sends it (the one that did the intervention / received the referral).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: The intervention asked about (exactly one of intervention and referral is set).
    intervention_id: Mapped[int | None] = mapped_column(
        ForeignKey("interventions.id", ondelete="CASCADE"), index=True)
    #: The completed referral asked about.
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    #: The staff member who made the link.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the link was made.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())
    #: The link stops working after this moment.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When it was answered (set once, compare-and-set; NULL while unused).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Recipient's e-mail address when the link was mailed (personal data).
    email: Mapped[str | None] = mapped_column(String(254))
    #: Random value carried in the token, so a guessed id alone opens nothing.
    token_nonce: Mapped[str] = mapped_column(String(64), unique=True)

    company: Mapped[Company] = relationship()
    organisation: Mapped[Organisation] = relationship()
    intervention: Mapped[Intervention | None] = relationship()
    referral: Mapped[Referral | None] = relationship()
    created_by: Mapped[User | None] = relationship()


def _answer_column() -> Mapped[int | None]:
    return mapped_column(Integer)


class SurveyResponse(Base):
    """The entrepreneur's answers to one invitation (at most one response per invitation)."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        *(CheckConstraint(f"{k} BETWEEN 1 AND 6", name=f"{k}_on_scale")
          for k in SURVEY_QUESTION_KEYS),
        Index("ix_survey_responses_organisation_answered", "organisation_id", "answered_at"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The invitation answered (unique: a link is answered once).
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitations.id", ondelete="CASCADE"), unique=True)
    #: The company that answered.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                            index=True)
    #: The organisation whose work was rated.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: The activity's archetype (intervention kind slug; for a referral the receiving
    #: offering's archetype, or NULL).
    archetype: Mapped[str | None] = mapped_column(String(30))
    #: When it was answered.
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Answers to the ten questions: 1 not at all … 4 to a large extent, 5 don't know,
    #: 6 not applicable; NULL when left blank.
    answer_1: Mapped[int | None] = _answer_column()
    #: Question 2 (see ``answer_1`` for the scale).
    answer_2: Mapped[int | None] = _answer_column()
    #: Question 3.
    answer_3: Mapped[int | None] = _answer_column()
    #: Question 4.
    answer_4: Mapped[int | None] = _answer_column()
    #: Question 5.
    answer_5: Mapped[int | None] = _answer_column()
    #: Question 6.
    answer_6: Mapped[int | None] = _answer_column()
    #: Question 7.
    answer_7: Mapped[int | None] = _answer_column()
    #: Question 8.
    answer_8: Mapped[int | None] = _answer_column()
    #: Question 9.
    answer_9: Mapped[int | None] = _answer_column()
    #: Question 10.
    answer_10: Mapped[int | None] = _answer_column()
    #: Free comment from the entrepreneur.
    comment: Mapped[str | None] = mapped_column(Text)

    invitation: Mapped[SurveyInvitation] = relationship()
    company: Mapped[Company] = relationship()
    organisation: Mapped[Organisation] = relationship()

    def answers(self) -> dict[str, int | None]:
        return {k: getattr(self, k) for k in SURVEY_QUESTION_KEYS}


def _score_column() -> Mapped[int]:
    return mapped_column(Integer)


class DmaAssessment(Base):
    """One Digital Maturity Assessment result: six dimensions 0–100 and their average."""

    __tablename__ = "dma_assessments"
    __table_args__ = (
        *(CheckConstraint(f"{d} BETWEEN 0 AND 100", name=f"{d}_range")
          for d in DMA_DIMENSION_NAMES),
        CheckConstraint("average BETWEEN 0 AND 100", name="average_range"),
        CheckConstraint(_one_of("source", [s for s, _ in DMA_SOURCES]), name="source_known"),
        Index("ix_dma_assessments_company_assessed", "company_id", "assessed_on"),
        Index("ix_dma_assessments_organisation_assessed", "organisation_id", "assessed_on"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company assessed.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    #: The organisation that recorded it.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: Date of the assessment.
    assessed_on: Mapped[date] = mapped_column(Date)
    #: Digital business strategy, 0–100.
    digital_business_strategy: Mapped[int] = _score_column()
    #: Digital readiness, 0–100.
    digital_readiness: Mapped[int] = _score_column()
    #: Human-centric digitalisation, 0–100.
    human_centric: Mapped[int] = _score_column()
    #: Data management, 0–100.
    data_management: Mapped[int] = _score_column()
    #: Automation & artificial intelligence, 0–100.
    automation_ai: Mapped[int] = _score_column()
    #: Green digitalisation, 0–100.
    green: Mapped[int] = _score_column()
    #: Mean of the six dimensions (computed when recorded, two decimals).
    average: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    #: ``entered`` by hand or ``imported`` from a file.
    source: Mapped[str] = mapped_column(String(10), default="entered",
                                        server_default="entered")
    #: Who recorded it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was recorded.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())

    company: Mapped[Company] = relationship()
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()

    def scores(self) -> dict[str, int]:
        return {d: getattr(self, d) for d in DMA_DIMENSION_NAMES}
