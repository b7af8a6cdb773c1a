"""Reference data: provinces, municipalities, named regions and SBI 2008 sections."""
from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

region_municipalities = Table(
    "region_municipalities",
    Base.metadata,
    Column("region_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipalities.id", ondelete="CASCADE"),
           primary_key=True),
)


class Province(Base):
    __tablename__ = "provinces"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: CBS code, ``PV20`` (Groningen) … ``PV31`` (Limburg).
    code: Mapped[str] = mapped_column(String(4), unique=True)
    #: Name as CBS writes it (``Fryslân``, ``Noord-Holland``).
    name: Mapped[str] = mapped_column(String(40), unique=True)

    municipalities: Mapped[list["Municipality"]] = relationship(
        back_populates="province", order_by="Municipality.name")

    def __str__(self) -> str:
        return self.name


class Municipality(Base):
    __tablename__ = "municipalities"
    __table_args__ = (
        # What a company's (municipality, province) pair refers to (migration 0022).
        UniqueConstraint("id", "province_id", name="uq_municipalities_id_province_id"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: CBS municipality code, ``GM0003`` style.
    code: Mapped[str] = mapped_column(String(6), unique=True)
    #: Official name (``'s-Hertogenbosch``, ``Súdwest-Fryslân``).
    name: Mapped[str] = mapped_column(String(80), index=True)
    #: Lower-cased, accent-free name used for place search.
    search_name: Mapped[str] = mapped_column(String(80), index=True)
    #: Province the municipality lies in.
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)

    province: Mapped[Province] = relationship(back_populates="municipalities")

    def __str__(self) -> str:
        return self.name


class Region(Base):
    """A named group of municipalities, such as Gooi & Vechtstreek."""

    __tablename__ = "regions"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name of the region (unique).
    name: Mapped[str] = mapped_column(String(80), unique=True)

    municipalities: Mapped[list[Municipality]] = relationship(
        secondary=region_municipalities, order_by=Municipality.name)

    def __str__(self) -> str:
        return self.name


class SbiSection(Base):
    """A section (A–U) of the Standaard Bedrijfsindeling 2008: the sector used in reporting."""

    __tablename__ = "sbi_sections"

    #: Section letter, ``A`` … ``U``.
    letter: Mapped[str] = mapped_column(String(1), primary_key=True)
    #: Dutch name as CBS publishes it.
    name_nl: Mapped[str] = mapped_column(String(200))
    #: English name (NACE Rev. 2).
    name_en: Mapped[str] = mapped_column(String(200))
    #: First two-digit SBI division in this section (``01`` for A).
    first_division: Mapped[int] = mapped_column()
    #: Last two-digit SBI division in this section (``03`` for A).
    last_division: Mapped[int] = mapped_column()

    def __str__(self) -> str:
        return f"{self.letter} – {self.name_nl}"
