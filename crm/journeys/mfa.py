"""Two-step verification: time-based one-time codes (TOTP, RFC 6238) and recovery codes.

Flask-free, like every operation: the caller passes the app's SECRET_KEY as ``key``.

The TOTP secret is never stored. A user gets a random ``mfa_seed`` when enrolment starts, and
the secret is derived from it with HKDF-SHA256 (RFC 5869) keyed by SECRET_KEY: a copy of the
database alone does not give anyone the codes. (Changing SECRET_KEY therefore makes every
enrolled authenticator app useless: users then sign in with a recovery code, or an
administrator resets their two-step verification.)

Codes are the usual 6 digits per 30 seconds (SHA-1, what every authenticator app does); one
time step either side is accepted for clock drift, and a step once accepted (or an earlier one)
is refused afterwards, so an overheard code cannot be replayed. Recovery codes (10, shown once)
are stored salted and hashed, and each works once.
"""
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from ..models import User, utcnow
from ..models.user import MfaRecoveryCode
from . import audit
from .accounts import check_rate_limit, record_attempt
from .errors import N_, DomainError, ValidationFailed

ISSUER = "Volgende Deur"
STEP_SECONDS = 30
DIGITS = 6
#: Time steps accepted either side of the current one (clock drift of a phone).
WINDOW = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no i, l, o, 0, 1
_RECOVERY_LENGTH = 12

WRONG_CODE = N_("This code is not correct, or it has already been used. Enter the current "
                "code from your authenticator app, or one of your recovery codes.")


class WrongCode(DomainError):
    message = WRONG_CODE


class NotEnabled(DomainError):
    message = N_("Two-step verification is not turned on for this account.")


class AlreadyEnabled(DomainError):
    message = N_("Two-step verification is already turned on for this account.")


# -- the secret ---------------------------------------------------------------------------------

def _hkdf(key: str, info: bytes, length: int = 20) -> bytes:
    """HKDF-SHA256 (RFC 5869), extract and expand, with a fixed salt."""
    prk = hmac.new(b"volgende-deur/mfa/v1", key.encode(), hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def secret_for(user: User, key: str) -> str:
    """The user's TOTP secret (base32), derived from their seed and SECRET_KEY."""
    if not user.mfa_seed:
        raise NotEnabled()
    import base64
    raw = _hkdf(key, b"totp:" + user.mfa_seed.encode())
    return base64.b32encode(raw).decode()


def provisioning_uri(user: User, key: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret_for(user, key), digits=DIGITS, interval=STEP_SECONDS
                      ).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(user: User, key: str, now: datetime) -> str:
    """The code the user's app shows at ``now`` (for tests and the CLI)."""
    return pyotp.TOTP(secret_for(user, key)).generate_otp(_step(now))


def _digits(code) -> str | None:
    text = "".join((code if isinstance(code, str) else "").split())
    return text if len(text) == DIGITS and text.isascii() and text.isdigit() else None


def _matching_step(user: User, key: str, code: str, now: datetime) -> int | None:
    """The time step within the window whose code is ``code`` and that is newer than the
    last one accepted, or None."""
    totp = pyotp.TOTP(secret_for(user, key))
    current = _step(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if user.mfa_last_step is not None and step <= user.mfa_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_step(session: Session, user: User, step: int) -> bool:
    """Compare-and-set: record ``step`` as used unless a request got there first."""
    result = session.execute(
        update(User).where(User.id == user.id, or_(User.mfa_last_step.is_(None),
                                                   User.mfa_last_step < step))
        .values(mfa_last_step=step).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    user.mfa_last_step = step
    session.flush()
    return True


def _check_code(session: Session, user: User, key: str, code, now: datetime) -> bool:
    digits = _digits(code)
    if digits is None:
        return False
    step = _matching_step(user, key, digits, now)
    return step is not None and _accept_step(session, user, step)


# -- recovery codes -----------------------------------------------------------------------------

def _normalise_recovery(code) -> str | None:
    text = "".join(c for c in (code if isinstance(code, str) else "").lower()
                   if c not in " -\t")
    if len(text) != _RECOVERY_LENGTH or any(c not in _RECOVERY_ALPHABET for c in text):
        return None
    return text


def _hash_recovery(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + code).encode()).hexdigest()}"


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        session.add(MfaRecoveryCode(user_id=user.id, code_hash=_hash_recovery(raw)))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    session.flush()
    return codes


def _use_recovery_code(session: Session, user: User, code, now: datetime) -> bool:
    text = _normalise_recovery(code)
    if text is None:
        return False
    unused = session.scalars(select(MfaRecoveryCode).where(
        MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None)))
    for row in unused:
        salt = row.code_hash.split("$", 1)[0]
        if hmac.compare_digest(_hash_recovery(text, salt), row.code_hash):
            used = session.execute(  # compare-and-set: a code works once, also at once
                update(MfaRecoveryCode).where(MfaRecoveryCode.id == row.id,
                                              MfaRecoveryCode.used_at.is_(None))
                .values(used_at=now).execution_options(synchronize_session=False))
            session.flush()
            return used.rowcount == 1
    return False


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(MfaRecoveryCode).where(
        MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None)))


