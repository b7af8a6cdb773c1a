"""Duplicate companies: candidate pairs (and the ones dismissed as "not a duplicate"), and the
record of every merge, with what is needed to reverse it."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .company import Company
from .user import User


class DuplicatePair(Base):
    """Two companies that look like one: found by a scan, or dismissed as "not a duplicate"
    (then never proposed again). The lower id is always ``company_a_id``."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (
        CheckConstraint("company_a_id < company_b_id", name="ordered"),
        CheckConstraint("status IN ('open', 'dismissed')", name="status_known"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        # The list page: open pairs, best first.
        Index("ix_duplicate_pairs_status_score", "status", "score"),
    )

    #: The company with the lower id.
    company_a_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    #: The company with the higher id.
    company_b_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, index=True)
    #: Name similarity, 0 to 100.
    score: Mapped[int] = mapped_column(Integer)
    #: open (proposed) or dismissed ("not a duplicate").
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    #: When the pair was (last) found.
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Who dismissed it.
    dismissed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was dismissed.
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    company_a: Mapped[Company] = relationship(foreign_keys=[company_a_id])
    company_b: Mapped[Company] = relationship(foreign_keys=[company_b_id])
    dismissed_by: Mapped[User | None] = relationship()


class CompanyMerge(Base):
    """One merge of a duplicate company into a surviving one, kept so it can be reversed.

    The duplicate's row is deleted by the merge (its KVK number and search entry go with it);
    ``duplicate_id`` is therefore no foreign key. Neither is ``survivor_id``: a survivor that
    is merged in its turn keeps this record pointing at it (a later merge never moves it).
    """

    __tablename__ = "company_merges"
    __table_args__ = (
        CheckConstraint("survivor_id <> duplicate_id", name="two_companies"),
        # Old addresses of a merged company lead to its survivor.
        Index("ix_company_merges_duplicate", "duplicate_id", "reverted_at"),
        Index("ix_company_merges_survivor", "survivor_id"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company that remains.
    survivor_id: Mapped[int] = mapped_column(Integer)
    #: The company merged into it (deleted; restored with the same id on reversal).
    duplicate_id: Mapped[int] = mapped_column(Integer)
    #: The duplicate's name at the time, for lists (the snapshot holds everything).
    duplicate_name: Mapped[str] = mapped_column(String(200))
    #: The survivor's name after the merge, for lists.
    survivor_name: Mapped[str] = mapped_column(String(200))
    #: The duplicate's company row as it was, every column (JSON values).
    snapshot: Mapped[dict] = mapped_column(JSON)
    #: The survivor's master data before the merge: ``{field: value}`` of what changed.
    survivor_before: Mapped[dict] = mapped_column(JSON)
    #: The survivor's master data set by the merge: ``{field: value}``.
    survivor_after: Mapped[dict] = mapped_column(JSON)
    #: Rows moved to the survivor: ``{"table.column": [primary key, …]}``.
    moved: Mapped[dict] = mapped_column(JSON)
    #: Side effects to undo: consents closed, duplicate pairs removed (rows as JSON).
    adjustments: Mapped[dict] = mapped_column(JSON)
    #: Who merged.
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When.
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Who reversed it.
    reverted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was reversed (NULL while in force).
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The number the duplicate came back under, when its own had been given out again.
    restored_as_id: Mapped[int | None] = mapped_column(Integer)
    #: What the reversal could not restore (fields changed since the merge), for the record.
    reversal_note: Mapped[str | None] = mapped_column(Text)

    merged_by: Mapped[User | None] = relationship(foreign_keys=[merged_by_id])
    reverted_by: Mapped[User | None] = relationship(foreign_keys=[reverted_by_id])

    @property
    def restored_id(self) -> int:
        """Where the duplicate lives again after a reversal."""
        return self.restored_as_id or self.duplicate_id

    @property
    def moved_count(self) -> int:
        return sum(len(keys) for keys in (self.moved or {}).values())


#: Tables that refer to companies but are not moved by a merge (they are about the merge).
NOT_MOVED = {"duplicate_pairs", "company_merges"}
