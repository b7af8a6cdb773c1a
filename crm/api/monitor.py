"""The monitor's figures: ``GET /api/v1/monitor`` (JSON) and ``GET /api/v1/monitor.pdf`` (the
regional monitoring report), with the dashboard's parameters and rules: ``province`` (a name),
``region``, ``organisation_id`` (that organisation's own work; with a province or region it
filters instead), ``partner``, ``from``/``to`` (YYYY-MM-DD), ``sector``, ``size_class``,
``phase``, ``maturity``, ``archetype``. Bad parameters answer 400 with a message per field; a
scope the token's user may not see answers 403."""
from datetime import date, datetime

from flask import Response, jsonify, request
from flask_babel import force_locale

from ..extensions import db
from ..journeys.errors import NotAllowed, ValidationFailed
from ..journeys.monitor import dashboard_figures, scope_from_params
from . import bp
from .auth import current
from .errors import N_, ApiError

PARAMETERS = ("province", "region", "organisation_id", "partner", "from", "to", "sector",
              "size_class", "phase", "maturity", "archetype")


def _scope(user):
    unknown = sorted(set(request.args) - set(PARAMETERS))
    if unknown:
        raise ApiError(400, N_("Unknown query parameter: %(name)s."), params={"name": unknown[0]})
    params = {k: request.args.get(k, "") for k in PARAMETERS}
    try:
        return scope_from_params(db.session, user, params)
    except ValidationFailed as exc:
        raise ApiError(400, N_("Please correct the query parameters."), fields=exc.errors)
    except NotAllowed as exc:
        raise ApiError(403, exc.message, params=exc.params)


def _plain(value):
    """JSON-ready: dates as ISO strings, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def figures_json(figures: dict) -> dict:
    """The API shape of :func:`dashboard_figures`: the stalled list as ``items``."""
    out = _plain(figures)
    stalled = out["journeys"]["stalled"]
    stalled["items"] = [{"kvk": r["kvk"], "name": r["name"], "from_organisation": r["from_name"],
                         "to_organisation": r["to_name"], "status": r["status"],
                         "sent_at": r["sent_at"], "reason": r["reason"]}
                        for r in stalled.pop("rows")]
    return out


@bp.get("/monitor")
def monitor():
    user = current()
    scope = _scope(user)
    return jsonify(figures_json(dashboard_figures(db.session, scope, user)))


@bp.get("/monitor.pdf")
def monitor_pdf():
    from ..reports.regional import regional_report
    user = current()
    scope = _scope(user)
    with force_locale(user.locale):
        pdf = regional_report(db.session, scope, user)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition":
            f'inline; filename="regionale-monitor-{scope.date_from}-{scope.date_to}.pdf"'})


def openapi_paths() -> dict:
    """The OpenAPI entries of the two endpoints."""
    def q(name, description, **schema):
        return {"name": name, "in": "query", "description": description,
                "schema": {"type": "string", **schema}}
    parameters = [
        q("province", "Province name (any case; Friesland means Fryslân)."),
        q("region", "Named region (e.g. Regio Foodvalley) or its id."),
        q("organisation_id", "Without province/region: that organisation's own work (yours, "
                             "or any for administrators); with one: a filter.", pattern="^[0-9]+$"),
        q("partner", "Only work by, and referrals from or to, this organisation.",
          pattern="^[0-9]+$"),
        q("from", "First day (YYYY-MM-DD); default a year before `to`.", format="date"),
        q("to", "Last day (YYYY-MM-DD); default today.", format="date"),
        q("sector", "SBI section letter."),
        q("size_class", "zzp, micro, klein, middelgroot, groot."),
        q("phase", "starter, scale-up, overig."), q("maturity", "laag, middel, hoog, onbekend."),
        q("archetype", "A kind of contact or one of the 12 archetypes."),
    ]
    error = {"$ref": "#/components/schemas/Error"}
    errors = {code: {"description": text, "content": {"application/json": {"schema": error}}}
              for code, text in (("400", "Bad parameters (messages per field)"),
                                 ("401", "No or invalid token"),
                                 ("403", "You may not see this area or organisation"))}
    states = {s: {"type": ["integer", "string"]} for s in (
        "requested", "accepted", "rejected", "in_progress", "on_hold", "completed", "failed",
        "cancelled", "overdue")}
    count = {"type": ["integer", "string"],
             "description": "A number, or \"< 5\" when 1–4 companies are behind it in a view "
                            "across organisations."}
    schema = {"type": "object", "required": ["contacts", "companies_reached", "referrals"],
              "properties": {
                  "scope": {"type": "object"}, "contacts": count, "companies_reached": count,
                  "referrals": {"type": "object", "properties": states},
                  "funnel": {"type": "object"}, "reach": {"type": "object"},
                  "by_sender": {"type": "array", "items": {"type": "object"}},
                  "by_receiver": {"type": "array", "items": {"type": "object"}},
                  "flows": {"type": "array", "items": {"type": "object"}},
                  "journeys": {"type": "object"}, "impact": {"type": "object"}}}
    return {
        "/monitor": {"get": {
            "operationId": "getMonitor",
            "summary": "Figures of a region or of your organisation's own work: contacts, "
                       "distinct companies, referrals per state and the dashboard's breakdowns",
            "parameters": parameters,
            "responses": {"200": {"description": "Figures", "content": {
                "application/json": {"schema": schema}}}, **errors}}},
        "/monitor.pdf": {"get": {
            "operationId": "getMonitorPdf", "summary": "The regional monitoring report (PDF)",
            "parameters": parameters,
            "responses": {"200": {"description": "PDF document", "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                **errors}}},
    }
