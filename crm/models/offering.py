"""Offerings (aanbod): what an organisation offers companies, on the Regioscan dimensions.

Multi-valued dimensions of the target group and content (sectors, sizes, phases, maturity,
digitalisation forms, technologies, bottlenecks, market failures) are rows of
``offering_tags``; provinces and regions are real references. An empty dimension means
"any" (a national offering has no provinces).
"""
from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Column, Date, ForeignKey, Index, String, Table,
                        Text, func, true)
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .intervention import _one_of
from .organisation import Organisation
from .reference import Province, Region
from .vocabulary import (ARCHETYPE_SLUGS, COST_KINDS, OFFERING_TAG_DIMENSIONS, PROVIDER_ROLES)

offering_provinces = Table(
    "offering_provinces",
    Base.metadata,
    Column("offering_id", ForeignKey("offerings.id", ondelete="CASCADE"), primary_key=True),
    Column("province_id", ForeignKey("provinces.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

offering_regions = Table(
    "offering_regions",
    Base.metadata,
    Column("offering_id", ForeignKey("offerings.id", ondelete="CASCADE"), primary_key=True),
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class Offering(Base):
    __tablename__ = "offerings"
    __table_args__ = (
        CheckConstraint(_one_of("archetype", ARCHETYPE_SLUGS), name="archetype_known"),
        CheckConstraint(_one_of("cost_kind", [c for c, _ in COST_KINDS]), name="cost_known"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                        name="period_in_order"),
        Index("ix_offerings_archetype", "archetype"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organisation that offers it (and maintains this record).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: Name of the offering (activity).
    name: Mapped[str] = mapped_column(String(200))
    #: What it is, for staff choosing the next door.
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The target group and content in one line of ``dimension:value`` tokens, with
    #: ``province:<id>`` and ``region:<id>``: what suggestions rank without a query per
    #: dimension (kept up to date on every save, like ``search_text``).
    profile: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Lower-cased, accent-free name, description, organisation and provider names: what the
    #: map's free text matches (kept up to date on every save, see ``_refresh_search_text``).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: One of the 12 Regioscan archetypes (reach and effort follow from it).
    archetype: Mapped[str] = mapped_column(String(30))
    #: What it costs the entrepreneur: gratis, eigen-bijdrage or betaald.
    cost_kind: Mapped[str] = mapped_column(String(20), default="gratis", server_default="gratis")
    #: Cost details (amount, conditions).
    cost_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: First day it runs (NULL: already running).
    starts_on: Mapped[date | None] = mapped_column(Date)
    #: Last day it runs (NULL: open-ended). Many initiatives are temporary.
    ends_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: Contact point: a name or desk.
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: Contact e-mail address.
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    #: Contact phone number.
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: Web page with more information.
    url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: Whether other organisations may refer companies to it.
    takes_referrals: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Withdrawn offerings stay on record but are not suggested or listed as active.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: When it was registered.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())
    #: When it last changed.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship()
    provinces: Mapped[list[Province]] = relationship(secondary=offering_provinces,
                                                     order_by=Province.name)
    regions: Mapped[list[Region]] = relationship(secondary=offering_regions,
                                                 order_by=Region.name)
    tags: Mapped[list["OfferingTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: [OfferingTag.dimension, OfferingTag.value])
    providers: Mapped[list["OfferingProvider"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="OfferingProvider.id")

    def values(self, dimension: str) -> list[str]:
        return [t.value for t in self.tags if t.dimension == dimension]

    def expired(self, on: date) -> bool:
        return self.ends_on is not None and self.ends_on < on

    def __str__(self) -> str:
        return self.name


class OfferingTag(Base):
    """One value of one multi-valued dimension of an offering (``size`` = ``micro``)."""

    __tablename__ = "offering_tags"
    __table_args__ = (
        CheckConstraint(_one_of("dimension", OFFERING_TAG_DIMENSIONS), name="dimension_known"),
        # Filtering the map: which offerings have this value in this dimension.
        Index("ix_offering_tags_dimension_value", "dimension", "value", "offering_id"),
    )

    #: The offering.
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id", ondelete="CASCADE"),
                                             primary_key=True)
    #: sector, size, phase, maturity, form, technology, bottleneck or market-failure.
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: The value (a slug of that dimension's vocabulary, or an SBI section letter).
    value: Mapped[str] = mapped_column(String(30), primary_key=True)


class OfferingProvider(Base):
    """A provider (aanbieder) involved in an offering, and its role."""

    __tablename__ = "offering_providers"
    __table_args__ = (
        CheckConstraint(_one_of("role", [r for r, _ in PROVIDER_ROLES]), name="role_known"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The offering.
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id", ondelete="CASCADE"),
                                             index=True)
    #: The provider as an organisation in the CRM, when it is one.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    #: Provider's name (e.g. "Ministerie van EZK", "Rabobank").
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: initiatiefnemer, financier or uitvoerder.
    role: Mapped[str] = mapped_column(String(20))

    organisation: Mapped[Organisation | None] = relationship()


def offering_search_text(offering: "Offering", session=None) -> str:
    from ..reference import normalise
    parts = [offering.name or "", offering.description or ""]
    organisation = offering.organisation
    if organisation is None and offering.organisation_id is not None and session is not None:
        organisation = session.get(Organisation, offering.organisation_id)
    if organisation is not None:
        parts.append(organisation.name)
    parts += [p.name for p in offering.providers]
    return normalise(" ".join(parts))


def offering_profile(offering: "Offering") -> str:
    tokens = sorted(f"{t.dimension}:{t.value}" for t in offering.tags)
    tokens += [f"province:{p.id}" for p in offering.provinces]
    tokens += [f"region:{r.id}" for r in offering.regions]
    return " ".join(tokens)


@event.listens_for(Session, "before_flush")
def _refresh_search_text(session, flush_context, instances):
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Offering):
            obj.search_text = offering_search_text(obj, session)
            obj.profile = offering_profile(obj)
        elif isinstance(obj, OfferingProvider) and obj.offering_id is not None:
            owner = session.get(Offering, obj.offering_id)
            if owner is not None:
                owner.search_text = offering_search_text(owner, session)
        elif isinstance(obj, OfferingTag) and obj.offering_id is not None:
            owner = session.get(Offering, obj.offering_id)
            if owner is not None:
                owner.profile = offering_profile(owner)


class CatalogueMarker(Base):
    """A token that changes with every change to the offerings (or to an organisation's active
    flag), set by database triggers (migration 0020) — whoever makes the change, the app, an
    import or plain SQL. The next-door suggestions keep the offerings in memory and read this
    token to know whether their copy is still current."""

    __tablename__ = "catalogue_markers"

    #: What the token is about: ``offerings``.
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: A random value, new with every change (a counter could come back after a rollback).
    token: Mapped[str] = mapped_column(String(64))
