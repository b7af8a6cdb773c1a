"""The monitor dashboard (``/monitor``): figures for a coordinator's provinces (or one province
or region among them) or for an organisation's own work, with a period and filters (GET), a
chart next to an accessible table for each figure, every table as CSV (``?format=csv&table=…``)
and the regional monitoring report as PDF (``/monitor/report.pdf``)."""
import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import charts
from ..extensions import db
from ..journeys.errors import NotAllowed, ValidationFailed
from ..journeys.monitor import dashboard_figures, scope_from_params
from ..models import Municipality, Organisation, Province, Region
from ..models import vocabulary as v
from ..models.reference import region_municipalities
from ..policy import monitor_province_ids
from ..reference import sbi_sections
from ..reports.monitor_tables import MATURITY, SIZE, cell_text, monitor_tables, table_named
from ..security import error_page
from .base import message

bp = Blueprint("monitor", __name__, url_prefix="/monitor")

#: Query parameters the dashboard understands (anything else is ignored).
PARAMS = ("province", "region", "organisation_id", "partner", "from", "to", "sector",
          "size_class", "phase", "maturity", "archetype")


def _params() -> dict:
    return {k: request.args.get(k, "") for k in PARAMS if request.args.get(k, "").strip()}


def _choices() -> dict:
    """Options of the filter form: only places the user may choose."""
    allowed = monitor_province_ids(current_user)
    provinces = db.session.execute(select(Province.id, Province.name).order_by(Province.name))
    provinces = [(pid, name) for pid, name in provinces if allowed is None or pid in allowed]
    regions = []
    if allowed is None or allowed:
        stmt = (select(Region.name).distinct()
                .join(region_municipalities, region_municipalities.c.region_id == Region.id)
                .join(Municipality, Municipality.id == region_municipalities.c.municipality_id)
                .order_by(Region.name))
        if allowed is not None:
            stmt = stmt.where(Municipality.province_id.in_(sorted(allowed)))
        regions = list(db.session.scalars(stmt))
    english = str(get_locale() or "nl") == "en"
    return {
        "provinces": [(name, name) for _pid, name in provinces],
        "regions": [(name, name) for name in regions],
        "organisations": db.session.execute(select(Organisation.id, Organisation.name)
                                            .order_by(Organisation.name)).all(),
        "sectors": [(r["letter"], f"{r['letter']} {r['name_en'] if english else r['name_nl']}")
                    for r in sbi_sections()],
        "sizes": [(k, _(label)) for k, label in SIZE.items()],
        "phases": [("starter", _("starter")), ("scale-up", _("scale-up")),
                   ("overig", _("other"))],
        "maturities": [(k, _(label)) for k, label in MATURITY.items()],
        "kinds": [(k, _(label)) for k, label in v.INTERVENTION_KINDS],
        "may_region": allowed is None or bool(allowed),
    }


def _csv(table) -> Response:
    """The table as CSV for Dutch Excel: UTF-8 with BOM, ``;`` between fields."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([cell_text(c) if c is not None else "" for c in row])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="monitor-{table.name}.csv"'
    return response


def _scope_or_errors(params):
    try:
        return scope_from_params(db.session, current_user, params), {}
    except ValidationFailed as exc:
        return None, {field: [_(m, **p) for m, p in msgs] for field, msgs in exc.errors.items()}
    except NotAllowed as exc:
        return None, exc


def _query(params: dict, scope) -> dict:
    """The parameters that give this view back (for the CSV and PDF links)."""
    query = {k: v for k, v in params.items() if k in ("province", "region")}
    query.update(scope.params())
    return query


def _page_cell(decimal: str):
    """The page's cell text: dates as ``3 mrt 2026``, numbers with the locale's decimal sign
    (looked up once per page: a page can have thousands of cells)."""
    from datetime import date
    from .labels import short_date

    def text(value) -> str:
        if type(value) is int or type(value) is str:
            return str(value)
        if isinstance(value, date):
            return short_date(value)
        return cell_text(value, decimal=decimal)
    return text


@bp.context_processor
def _monitor_helpers():
    from flask import current_app
    decimal = "." if str(get_locale() or "nl") == "en" else ","
    return {"cell_text": _page_cell(decimal),
            "has_saved_views": "journeys" in current_app.blueprints}


@bp.get("")
@login_required
def index():
    params = _params()
    scope, errors = _scope_or_errors(params)
    if isinstance(errors, NotAllowed):
        return error_page(403, message(errors))
    if errors:
        return render_template("monitor/index.html", scope=None, errors=errors, params=params,
                               choices=_choices(), tables=[], figures=None, svgs={},
                               query={}), 400
    figures = dashboard_figures(db.session, scope, current_user)
    tables = monitor_tables(figures)
    if request.args.get("format") == "csv":
        table = table_named(tables, request.args.get("table", ""))
        if table is None:
            abort(404)
        return _csv(table)
    svgs = {t.name: charts.to_svg(t.chart()) for t in tables if t.chart and t.rows}
    return render_template("monitor/index.html", scope=scope, errors={}, params=params,
                           choices=_choices(), tables=tables, figures=figures, svgs=svgs,
                           query=_query(params, scope))


@bp.get("/report.pdf")
@login_required
def report():
    from ..reports.regional import regional_report
    scope, errors = _scope_or_errors(_params())
    if isinstance(errors, NotAllowed):
        return error_page(403, message(errors))
    if errors:
        return error_page(400, " ".join(m for msgs in errors.values() for m in msgs))
    pdf = regional_report(db.session, scope, current_user)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="regionale-monitor-{scope.date_from}-{scope.date_to}.pdf"'
    return response
