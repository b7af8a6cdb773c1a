"""Interventions (contacts and activities) of an organisation with a company, and events."""
from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Column, Computed, Date, ForeignKey, Index, SmallInteger,
                        String, Table, Text, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .company import Company
from .organisation import Organisation
from .user import User
from .vocabulary import BOTTLENECK_SLUGS, INTERVENTION_KIND_SLUGS, KIND_CODE_SQL, TOPIC_SLUGS


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


intervention_bottlenecks = Table(
    "intervention_bottlenecks",
    Base.metadata,
    Column("intervention_id", ForeignKey("interventions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("bottleneck", String(20), primary_key=True),
    CheckConstraint(_one_of("bottleneck", BOTTLENECK_SLUGS), name="bottleneck_known"),
)

intervention_topics = Table(
    "intervention_topics",
    Base.metadata,
    Column("intervention_id", ForeignKey("interventions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("topic", String(30), primary_key=True),
    CheckConstraint(_one_of("topic", TOPIC_SLUGS), name="topic_known"),
)


class Event(Base):
    """A workshop or other event, logged once; each attendee gets an intervention."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(_one_of("kind", INTERVENTION_KIND_SLUGS), name="kind_known"),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organisation that held the event.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: Kind of activity (usually ``workshops``).
    kind: Mapped[str] = mapped_column(String(30))
    #: Title of the event.
    title: Mapped[str] = mapped_column(String(200))
    #: Date the event took place.
    occurred_on: Mapped[date] = mapped_column(Date)
    #: What the event was about (shared with the attendees' interventions).
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Attendee KVK numbers that matched no company when it was logged, one per line: kept so
    #: they can be registered and added later rather than silently dropped.
    unresolved_kvk: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Who logged it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was logged.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())

    organisation: Mapped[Organisation] = relationship()


class Intervention(Base):
    """A contact moment or activity of one organisation with one company."""

    __tablename__ = "interventions"
    __table_args__ = (
        CheckConstraint(_one_of("kind", INTERVENTION_KIND_SLUGS), name="kind_known"),
        Index("ix_interventions_company_occurred", "company_id", "occurred_on"),
        # An organisation's contacts of a period; on PostgreSQL with their company and kind,
        # so that its monitor reads them from the index alone (migration 0025).
        Index("ix_interventions_organisation_occurred", "organisation_id", "occurred_on",
              postgresql_include=["company_id", "kind_code"]),
        # The user's last-used kind, the default of the quick form.
        Index("ix_interventions_author", "created_by_id", "id"),
        # The monitor: a company's interventions in a period with their kind (also as a
        # number) and organisation, read from the index alone (migrations 0014, 0024).
        Index("ix_interventions_company_monitor", "company_id", "occurred_on", "kind",
              "organisation_id", "kind_code"),
        # The journey list: an organisation's companies with the day of its last contact,
        # read from the index alone, in company order (migration 0015).
        Index("ix_interventions_organisation_company", "organisation_id", "company_id",
              "occurred_on"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company it was with.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    #: The organisation that did it.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: The staff member who did it.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    #: The event it was part of, for workshop attendees.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"),
                                                 index=True)
    #: Date it took place.
    occurred_on: Mapped[date] = mapped_column(Date)
    #: A plain contact (intake, telefoon, e-mail, bezoek) or one of the 12 archetypes.
    kind: Mapped[str] = mapped_column(String(30))
    #: The kind as a number (:data:`~.vocabulary.KIND_CODES`), computed by the database from
    #: ``kind``: the monitor compares it up to 16 times per contact on PostgreSQL, and integers
    #: compare cheaper than text (SQLite compares the text: a statement naming a generated
    #: column reads no index alone there, see ``monitor.reach.kind_key``). Stored (a SQLite
    #: database upgraded by migration 0024 computes it when read instead: SQLite cannot add a
    #: stored column; the index holds it either way).
    kind_code: Mapped[int] = mapped_column(SmallInteger, Computed(KIND_CODE_SQL, persisted=True))
    #: What happened, shared with other organisations under consent.
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Internal note: never leaves the organisation.
    internal_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Who logged it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was logged.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())
    #: Its bottlenecks, comma-separated in alphabetical order: a copy of
    #: ``intervention_bottlenecks`` kept by database triggers (migration 0021), so the timeline
    #: reads them without a subquery per row. The tag table is the source of truth.
    bottleneck_list: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Its topics, likewise (a copy of ``intervention_topics``).
    topic_list: Mapped[str] = mapped_column(Text, default="", server_default="")

    company: Mapped[Company] = relationship()
    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    event: Mapped[Event | None] = relationship()
    _bottleneck_rows = relationship(
        "InterventionBottleneck", cascade="all, delete-orphan", passive_deletes=True,
        order_by="InterventionBottleneck.bottleneck")
    _topic_rows = relationship(
        "InterventionTopic", cascade="all, delete-orphan", passive_deletes=True,
        order_by="InterventionTopic.topic")

    @property
    def bottlenecks(self) -> list[str]:
        return [r.bottleneck for r in self._bottleneck_rows]

    @bottlenecks.setter
    def bottlenecks(self, values) -> None:
        values = list(dict.fromkeys(values))
        self._bottleneck_rows = [InterventionBottleneck(bottleneck=v) for v in values]
        # What the database's triggers will write, so this object agrees with its row.
        self.bottleneck_list = ",".join(sorted(values))

    @property
    def topics(self) -> list[str]:
        return [r.topic for r in self._topic_rows]

    @topics.setter
    def topics(self, values) -> None:
        values = list(dict.fromkeys(values))
        self._topic_rows = [InterventionTopic(topic=v) for v in values]
        self.topic_list = ",".join(sorted(values))


class InterventionBottleneck(Base):
    __table__ = intervention_bottlenecks


class InterventionTopic(Base):
    __table__ = intervention_topics
