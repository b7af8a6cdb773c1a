"""Users of the CRM: account managers, staff, coordinators and administrators."""
import enum
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table,
                        func, true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .organisation import Organisation, _in
from .reference import Province


class Role(str, enum.Enum):
    account_manager = "account_manager"
    staff = "staff"
    coordinator = "coordinator"
    admin = "admin"


LOCALES = ("nl", "en")

coordinator_provinces = Table(
    "coordinator_provinces",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("province_id", ForeignKey("provinces.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", Role), name="role_known"),
        CheckConstraint("locale IN ('nl', 'en')", name="locale_known"),
        # E-mail addresses are unique regardless of case: we store them lower-cased.
        CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; stored lower-cased, unique.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Display name.
    name: Mapped[str] = mapped_column(String(200))
    #: Password hash (scrypt, via Werkzeug); never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: The organisation the user works for.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: One of :class:`Role`.
    role: Mapped[str] = mapped_column(String(20))
    #: Inactive users cannot sign in.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Preferred interface language, ``nl`` or ``en``.
    locale: Mapped[str] = mapped_column(String(2), default="nl", server_default="nl")
    #: When the account was created.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 server_default=func.current_timestamp())
    #: Last successful sign-in.
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Sessions signed in before this moment are no longer valid (set on signing out and on a
    #: password change: the session cookie is stateless, so this is how it is revoked).
    sessions_valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Random value from which the user's TOTP secret is derived (HKDF with the app's
    #: SECRET_KEY, crm/journeys/mfa.py); the secret itself is never stored. Set when enrolment
    #: starts, cleared when two-step verification is turned off or reset.
    mfa_seed: Mapped[str | None] = mapped_column(String(64))
    #: When two-step verification was confirmed with a first code; None: not enabled.
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The last TOTP time step (Unix time // 30) accepted, so the same code is refused again.
    mfa_last_step: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    #: Provinces a coordinator coordinates.
    provinces: Mapped[list[Province]] = relationship(secondary=coordinator_provinces,
                                                     order_by=Province.name)

    # Flask-Login protocol, written out so the model does not depend on Flask.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and self.organisation.active

    def get_id(self) -> str:
        return str(self.id)

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_enabled_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin.value

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class LoginAttempt(Base):
    """Sign-in attempts, kept in the database so every app process sees the same rate limit."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The e-mail address that was tried (lower-cased), whether or not a user has it.
    email: Mapped[str] = mapped_column(String(254))
    #: Client IP address.
    address: Mapped[str] = mapped_column(String(45))
    #: When it was tried.
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Whether the attempt succeeded.
    success: Mapped[bool] = mapped_column(Boolean)


class MfaRecoveryCode(Base):
    """One-time recovery codes for signing in without the authenticator app (10 per user)."""

    __tablename__ = "mfa_recovery_codes"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose code it is.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: ``salt$sha256(salt + code)`` of the normalised code; never the code.
    code_hash: Mapped[str] = mapped_column(String(100))
    #: When it was used to sign in (a code works once); None: still unused.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
