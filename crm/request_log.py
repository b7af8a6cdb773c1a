"""Structured request logs: one JSON line per request, with a request id.

Each line (logger ``crm.requests``, to standard error) carries ``time`` (UTC, ISO 8601),
``request_id``, ``method``, ``path``, ``endpoint``, ``query`` (the *names* of the query
arguments, never their values: a search term can be a person's name), ``status``,
``duration_ms``, ``user_id`` and ``organisation_id`` (null when nobody is signed in) and
``remote_addr``. Path segments that look like secrets (the entrepreneur's personal links carry
a token in the path) are replaced by ``…``.

The request id is taken from the ``X-Request-ID`` header when it is sane (1–64 letters,
digits, ``-``, ``_``, ``.``, ``:``), so a proxy's id ties its log to ours; otherwise one is
generated. It is echoed in the response's ``X-Request-ID`` header and is available as
``g.request_id``.

Configuration: ``REQUEST_LOG`` (``CRM_REQUEST_LOG``, on by default) switches the lines off.
"""
import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import g, request

log = logging.getLogger("crm.requests")

_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: A path segment that looks like a token (long and random) rather than a word or an id.
_SECRETISH = re.compile(r"[A-Za-z0-9_-]{24,}")


class JsonLines(logging.Formatter):
    """The record's ``fields`` as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {"message": record.getMessage()}
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)


def request_id() -> str:
    incoming = request.headers.get("X-Request-ID", "")
    if _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def safe_path(path: str) -> str:
    """The path with token-like segments masked."""
    return "/".join("…" if _SECRETISH.fullmatch(part) and not part.isdigit() else part
                    for part in path.split("/"))[:300]


def _begin():
    g.request_id = request_id()
    g.request_started = time.perf_counter()


def _who() -> tuple[int | None, int | None]:
    user = g.get("api_user")
    if user is None:
        try:
            from flask_login import current_user
            user = current_user if current_user.is_authenticated else None
        except Exception:  # the database may be what failed this request
            user = None
    if user is None:
        return None, None
    try:
        return user.id, user.organisation_id
    except Exception:
        return None, None


def _finish(response):
    rid = g.get("request_id") or request_id()
    response.headers["X-Request-ID"] = rid
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started else None
    user_id, org_id = _who()
    log.info("request", extra={"fields": {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "request_id": rid,
        "method": request.method,
        "path": safe_path(request.path),
        "endpoint": request.endpoint,
        "query": sorted(request.args.keys()),
        "status": response.status_code,
        "duration_ms": round(duration, 2) if duration is not None else None,
        "user_id": user_id,
        "organisation_id": org_id,
        "remote_addr": request.remote_addr,
    }})
    return response


def init_app(app) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_finish)
    if not app.config.get("REQUEST_LOG", True):
        log.disabled = True
        return
    log.disabled = False
    log.setLevel(logging.INFO)
    if app.testing:
        log.propagate = True  # pytest's caplog sees the lines; nothing is printed
        return
    if not any(getattr(h, "crm_request_log", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        handler.crm_request_log = True
        log.addHandler(handler)
    log.propagate = False
