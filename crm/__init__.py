"""Volgende Deur: the shared CRM of the organisations that help Dutch SMEs digitalise."""
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints. ``config`` overrides all."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder="static", instance_relative_config=True)

    from . import config as settings
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.from_environment(Path(app.instance_path)))
    app.config.update(config or {})

    from . import database
    from . import admin, auth, cli, i18n, request_log, security
    from .extensions import bootstrap, csrf, db, migrate
    from .views import register_blueprints

    database.configure(app)
    request_log.init_app(app)
    db.init_app(app)
    database.init_app(app)  # after db: read-only transactions end with COMMIT
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    admin.init_app(app)
    cli.init_app(app)
    register_blueprints(app)
    from .views import health
    health.init_app(app)  # the bench-only endpoints, when CRM_BENCH_ENDPOINTS=1
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_prefix=hops)
    return app
