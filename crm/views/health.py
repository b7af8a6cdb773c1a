"""``/healthz`` for load balancers, and the benchmark-only endpoints of ``bench/load``.

``/healthz`` needs no login and answers ``200 {"status": "ok", "database": true}`` when the
database answers ``SELECT 1`` within :data:`TIMEOUT_MS`, ``503 {"status": "unavailable",
"database": false}`` otherwise. It never touches the session cookie or a user.
"""
import time

from flask import Blueprint, abort, current_app, g, has_app_context, jsonify
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

bp = Blueprint("health", __name__)
#: The bench-only endpoints; registered only with ``BENCH_ENDPOINTS`` (``CRM_BENCH_ENDPOINTS=1``).
bench_bp = Blueprint("bench", __name__, url_prefix="/_bench")

#: How long the database may take to answer the health check.
TIMEOUT_MS = 2000


@bp.route("/healthz")
def healthz():
    started = time.perf_counter()
    try:
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"SET LOCAL statement_timeout = {TIMEOUT_MS}"))
        db.session.execute(text("SELECT 1")).scalar_one()
        db.session.rollback()
    except SQLAlchemyError as error:
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
        current_app.logger.warning("Health check: database unavailable: %s",
                                   str(error).splitlines()[0][:300])
        response = jsonify(status="unavailable", database=False)
        response.status_code = 503
        response.headers["Retry-After"] = "10"
    else:
        response = jsonify(status="ok", database=True,
                           database_ms=round((time.perf_counter() - started) * 1000, 2))
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Benchmark-only: the rendering limit of the company page (bench/load).

@bench_bp.route("/bare")
def bare():
    """The cheapest Flask response: the framework and gunicorn, nothing else."""
    return "ok"


#: Per process: the company and its timeline as one viewer sees them, loaded once.
_held: dict[tuple[int, int], tuple] = {}


@bench_bp.route("/companies/<int:id>/rendered")
def rendered(id: int):
    """The real company page (the same view code and templates), but with the company and its
    timeline held in memory: no policy check, no timeline queries. What is left is the
    rendering (plus the contacts and the layout's own small queries, as on the real page)."""
    from ..models import Company
    from .companies import TIMELINE_WINDOW, CompanyDetail
    key = (id, current_user.id)
    if key not in _held:
        company = db.session.get(Company, id, options=CompanyDetail.load_options)
        if company is None:
            abort(404)
        # What the real page shows: the latest steps (a long journey's page is not all of it).
        _held[key] = (company, _real_timeline_for(company, current_user,
                                                  latest=TIMELINE_WINDOW))
        db.session.expunge(company)
    company, timeline = _held[key]
    g.bench_timeline = timeline
    return CompanyDetail().get(db.session.merge(company, load=False))


_real_timeline_for = None


def _install_held_timeline() -> None:
    """Let :func:`rendered` hand the view its held timeline (per request, through ``g``)."""
    global _real_timeline_for
    from ..journeys import timeline as timelines
    if _real_timeline_for is not None:
        return
    _real_timeline_for = timelines.timeline_for

    def held_or_real(company, viewer, **kwargs):
        held = g.get("bench_timeline") if has_app_context() else None
        return held if held is not None else _real_timeline_for(company, viewer, **kwargs)

    timelines.timeline_for = held_or_real


def init_app(app) -> None:
    if app.config.get("BENCH_ENDPOINTS"):
        from ..auth import PUBLIC_ENDPOINTS
        PUBLIC_ENDPOINTS.add("bench.bare")
        _install_held_timeline()
        app.register_blueprint(bench_bp)
