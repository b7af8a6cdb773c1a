"""Offerings (the ecosystem map), registering one, and next-door suggestions for a company.

``GET /offerings`` takes the map's filters as query parameters. A parameter of a fixed
vocabulary may be repeated or comma-separated (``archetype=scans,advisering``): an offering
matches when it has one of the values, or none in that dimension (empty means "any"). By
default only current offerings are listed (not withdrawn, not ended); ``active=false`` lists
only the others, ``active=all`` everything. Without ``limit`` every match up to
:data:`MAX_LIMIT` is returned; ``X-Total-Count`` tells how many matched.
"""
import json

from flask import jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..catalogue import translate
from ..extensions import db
from ..journeys.clock import today
from ..journeys.errors import ValidationFailed
from ..journeys.offerings import create_offering, offerings_matching, tags_by_offering
from ..journeys.suggestions import explain, suggest_next_doors
from ..models import Offering, Province, Region
from ..models.vocabulary import (ARCHETYPE_SLUGS, BOTTLENECK_SLUGS, COST_KINDS,
                                 DIGITALISATION_FORMS, MARKET_FAILURES, PROVIDER_ROLES,
                                 TARGET_MATURITIES, TECHNOLOGY_TAGS)
from ..policy import CREATE, VIEW, may
from ..reference import normalise, province_name, sbi_sections
from . import bp, lookups, serializers
from .auth import current
from .errors import N_, ApiError, field_errors, locale
from .inputs import _UNSTORABLE, MAX_ITEMS, MAX_ID, Field, int_param, parse_body, valid_id

#: Most offerings one request returns (also the default when ``limit`` is left out).
MAX_LIMIT = 1000
#: Most suggestions one request returns.
MAX_SUGGESTIONS = 50
#: Longest free-text query parameter (``q``, ``question``).
MAX_QUERY = 200
MAX_QUESTION = 2000

SIZE_CLASSES = ("zzp", "micro", "klein", "middelgroot")
PHASES = ("starter", "scale-up", "overig")
MATURITIES = tuple(m for m, _ in TARGET_MATURITIES)
SECTIONS = tuple(row["letter"] for row in sbi_sections())
FORMS = tuple(f for f, _ in DIGITALISATION_FORMS)
TECHNOLOGIES = tuple(t for t, _ in TECHNOLOGY_TAGS)
FAILURES = tuple(m for m, _ in MARKET_FAILURES)
COSTS = tuple(c for c, _ in COST_KINDS)
ROLES = tuple(r for r, _ in PROVIDER_ROLES)

#: Query parameter → (vocabulary, key of :func:`offerings_matching`).
LIST_FILTERS = {
    "archetype": (tuple(ARCHETYPE_SLUGS), "archetype"),
    "size_class": (SIZE_CLASSES, "size"),
    "maturity": (MATURITIES, "maturity"),
    "bottleneck": (tuple(BOTTLENECK_SLUGS), "bottleneck"),
    "phase": (PHASES, "phase"),
    "sector": (SECTIONS, "sector"),
    "form": (FORMS, "form"),
    "technology": (TECHNOLOGIES, "technology"),
    "market_failure": (FAILURES, "market_failure"),
    "cost_kind": (COSTS, "cost_kind"),
}
ACTIVE_VALUES = ("true", "false", "all")

OFFERING_FIELDS = [
    Field("name", "string", required=True, max_length=200,
          example="Masterclass AI voor de maakindustrie"),
    Field("archetype", "string", required=True, enum=tuple(ARCHETYPE_SLUGS),
          description="One of the 12 Regioscan archetypes."),
    Field("organisation_id", "integer", minimum=1, maximum=MAX_ID,
          description="Coordinators and administrators may register for another organisation; "
                      "others only for their own (the default)."),
    Field("description", "string", max_length=8000),
    Field("provinces", "array", description="Province names (any case; Friesland means "
                                            "Fryslân). None and no regions: national."),
    Field("regions", "array", description="Region names, such as Gooi & Vechtstreek."),
    Field("size_classes", "array", enum=SIZE_CLASSES, description="Empty: every size."),
    Field("phases", "array", enum=PHASES),
    Field("maturity", "array", enum=MATURITIES),
    Field("sectors", "array", enum=SECTIONS, description="SBI section letters."),
    Field("forms", "array", enum=FORMS),
    Field("technologies", "array", enum=TECHNOLOGIES),
    Field("bottlenecks", "array", enum=tuple(BOTTLENECK_SLUGS)),
    Field("market_failures", "array", enum=FAILURES),
    Field("cost_kind", "string", enum=COSTS, description="gratis when left out."),
    Field("cost_note", "string", max_length=300),
    Field("starts_on", "string", max_length=10, format="date", example="2026-01-01",
          description="ISO date; none: already running."),
    Field("ends_on", "string", max_length=10, format="date",
          description="ISO date, not before starts_on; none: open-ended."),
    Field("contact_name", "string", max_length=200),
    Field("contact_email", "string", max_length=254),
    Field("contact_phone", "string", max_length=40),
    Field("url", "string", max_length=300),
    Field("takes_referrals", "boolean", description="true when left out."),
]
#: ``providers`` is a list of objects, which :class:`Field` does not describe; its schema.
PROVIDERS_SCHEMA = {
    "type": ["array", "null"], "maxItems": MAX_ITEMS,
    "items": {"type": "object", "required": ["name", "role"], "properties": {
        "name": {"type": "string", "maxLength": 200},
        "role": {"enum": list(ROLES)},
        "organisation_id": {"type": ["integer", "null"], "minimum": 1,
                            "description": "When the provider is an organisation in the CRM "
                                           "(GET /organisations)."}}},
    "description": "The providers (aanbieders) involved and their role.",
}