# -- operations ---------------------------------------------------------------------------------

def start_enrolment(session: Session, user: User, key: str) -> str:
    """Give the user a (new) secret to put in their app, unless enrolment has started
    already (then the same one, so a page reload does not invalidate a scanned code).
    Returns the secret in base32, for typing it in by hand."""
    if user.mfa_enabled:
        raise AlreadyEnabled()
    if not user.mfa_seed:
        user.mfa_seed = secrets.token_hex(32)
        user.mfa_last_step = None
        audit.record(user, "mfa-setup-started", "user", user.id, session=session)
        session.flush()
    return secret_for(user, key)


def confirm_enrolment(session: Session, user: User, code, key: str,
                      now: datetime | None = None) -> list[str]:
    """Turn two-step verification on with a first correct code; returns the 10 recovery
    codes (to show once: only their hashes are kept)."""
    now = now or utcnow()
    if user.mfa_enabled:
        raise AlreadyEnabled()
    if not user.mfa_seed:
        raise NotEnabled()
    if not _check_code(session, user, key, code, now):
        raise ValidationFailed({"code": [(N_("This code is not correct. Enter the 6-digit code "
                                             "your authenticator app shows now."), {})]})
    user.mfa_enabled_at = now
    codes = _new_recovery_codes(session, user)
    audit.record(user, "mfa-enabled", "user", user.id, session=session)
    session.flush()
    return codes


def verify(session: Session, user: User, code, key: str, *, address: str,
           max_failures: int = 5, window_seconds: int = 900,
           now: datetime | None = None) -> str:
    """The second step of signing in: a current code (``"totp"``) or an unused recovery code
    (``"recovery code"``), which method is returned. A wrong or replayed code counts as a
    failed sign-in for the rate limit and raises WrongCode; too many raise TooManyAttempts."""
    now = now or utcnow()
    address = (address or "unknown")[:45]
    check_rate_limit(session, user.email, address, max_failures=max_failures,
                     window_seconds=window_seconds, now=now)
    if not user.mfa_enabled:
        raise NotEnabled()
    method = None
    if _check_code(session, user, key, code, now):
        method = "totp"
    elif _use_recovery_code(session, user, code, now):
        method = "recovery code"
    if method is None:
        record_attempt(session, user.email, address, False, now)
        reason = "wrong code" if (_digits(code) or _normalise_recovery(code)) else "no code"
        audit.record(None, "mfa-failed", "user", user.id, session=session,
                     changes={"address": [None, address], "reason": [None, reason]})
        session.flush()
        raise WrongCode()
    changes = {"address": [None, address], "method": [None, method]}
    if method == "recovery code":
        changes["recovery codes left"] = [None, recovery_codes_left(session, user)]
    audit.record(user, "mfa-verified", "user", user.id, session=session, changes=changes)
    session.flush()
    return method


def regenerate_recovery_codes(session: Session, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not user.mfa_enabled:
        raise NotEnabled()
    codes = _new_recovery_codes(session, user)
    audit.record(user, "mfa-codes-renewed", "user", user.id, session=session)
    session.flush()
    return codes


def _clear(session: Session, user: User) -> None:
    user.mfa_seed = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))


def disable(session: Session, user: User, password, code, key: str,
            now: datetime | None = None) -> None:
    """Turn two-step verification off: needs the password and a current (or recovery) code."""
    now = now or utcnow()
    if not user.mfa_enabled:
        raise NotEnabled()
    errors = {}
    if not check_password_hash(user.password_hash, password if isinstance(password, str)
                               else ""):
        errors["password"] = [(N_("This is not your current password."), {})]
    elif not (_check_code(session, user, key, code, now)
              or _use_recovery_code(session, user, code, now)):
        errors["code"] = [(WRONG_CODE, {})]
    if errors:
        raise ValidationFailed(errors)
    _clear(session, user)
    audit.record(user, "mfa-disabled", "user", user.id, session=session)
    session.flush()


def reset(session: Session, by: User, user: User) -> None:
    """An administrator turns another user's two-step verification off (a lost phone); the
    user sets it up again at the next sign-in when their role requires it."""
    was_on = user.mfa_enabled or bool(user.mfa_seed)
    _clear(session, user)
    audit.record(by, "mfa-reset", "user", user.id, session=session,
                 changes={"two-step verification": ["on" if was_on else "off", "off"]})
    session.flush()
