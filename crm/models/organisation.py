"""Organisations: the initiatives, EDIHs, ROMs and others that work with companies."""
import enum
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, String, Table, false, func,
                        true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .reference import Province, Region


class OrganisationKind(str, enum.Enum):
    edih = "edih"
    werkplaats = "werkplaats"
    programma = "programma"
    kvk = "kvk"
    rom = "rom"
    gemeente = "gemeente"
    provincie = "provincie"
    kennisinstelling = "kennisinstelling"
    bank = "bank"
    branche = "branche"
    commercieel = "commercieel"
    overig = "overig"


organisation_provinces = Table(
    "organisation_provinces",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"),
           primary_key=True),
    Column("province_id", ForeignKey("provinces.id", ondelete="CASCADE"), primary_key=True),
)

organisation_regions = Table(
    "organisation_regions",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"),
           primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


def _in(column: str, enum_cls) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum_cls)})"


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(_in("kind", OrganisationKind), name="kind_known"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name as the organisation calls itself (unique).
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: What kind of organisation this is (see :class:`OrganisationKind`).
    kind: Mapped[str] = mapped_column(String(20))
    #: Public website.
    website: Mapped[str | None] = mapped_column(String(300))
    #: Inactive organisations keep their history but cannot sign in or receive referrals.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: The network's intake point (one front door) for the provinces it serves: questions
    #: left on the public form land in its intake queue.
    intake_point: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: When the organisation was registered.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())

    provinces: Mapped[list[Province]] = relationship(secondary=organisation_provinces,
                                                     order_by=Province.name)
    regions: Mapped[list[Region]] = relationship(secondary=organisation_regions,
                                                 order_by=Region.name)

    def __str__(self) -> str:
        return self.name