#: API list field → operation field.
_TAG_FIELDS = {"size_classes": "size", "phases": "phase", "maturity": "maturity",
               "sectors": "sector", "forms": "form", "technologies": "technology",
               "bottlenecks": "bottleneck", "market_failures": "market_failure"}
#: Operation field → API field, for field errors.
_API_NAMES = {**{v: k for k, v in _TAG_FIELDS.items()},
              "province_ids": "provinces", "region_ids": "regions"}


def _bad_parameter(name: str, value: str):
    return ApiError(400, N_("Unknown value for %(name)s: %(value)s."),
                    params={"name": name, "value": value[:50]}, code="invalid_parameter")


def _text_param(name: str, limit: int) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if len(raw) > limit or _UNSTORABLE.search(raw):
        raise ApiError(400, N_("%(name)s is at most %(max)d characters, without control "
                               "characters."), params={"name": name, "max": limit},
                       code="invalid_parameter")
    return raw.strip() or None


def _values(name: str, vocabulary: tuple) -> list[str]:
    """A repeated or comma-separated parameter's values, each checked against ``vocabulary``."""
    out = []
    for raw in request.args.getlist(name):
        for part in raw.split(","):
            value = part.strip()
            if not value:
                continue
            if name == "sector":
                value = value.upper()
            if value not in vocabulary:
                raise _bad_parameter(name, value)
            if value not in out:
                out.append(value)
    return out


def _province_ids(raw_values) -> list[int] | None:
    """Province ids for names (any case, aliases), or None when one is unknown."""
    names = []
    for raw in raw_values:
        name = province_name(raw) if isinstance(raw, str) else None
        if name is None:
            return None
        names.append(name)
    if not names:
        return []
    found = dict(db.session.execute(select(Province.name, Province.id)
                                    .where(Province.name.in_(names))).all())
    return sorted({found[n] for n in names}) if set(names) <= set(found) else None


def _filters() -> dict:
    filters = {}
    q = _text_param("q", MAX_QUERY)
    if q:
        filters["q"] = q
    for name, (vocabulary, key) in LIST_FILTERS.items():
        values = _values(name, vocabulary)
        if values:
            filters[key] = values
    provinces = [p.strip() for raw in request.args.getlist("province")
                 for p in raw.split(",") if p.strip()]
    if provinces:
        ids = _province_ids(provinces)
        if ids is None:
            raise _bad_parameter("province", ",".join(provinces))
        filters["province_id"] = ids
    if "organisation_id" in request.args:
        filters["organisation_id"] = int_param("organisation_id", 0, maximum=MAX_ID)
    if "takes_referrals" in request.args:
        raw = request.args["takes_referrals"].strip().lower()
        if raw not in ("true", "false"):
            raise _bad_parameter("takes_referrals", raw)
        filters["takes_referrals"] = raw == "true"
    active = (request.args.get("active") or "true").strip().lower()
    if active not in ACTIVE_VALUES:
        raise ApiError(400, N_("%(name)s must be true, false or all."), params={"name": "active"},
                       code="invalid_parameter")
    if active != "all":
        filters["active"] = active == "true"
    return filters


def _page(offerings: list[Offering]) -> list[dict]:
    """A page of offerings as JSON; their tags in one query."""
    tags = tags_by_offering(db.session, [o.id for o in offerings])
    on = today()
    return [serializers.offering(o, on, tags[o.id]) for o in offerings]


_LOAD = (joinedload(Offering.organisation), selectinload(Offering.provinces),
         selectinload(Offering.regions), selectinload(Offering.providers))


@bp.get("/offerings")
def offerings():
    filters = _filters()
    limit = int_param("limit", MAX_LIMIT, maximum=MAX_LIMIT)
    offset = int_param("offset", 0, minimum=0, maximum=MAX_ID)
    query = offerings_matching(filters)
    rows = db.session.scalars(query.options(*_LOAD).offset(offset).limit(limit)).unique().all()
    rv = jsonify(_page(rows))
    rv.headers["X-Total-Count"] = str(db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())))
    return rv


