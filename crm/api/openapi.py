"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of this API (needs no token).

Request bodies come from the same field declarations the endpoints check input against.
"""
from flask import jsonify

from ..journeys.referrals import ACTIONS
from ..models.vocabulary import REFERRAL_STATUS_SLUGS
from . import bp
from .companies import COMPANY_FIELDS, CONTACT_FIELDS, SECTIONS, SIZE_CLASSES
from .inputs import body_schema
from .interventions import INTERVENTION_FIELDS
from .journey import CONSENT_FIELDS, WITHDRAW_FIELDS
from .offerings import (ACTIVE_VALUES, LIST_FILTERS, MAX_LIMIT, MAX_QUERY, MAX_QUESTION,
                        MAX_SUGGESTIONS, OFFERING_FIELDS, PROVIDERS_SCHEMA, ROLES)
from .referrals import REFERRAL_FIELDS, TRANSITION_FIELDS
from .survey import SURVEY_FIELDS


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, required=None) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required}


_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_MOMENT = {"type": "string", "format": "date-time"}
_DATE = {"type": "string", "format": "date"}
_ORG = _ref("OrganisationRef")
_ORG_OR_NULL = {"anyOf": [_ORG, {"type": "null"}]}

SCHEMAS = {
    "Error": _object({"error": _object({
        "code": _STR, "message": _STR,
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": _STR}},
        "kvk": _STR}, required=["code", "message"])}),
    "OrganisationRef": _object({"id": _nullable("integer"), "name": _STR}),
    "Organisation": _object({"id": _INT, "name": _STR, "kind": _STR,
                             "website": _nullable("string"),
                             "provinces": {"type": "array", "items": _STR}}),
    "Company": _object({
        "id": _INT, "kvk": _nullable("string"), "establishment_number": _nullable("string"),
        "name": _STR, "trade_names": {"type": "array", "items": _STR},
        "sbi": _nullable("string"), "sbi_section": _nullable("string"),
        "employees": _nullable("integer"), "size_class": _nullable("string"),
        "phase": _nullable("string"), "digital_maturity": _nullable("string"),
        "website": _nullable("string"), "non_mailing": _BOOL,
        "municipality": _nullable("string"), "municipality_code": _nullable("string"),
        "province": _nullable("string"), "created_at": _nullable("string"),
        "updated_at": _nullable("string"), "version": _INT}),
    "Contact": _object({"id": _INT, "kvk": _nullable("string"), "name": _STR,
                        "email": _nullable("string"), "phone": _nullable("string"),
                        "role": _nullable("string"), "organisation": _ORG,
                        "created_at": _nullable("string")}),
    "Intervention": _object({
        "id": _INT, "kvk": _nullable("string"), "kind": _STR, "date": _DATE, "summary": _STR,
        "internal_note": _STR, "bottlenecks": {"type": "array", "items": _STR},
        "topics": {"type": "array", "items": _STR}, "organisation": _ORG,
        "created_at": _nullable("string")},
        required=["id", "kvk", "kind", "date", "summary", "bottlenecks", "topics",
                  "organisation"]),
    "Consent": _object({"id": _INT, "kvk": _nullable("string"), "current": _BOOL,
                        "basis": _STR, "organisation": _ORG, "given_at": _MOMENT,
                        "withdrawn_at": _nullable("string")}),
    "Referral": _object({
        "id": _INT, "kvk": _nullable("string"),
        "company": _object({"id": _INT, "kvk": _nullable("string"), "name": _STR}),
        "status": {"type": "string", "enum": REFERRAL_STATUS_SLUGS},
        "from_organisation": _ORG, "to_organisation": _ORG, "created_at": _MOMENT,
        "accept_due_on": _DATE, "accepted_at": _nullable("string"),
        "closed_at": _nullable("string"), "overdue": _BOOL,
        "allowed_actions": {"type": "array", "items": {"type": "string", "enum": ACTIONS}}}),
    "ReferralStep": _object({
        "id": _INT, "action": _STR, "from_status": _nullable("string"), "to_status": _STR,
        "at": _MOMENT, "organisation": _ORG, "actor": _nullable("string"),
        "reason": _nullable("string"), "note": _nullable("string")}),
}
_STRS = {"type": "array", "items": _STR}
SCHEMAS["Offering"] = _object({
    "id": _INT, "name": _STR, "description": _STR, "organisation": _ORG,
    "archetype": {"type": "string", "enum": list(LIST_FILTERS["archetype"][0])},
    "provinces": {**_STRS, "description": "Province names; none and no regions: national."},
    "regions": _STRS,
    "size_classes": {**_STRS, "description": "Target group; empty means every size (the "
                                             "same for the other lists)."},
    "phases": _STRS, "maturity": _STRS, "sectors": {**_STRS, "description": "SBI sections."},
    "forms": _STRS, "technologies": _STRS, "bottlenecks": _STRS, "market_failures": _STRS,
    "providers": {"type": "array", "items": _object({
        "name": _STR, "role": {"type": "string", "enum": list(ROLES)},
        "organisation_id": _nullable("integer")})},
    "cost_kind": {"type": "string", "enum": list(LIST_FILTERS["cost_kind"][0])},
    "cost_note": _STR, "starts_on": _nullable("string", format="date"),
    "ends_on": _nullable("string", format="date"),
    "expired": {**_BOOL, "description": "Ended before today (ends_on in the past)."},
    "active": {**_BOOL, "description": "Not withdrawn (an expired offering can be active)."},
    "current": {**_BOOL, "description": "active and not expired: it can be suggested."},
    "takes_referrals": _BOOL,
    "contact": _object({"name": _STR, "email": _STR, "phone": _STR}), "url": _STR,
    "created_at": _nullable("string"), "updated_at": _nullable("string")})
SCHEMAS["Suggestion"] = _object({
    "offering": _ref("Offering"),
    "score": {"type": "number", "description": "Higher is better; see the README for how "
                                               "it adds up."},
    "reason": {**_STR, "description": "Why it fits, in one line, in your language "
                                      "(\"past bij: micro, Utrecht, kunnen\")."}})
SCHEMAS["ReferralDetail"] = {"allOf": [_ref("Referral"), _object({
    "question": _STR, "context": _STR, "entrepreneur_agrees": _BOOL,
    "offering": {"anyOf": [_object({"id": _INT, "name": _STR}), {"type": "null"}],
                 "description": "The receiver's offering it was referred to, if any."},
    "outcome": _nullable("string"), "reason": _nullable("string"),
    "reason_text": _nullable("string"),
    "steps": {"type": "array", "items": _ref("ReferralStep")}})]}
SCHEMAS["TimelineEvent"] = _object({
    "type": {"type": "string", "enum": ["intervention", "referral", "referral-step", "consent",
                                        "survey", "survey-sent", "dma"]},
    "id": _INT,
    "occurred_at": {"type": "string", "description": "ISO 8601: a date for interventions, "
                                                     "a moment (UTC) for the others."},
    "organisation": _ORG, "kind": _nullable("string"), "summary": _STR,
    "internal_note": {**_STR, "description": "Only on your own organisation's interventions."},
    "date": _DATE, "actor": _nullable("string"), "event": _nullable("string"),
    "bottlenecks": {"type": "array", "items": _STR}, "topics": {"type": "array", "items": _STR},
    "referral_id": _INT, "status": _STR, "full": _BOOL,
    "from_organisation": _ORG_OR_NULL, "to_organisation": _ORG_OR_NULL,
    "reason": _nullable("string"),
    "question": {**_STR, "description": "Only for the referral's sender and receiver."},
    "context": {**_STR, "description": "Only for the referral's sender and receiver."},
    "note": _nullable("string", description="Only for the referral's sender and receiver."),
    "withdrawn": _BOOL,
    "answers": {"type": "object", "description": "survey: answer_1 … answer_10, each 1–6 "
                "(1 not at all … 4 to a large extent, 5 don't know, 6 not applicable) or null",
                "additionalProperties": {"type": ["integer", "null"]}},
    "scores": {"type": "object", "description": "dma: the six dimensions (0–100) and average",
               "additionalProperties": {"type": "number"}}},
    required=["type", "id", "occurred_at", "organisation", "summary"])
SCHEMAS["SurveyLink"] = _object({
    "url": {**_STR, "description": "The personal link to give to the entrepreneur."},
    "id": _INT, "expires_at": _MOMENT, "mailed": _BOOL})
SCHEMAS["OpenReferral"] = _object({
    "id": _INT, "status": _STR, "from_organisation": _ORG, "to_organisation": _ORG,
    "created_at": _MOMENT, "accept_due_on": _DATE, "overdue": _BOOL, "full": _BOOL,
    "question": _STR}, required=["id", "status", "from_organisation", "to_organisation",
                                 "created_at", "accept_due_on", "overdue", "full"])
SCHEMAS["Timeline"] = _object({
    "company": _ref("Company"), "has_consent": _BOOL,
    "events": {"type": "array", "items": _ref("TimelineEvent")},
    "open_referrals": {"type": "array", "items": _ref("OpenReferral")}})

_ERRORS = {
    "400": "Malformed JSON or a field of the wrong type", "401": "No valid token",
    "403": "Not allowed", "404": "Absent, or not visible to you",
    "409": "Conflicts with the current state", "422": "Invalid field values",
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes) -> dict:
    return {code: _json(_ref("Error"), _ERRORS[code]) for code in ("401", *codes)}


def _body(fields, required=True) -> dict:
    return {"required": required,
            "content": {"application/json": {"schema": body_schema(fields)}}}


def _offering_body() -> dict:
    schema = body_schema(OFFERING_FIELDS)
    schema["properties"]["providers"] = PROVIDERS_SCHEMA
    return schema


def _array(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


_KVK = {"name": "kvk", "in": "path", "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]{8}$"}, "example": "01234567"}
_REFERRAL_ID = {"name": "referral_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}
_OFFERING_ID = {"name": "offering_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}


def _offering_filters() -> list[dict]:
    params = [{"name": "q", "in": "query", "schema": {"type": "string", "maxLength": MAX_QUERY},
               "description": "Every word in the name, description, organisation or a "
                              "provider's name (case and accents ignored)."}]
    for name, (vocabulary, _key) in LIST_FILTERS.items():
        params.append({"name": name, "in": "query", "style": "form", "explode": False,
                       "schema": {"type": "array", "items": {"enum": list(vocabulary)}},
                       "description": "One or more values (repeat or separate with commas): "
                                      "offerings with one of them or none in this dimension."})
    params += [
        {"name": "province", "in": "query", "schema": {"type": "string"},
         "description": "Province name, any case (Friesland means Fryslân); comma-separated "
                        "for several. National offerings and those in a region there match."},
        {"name": "organisation_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "takes_referrals", "in": "query", "schema": {"enum": ["true", "false"]}},
        {"name": "active", "in": "query",
         "schema": {"enum": list(ACTIVE_VALUES), "default": "true"},
         "description": "true (default): current offerings only (not withdrawn, not ended); "
                        "false: only withdrawn or ended ones; all: every offering."},
        {"name": "limit", "in": "query",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
         "description": f"Without it every match up to {MAX_LIMIT} is returned."},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ]
    return params


_PAGING = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                      "maximum": 10000}},
           {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                          "maximum": 100}}]


def _linked(response: dict, links: dict) -> dict:
    return {**response, "links": links}


_COMPANY_LINKS = {
    name: {"operationId": op, "parameters": {"kvk": "$response.body#/kvk"}}
    for name, op in [("GetCompany", "getCompany"), ("GetTimeline", "getTimeline"),
                     ("CreateContact", "createContact"), ("GiveConsent", "giveConsent")]}


def _referral_links() -> dict:
    links = {"GetReferral": {"operationId": "getReferral",
                             "parameters": {"referral_id": "$response.body#/id"}}}
    for action in ACTIONS:
        links[f"{action.capitalize()}Referral"] = {
            "operationId": f"{action}Referral",
            "parameters": {"referral_id": "$response.body#/id"}}
    return links


def _op(op_id: str, summary: str, responses: dict, **extra) -> dict:
    return {"operationId": op_id, "summary": summary, "responses": responses, **extra}


def _paths() -> dict:
    paths = {
        "/organisations": {"get": _op(
            "listOrganisations", "Active organisations (to refer to)",
            {"200": _json(_array("Organisation"), "Organisations"), **_errors()})},
        "/companies": {
            "get": _op("searchCompanies", "Search companies by name, KVK number or place",
                       {"200": _json(_array("Company"), "Companies, most relevant first"),
                        **_errors("400")},
                       parameters=[{"name": "q", "in": "query",
                                    "schema": {"type": "string"},
                                    "description": "Name fragment, KVK number (or its start) "
                                                   "or place; empty browses by name."},
                                   {"name": "sbi_section", "in": "query",
                                    "schema": {"type": "string", "enum": list(SECTIONS)}},
                                   {"name": "size_class", "in": "query",
                                    "schema": {"type": "string",
                                               "enum": list(SIZE_CLASSES)}}, *_PAGING]),
            "post": _op("createCompany", "Register a company",
                        {"201": _linked(_json(_ref("Company"), "Registered"), _COMPANY_LINKS),
                         **_errors("400", "403", "409", "422")},
                        requestBody=_body(COMPANY_FIELDS))},
        "/companies/{kvk}": {"get": _op(
            "getCompany", "A company's master data",
            {"200": _json(_ref("Company"), "The company"), **_errors("404")},
            parameters=[_KVK])},
        "/companies/{kvk}/contacts": {
            "get": _op("listContacts", "Contact persons your organisation recorded",
                       {"200": _json(_array("Contact"), "Contacts"), **_errors("404")},
                       parameters=[_KVK]),
            "post": _op("createContact", "Record a contact person",
                        {"201": _json(_ref("Contact"), "Recorded"),
                         **_errors("400", "403", "404", "422")},
                        parameters=[_KVK], requestBody=_body(CONTACT_FIELDS))},
        "/companies/{kvk}/consent": {
            "post": _op("giveConsent", "Record the entrepreneur's consent to share the journey",
                        {"201": _json(_ref("Consent"), "Recorded"),
                         **_errors("400", "404", "409", "422")},
                        parameters=[_KVK], requestBody=_body(CONSENT_FIELDS)),
            "delete": _op("withdrawConsent", "Withdraw the current consent",
                          {"204": {"description": "Withdrawn"},
                           **_errors("400", "404", "422")},
                          parameters=[_KVK], requestBody=_body(WITHDRAW_FIELDS, False))},
        "/companies/{kvk}/timeline": {"get": _op(
            "getTimeline", "The company's journey as far as you may see it, oldest first",
            {"200": _json(_ref("Timeline"), "Timeline"), **_errors("404")},
            parameters=[_KVK])},
        "/companies/{kvk}/klantreis.pdf": {"get": _op(
            "getKlantreisPdf", "The company's klantreis as a PDF (as you may see it, in your "
            "language): master data, timeline, referrals, survey answers, DMA movement",
            {"200": {"description": "PDF document",
                     "content": {"application/pdf": {"schema": {"type": "string",
                                                                "format": "binary"}}}},
             **_errors("404")},
            parameters=[_KVK])},
        "/companies/{kvk}/suggestions": {"get": _op(
            "getSuggestions", "The next doors for the company, best first",
            {"200": _json(_array("Suggestion"), "Suggestions"), **_errors("400", "404")},
            parameters=[_KVK,
                        {"name": "question", "in": "query",
                         "schema": {"type": "string", "maxLength": MAX_QUESTION},
                         "description": "The entrepreneur's question: its words count too."},
                        {"name": "limit", "in": "query",
                         "schema": {"type": "integer", "minimum": 1,
                                    "maximum": MAX_SUGGESTIONS, "default": 10}}])},
        "/offerings": {
            "get": _op("listOfferings", "The ecosystem map: offerings matching the filters",
                       {"200": _json(_array("Offering"), "Offerings by name (X-Total-Count "
                                                         "tells how many matched)"),
                        **_errors("400")},
                       parameters=_offering_filters()),
            "post": _op("createOffering", "Register an offering of your organisation",
                        {"201": _linked(_json(_ref("Offering"), "Registered"), {
                            "GetOffering": {"operationId": "getOffering",
                                            "parameters": {"offering_id":
                                                           "$response.body#/id"}}}),
                         **_errors("400", "403", "422")},
                        requestBody={"required": True, "content": {"application/json": {
                            "schema": _offering_body()}}})},
        "/offerings/{offering_id}": {"get": _op(
            "getOffering", "One offering",
            {"200": _json(_ref("Offering"), "The offering"), **_errors("404")},
            parameters=[_OFFERING_ID])},
        "/interventions": {"post": _op(
            "logIntervention", "Log a contact or activity with a company",
            {"201": _json(_ref("Intervention"), "Logged"), **_errors("400", "403", "422")},
            requestBody=_body(INTERVENTION_FIELDS))},
        "/interventions/{intervention_id}/survey": {"post": _op(
            "createSurveyLink", "The entrepreneur's personal impact-survey link (single use, "
            "30 days), optionally queued for e-mail; only for your organisation's interventions",
            {"201": _json(_ref("SurveyLink"), "Made"),
             **_errors("400", "403", "404", "409", "422")},
            parameters=[{"name": "intervention_id", "in": "path", "required": True,
                         "schema": {"type": "integer", "minimum": 1}}],
            requestBody=_body(SURVEY_FIELDS, False))},
        "/referrals": {
            "get": _op("listReferrals", "Referrals your organisation sent or received",
                       {"200": _json(_array("Referral"), "Referrals"), **_errors("400")},
                       parameters=[{"name": "box", "in": "query",
                                    "schema": {"type": "string",
                                               "enum": ["all", "inbox", "outbox"]}},
                                   {"name": "status", "in": "query",
                                    "schema": {"type": "string",
                                               "enum": REFERRAL_STATUS_SLUGS}}, *_PAGING]),
            "post": _op("createReferral", "Refer a company to another organisation",
                        {"201": _linked(_json(_ref("ReferralDetail"), "Sent"), _referral_links()),
                         **_errors("400", "403", "422")},
                        requestBody=_body(REFERRAL_FIELDS))},
        "/referrals/{referral_id}": {"get": _op(
            "getReferral", "A referral in full (its sender and receiver only)",
            {"200": _json(_ref("ReferralDetail"), "The referral"), **_errors("404")},
            parameters=[_REFERRAL_ID])},
    }
    for action in ACTIONS:
        paths[f"/referrals/{{referral_id}}/{action}"] = {"post": _op(
            f"{action}Referral", f"{action.capitalize()} the referral"
            + (" (sender only)" if action == "cancel" else " (receiver only)"),
            {"200": _json(_ref("ReferralDetail"), "The referral after the step"),
             **_errors("400", "403", "404", "409", "422")},
            parameters=[_REFERRAL_ID], requestBody=_body(TRANSITION_FIELDS, False))}
    from .monitor import openapi_paths as monitor_paths
    paths.update(monitor_paths())
    paths["/openapi.json"] = {"get": _op(
        "getOpenApi", "This document", {"200": {"description": "OpenAPI 3.1 document",
                                               "content": {"application/json": {}}}},
        security=[])}
    return paths


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Volgende Deur API", "version": "1.0.0",
                 "description": "The CRM of the organisations that help Dutch SMEs digitalise. "
                                "The API acts as the token's user, under the same rules as the "
                                "screens: what you may not see answers 404."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "A personal token: flask --app wsgi crm create-token EMAIL"}}},
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
