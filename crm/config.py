"""Configuration from environment variables (``CRM_*``), with safe defaults."""
import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """``CRM_SECRET_KEY``, or a key generated on first run and kept in the instance folder."""
    key = os.environ.get("CRM_SECRET_KEY")
    if key:
        return key
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on", "ja")


def from_environment(instance_path: Path) -> dict:
    instance_path = Path(instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "CRM_DATABASE_URL", f"sqlite:///{instance_path / 'crm.sqlite'}"),
        "SECRET_KEY": _secret_key(instance_path),
        # Mail (used by notifications); nothing is sent when CRM_MAIL_SERVER is unset.
        "MAIL_SERVER": os.environ.get("CRM_MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("CRM_MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("CRM_MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("CRM_MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("CRM_MAIL_USE_TLS"),
        "MAIL_SENDER": os.environ.get("CRM_MAIL_SENDER", "Volgende Deur <noreply@localhost>"),
        # Where the site lives, for links in e-mail (no trailing slash needed).
        "BASE_URL": os.environ.get("CRM_BASE_URL", "http://127.0.0.1:5000"),
        # Working days a receiver has to accept a referral before it shows as overdue.
        "REFERRAL_ACCEPT_DAYS": int(os.environ.get("CRM_REFERRAL_ACCEPT_DAYS", "5")),
        # Contact persons of companies without any activity for this long are anonymised
        # by `flask crm retention` (AVG storage limitation).
        "RETENTION_MONTHS": int(os.environ.get("CRM_RETENTION_MONTHS", "24")),
        # Cookies get the Secure flag when the site is served over HTTPS.
        "SESSION_COOKIE_SECURE": _bool("CRM_HTTPS"),
        "PREFERRED_URL_SCHEME": "https" if _bool("CRM_HTTPS") else "http",
        # Behind a reverse proxy: trust this many proxies' X-Forwarded-For/-Proto/-Host/-Prefix
        # (werkzeug ProxyFix). 0 (the default) trusts none: never set it without a proxy.
        "PROXY_FIX": _proxies(),
        # One JSON line per request on standard error (crm/request_log.py).
        "REQUEST_LOG": _bool("CRM_REQUEST_LOG", True),
        # Benchmark-only endpoints (bench/load): never on in production.
        "BENCH_ENDPOINTS": _bool("CRM_BENCH_ENDPOINTS"),
        # Roles that must use two-step verification (TOTP), comma-separated; "" for none.
        # Unset: admin and coordinator, except in a TESTING app (see mfa_required_roles).
        "MFA_REQUIRED_ROLES": os.environ.get("CRM_MFA_REQUIRED_ROLES"),
    }


#: Roles that must use two-step verification when CRM_MFA_REQUIRED_ROLES is not set.
DEFAULT_MFA_REQUIRED_ROLES = ("admin", "coordinator")


def mfa_required_roles(config) -> frozenset[str]:
    """The roles that must sign in with a second factor. ``MFA_REQUIRED_ROLES`` may be a
    comma-separated string or a collection; None (not configured) means admin and coordinator,
    or none at all in a TESTING app (tests that need it set it themselves)."""
    value = config.get("MFA_REQUIRED_ROLES")
    if value is None:
        return frozenset() if config.get("TESTING") else frozenset(DEFAULT_MFA_REQUIRED_ROLES)
    if isinstance(value, str):
        value = value.split(",")
    return frozenset(r.strip().lower() for r in value if r and r.strip())


def _proxies() -> int:
    value = (os.environ.get("CRM_PROXY_FIX") or "0").strip()
    if value.lower() in ("true", "yes", "on", "ja"):
        return 1
    return int(value) if value.isascii() and value.isdigit() and len(value) < 4 else 0


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "BABEL_DEFAULT_LOCALE": "nl",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
    "BOOTSTRAP_SERVE_LOCAL": True,
    "BOOTSTRAP_BOOTSWATCH_THEME": None,
    "FLASK_ADMIN_SWATCH": "default",
    # Sign-in rate limit: this many failures per e-mail address (or 4x per client address)
    # within the window lock further attempts out until the window has passed.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    "SEARCH_PAGE_SIZE": 25,
}
