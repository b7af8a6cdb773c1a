"""Companies (the shared master record, keyed on the KVK number) and their contact persons."""
import enum
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, ForeignKeyConstraint, Index,
                        Integer, String, Text, UniqueConstraint, false, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, SortKey, UTCDateTime, utcnow
from .organisation import Organisation, _in
from .reference import Municipality, Province, SbiSection
from .user import User


class SizeClass(str, enum.Enum):
    zzp = "zzp"
    micro = "micro"
    klein = "klein"
    middelgroot = "middelgroot"
    #: 250 or more employees: not an SME, but kept rather than refused.
    groot = "groot"


class Phase(str, enum.Enum):
    starter = "starter"
    scale_up = "scale-up"
    overig = "overig"


class Maturity(str, enum.Enum):
    laag = "laag"
    middel = "middel"
    hoog = "hoog"
    onbekend = "onbekend"


def size_class_for(employees: int | None) -> str | None:
    """The size class that a number of working persons implies (``None`` when unknown)."""
    if employees is None:
        return None
    if employees <= 1:
        return SizeClass.zzp.value
    if employees < 10:
        return SizeClass.micro.value
    if employees < 50:
        return SizeClass.klein.value
    if employees < 250:
        return SizeClass.middelgroot.value
    return SizeClass.groot.value


def _digits(column: str, n: int) -> str:
    # Portable (SQLite and PostgreSQL): n characters, all of them digits.
    return f"length({column}) = {n} AND ltrim({column}, '0123456789') = ''"


#: The columns company search reads next to the index key (PostgreSQL INCLUDE).
SEARCH_INCLUDE = ["id", "sbi_section", "size_class", "province_id"]


class Company(Base):
    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint(_digits("kvk", 8), name="kvk_eight_digits"),
        CheckConstraint(_digits("establishment_number", 12), name="establishment_twelve_digits"),
        CheckConstraint("length(sbi_code) BETWEEN 2 AND 5 AND ltrim(sbi_code, '0123456789') = ''",
                        name="sbi_code_digits"),
        CheckConstraint("employees >= 0", name="employees_not_negative"),
        CheckConstraint(_in("size_class", SizeClass), name="size_class_known"),
        CheckConstraint(_in("phase", Phase), name="phase_known"),
        CheckConstraint(_in("digital_maturity", Maturity), name="maturity_known"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        CheckConstraint("version > 0", name="version_positive"),
        # The province is the municipality's: one foreign key checks both (migration 0022;
        # one check per row written instead of two), and no province without a municipality.
        ForeignKeyConstraint(["municipality_id", "province_id"],
                             ["municipalities.id", "municipalities.province_id"]),
        CheckConstraint("municipality_id IS NOT NULL OR province_id IS NULL",
                        name="province_follows_municipality"),
        # Name-ordered ranges: browsing and name prefixes (per province), places (per
        # municipality). On PostgreSQL they carry what search filters on (migration 0019), so a
        # range is read from the index alone; SQLite's indexes end in the rowid (= id) anyway.
        Index("ix_companies_sort_name", "sort_name", postgresql_include=SEARCH_INCLUDE),
        Index("ix_companies_province_sort", "province_id", "sort_name",
              postgresql_include=SEARCH_INCLUDE),
        Index("ix_companies_municipality_sort", "municipality_id", "sort_name",
              postgresql_include=SEARCH_INCLUDE),
        UniqueConstraint("kvk", name="uq_companies_kvk", postgresql_include=SEARCH_INCLUDE),
        # The monitor: a province's companies in id order with the attributes its figures are
        # broken down by, read from the index alone (migration 0016).
        Index("ix_companies_monitor", "province_id", "id", "sbi_section", "size_class",
              "digital_maturity", "municipality_id", "phase"),
    )

    #: Surrogate key (the KVK number can be missing or corrected; references use this).
    id: Mapped[int] = mapped_column(primary_key=True)
    #: KVK number: exactly 8 digits, leading zeros kept; unique.
    kvk: Mapped[str | None] = mapped_column(String(8))
    #: Vestigingsnummer of the main establishment: 12 digits.
    establishment_number: Mapped[str | None] = mapped_column(String(12))
    #: Registered name.
    name: Mapped[str] = mapped_column(String(200))
    #: Trade names (handelsnamen), one per line.
    trade_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Lower-cased, accent-free name: the key for ordered prefix search.
    sort_name: Mapped[str] = mapped_column(SortKey)
    #: Lower-cased, accent-free name and trade names: what substring search matches (KVK
    #: numbers are found on ``kvk``, exactly or by their start; migration 0022).
    search_text: Mapped[str] = mapped_column(Text)
    #: SBI 2008 activity code (2 to 5 digits).
    sbi_code: Mapped[str | None] = mapped_column(String(5))
    #: SBI section letter derived from the code: the sector used in reporting.
    sbi_section: Mapped[str | None] = mapped_column(ForeignKey("sbi_sections.letter"))
    #: Number of working persons, when known.
    employees: Mapped[int | None] = mapped_column(Integer)
    #: Size class; derived from ``employees`` when that is known.
    size_class: Mapped[str | None] = mapped_column(String(12))
    #: Phase: starter, scale-up or overig.
    phase: Mapped[str | None] = mapped_column(String(12))
    #: KVK non-mailing indicator: the company does not want unsolicited mail.
    non_mailing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Municipality of the (main) establishment.
    municipality_id: Mapped[int | None] = mapped_column(Integer)
    #: Province, derived from the municipality (kept on the row for fast filtering).
    province_id: Mapped[int | None] = mapped_column(Integer)
    #: Website.
    website: Mapped[str | None] = mapped_column(String(300))
    #: Overall digital maturity: laag, middel, hoog or onbekend.
    digital_maturity: Mapped[str] = mapped_column(String(10), default="onbekend",
                                                  server_default="onbekend")
    #: Who registered the company (empty for imported and seeded records).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the company was registered.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())
    #: Who last changed the master data.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the master data last changed.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Optimistic-locking counter: an edit based on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    # Each by its own column (the foreign key above covers both together).
    municipality: Mapped[Municipality | None] = relationship(
        primaryjoin="foreign(Company.municipality_id) == Municipality.id")
    province: Mapped[Province | None] = relationship(
        primaryjoin="foreign(Company.province_id) == Province.id")
    section: Mapped[SbiSection | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    contacts: Mapped[list["ContactPerson"]] = relationship(
        back_populates="company", order_by="ContactPerson.name", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def trade_name_list(self) -> list[str]:
        return [t for t in self.trade_names.splitlines() if t.strip()]

    def __str__(self) -> str:
        return f"{self.name} ({self.kvk})" if self.kvk else self.name


class ContactPerson(Base):
    """A person at a company. Personal data: kept minimal and apart from the company record."""

    __tablename__ = "contact_persons"
    __table_args__ = (
        CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The company this person works at.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                            index=True)
    #: The organisation that recorded this person (and is responsible for it under the AVG).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: Full name.
    name: Mapped[str] = mapped_column(String(200))
    #: Role at the company (eigenaar, IT-verantwoordelijke, …).
    role: Mapped[str | None] = mapped_column(String(100))
    #: E-mail address (lower-cased).
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    #: Phone number as given.
    phone: Mapped[str | None] = mapped_column(String(40))
    #: Who recorded the person.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the person was recorded.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())

    company: Mapped[Company] = relationship(back_populates="contacts")
    organisation: Mapped[Organisation] = relationship()

    def __str__(self) -> str:
        return self.name