def _offering_or_404(offering_id: int) -> Offering:
    found = db.session.get(Offering, offering_id) if valid_id(offering_id) else None
    if found is None or not may(current(), VIEW, found):
        raise ApiError(404, N_("No such offering."))
    return found


@bp.get("/offerings/<int:offering_id>")
def offering(offering_id):
    return jsonify(serializers.offering(_offering_or_404(offering_id), today()))


def _providers(raw) -> list[dict]:
    """The body's ``providers``: 400 for wrong types, 422 for wrong values."""
    if raw is None:
        return []
    wrong = (ApiError(400, N_("Some fields have the wrong type."), code="invalid_type",
                      fields={"providers": [(N_("Expected a list of objects with name and "
                                                "role."), {})]}))
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise wrong
    if len(raw) > MAX_ITEMS:
        raise ApiError(422, fields={"providers": [(N_("At most %(max)d items."),
                                                   {"max": MAX_ITEMS})]})
    out = []
    for row in raw:
        name, role, org_id = row.get("name"), row.get("role"), row.get("organisation_id")
        if not isinstance(name, (str, type(None))) or not isinstance(role, str) \
                or not (org_id is None or isinstance(org_id, int) and not isinstance(org_id, bool)):
            raise wrong
        name = name or ""
        if len(name) > 200:
            raise ApiError(422, fields={"providers": [(N_("At most %(max)d characters."),
                                                       {"max": 200})]})
        if _UNSTORABLE.search(name) or _UNSTORABLE.search(role):
            raise ApiError(422, fields={"providers": [(N_("Remove the control characters."),
                                                       {})]})
        if org_id is not None and not valid_id(org_id):
            org_id = 0  # refused by the operation as an unknown organisation
        out.append({"name": name, "role": role, "organisation_id": org_id})
    return out


def _offering_values(body: dict, providers) -> dict:
    """The API body as the operation's data; provinces and regions resolved by name."""
    data = {k: v for k, v in body.items()
            if k not in ("provinces", "regions") and k not in _TAG_FIELDS}
    for name, field in _TAG_FIELDS.items():
        if name in body:
            data[field] = body[name] or []
    errors = {}
    if body.get("provinces"):
        ids = _province_ids(body["provinces"])
        if ids is None:
            errors["provinces"] = [(N_("Choose provinces from the list."), {})]
        data["province_ids"] = ids or []
    if body.get("regions"):
        wanted = {normalise(r) for r in body["regions"]}
        found = {normalise(name): rid for rid, name in db.session.execute(
            select(Region.id, Region.name))}
        if not wanted <= set(found):
            errors["regions"] = [(N_("Choose regions from the list."), {})]
        data["region_ids"] = sorted(found[r] for r in wanted if r in found)
    if providers is not None:
        data["providers"] = providers
    if errors:
        raise ApiError(422, fields=errors)
    return data


def _api_fields(errors: dict) -> dict:
    out = {}
    for name, messages in field_errors(errors).items():
        key = "providers" if name.startswith("providers-") else _API_NAMES.get(name, name)
        out.setdefault(key, []).extend(messages)
    return out


@bp.post("/offerings")
def register_offering():
    user = current()
    if not may(user, CREATE, Offering):
        raise ApiError(403)
    request.get_data(cache=True)  # read twice: the declared fields, then the providers
    body = parse_body(OFFERING_FIELDS)
    raw = json.loads(request.get_data(cache=True) or b"{}")
    providers = _providers(raw.get("providers")) if "providers" in raw else None
    data = _offering_values(body, providers)
    try:
        created = create_offering(data, by=user)
    except ValidationFailed as exc:
        raise ApiError(422, fields=_api_fields(exc.errors)) from None
    db.session.commit()
    rv = jsonify(serializers.offering(created, today()))
    rv.status_code = 201
    rv.headers["Location"] = url_for("api.offering", offering_id=created.id)
    return rv


@bp.get("/companies/<kvk>/suggestions")
def suggestions(kvk):
    user = current()
    company = lookups.company_or_404(kvk, user)
    question = _text_param("question", MAX_QUESTION)
    limit = int_param("limit", 10, maximum=MAX_SUGGESTIONS)
    found = suggest_next_doors(company, viewer=user, question=question, limit=limit)
    lang = locale()

    def gettext(msgid, **params):
        text = translate(msgid, lang)
        return text % params if params else text

    page = _page([s.offering for s in found])
    return jsonify([{"offering": shown, "score": s.score, "reason": explain(s.reasons, gettext)}
                    for s, shown in zip(found, page)])
