"""Organisations, companies (search, register, read) and their contact persons."""
from flask import jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..journeys.companies import add_contact, contacts_visible_to, create_company, \
    validate_company
from ..journeys.errors import DuplicateKvk, ValidationFailed
from ..journeys.search import search_companies
from ..models import Company, Maturity, Organisation, Phase, SizeClass
from ..policy import CREATE, EDIT, may
from ..reference import sbi_sections
from . import bp, lookups, serializers
from .auth import current
from .errors import N_, ApiError, field_errors
from .inputs import Field, int_param, parse_body

COMPANY_FIELDS = [
    Field("kvk", "string", required=True, max_length=20, example="01234567",
          description="KVK number: 8 digits (spaces and dots are ignored)."),
    Field("name", "string", required=True, max_length=200, example="Bakkerij De Korenschoof"),
    Field("sbi", "string", required=True, max_length=10, example="1071",
          description="SBI 2008 code, 2 to 5 digits."),
    Field("size_class", "string", enum=tuple(s.value for s in SizeClass),
          description="Required unless employees is given (then it is derived)."),
    Field("municipality", "string", required=True, max_length=80, example="Utrecht",
          description="Municipality name (case and accents do not matter) or CBS code "
                      "(GM0344)."),
    Field("employees", "integer", minimum=0, maximum=1_000_000),
    Field("phase", "string", enum=tuple(p.value for p in Phase)),
    Field("website", "string", max_length=300),
    Field("digital_maturity", "string", enum=tuple(m.value for m in Maturity)),
    Field("trade_names", "array", description="Trade names (handelsnamen)."),
    Field("non_mailing", "boolean"),
    Field("establishment_number", "string", max_length=20),
]

CONTACT_FIELDS = [
    Field("name", "string", required=True, max_length=200),
    Field("email", "string", max_length=254),
    Field("phone", "string", max_length=40),
    Field("role", "string", max_length=100),
]

SIZE_CLASSES = tuple(s.value for s in SizeClass)
SECTIONS = tuple(row["letter"] for row in sbi_sections())

#: API field → operation field.
_TO_OPERATION = {"sbi": "sbi_code", "municipality": "municipality_id"}


@bp.get("/organisations")
def organisations():
    rows = db.session.scalars(select(Organisation).where(Organisation.active.is_(True))
                              .options(selectinload(Organisation.provinces))
                              .order_by(Organisation.name))
    return jsonify([serializers.organisation_full(o) for o in rows])


@bp.get("/companies")
def companies():
    size = request.args.get("size_class") or None
    if size is not None and size not in SIZE_CLASSES:
        raise ApiError(400, N_("Unknown size_class."), code="invalid_parameter")
    section = request.args.get("sbi_section") or None
    if section is not None and section not in SECTIONS:
        raise ApiError(400, N_("sbi_section is a letter from A to U."),
                       code="invalid_parameter")
    result = search_companies(db.session, request.args.get("q"), sbi_section=section,
                              size_class=size,
                              page=int_param("page", 1, maximum=10_000),
                              per_page=int_param("per_page", 25, maximum=100))
    rv = jsonify([serializers.company(c) for c in result.items])
    if result.total is not None:
        rv.headers["X-Total-Count"] = str(result.total)
    if result.has_next:
        args = {**request.args.to_dict(), "page": result.page + 1}
        rv.headers["Link"] = f'<{url_for("api.companies", **args)}>; rel="next"'
    return rv


def _company_values(body: dict) -> dict:
    """The API body as the operation's fields; the municipality resolved by name or code."""
    data = {_TO_OPERATION.get(k, k): v for k, v in body.items()}
    errors = {}
    if body.get("municipality") is not None:
        place = lookups.municipality(body["municipality"])
        if place is None:
            errors["municipality"] = [(N_("Unknown municipality: give its name or CBS code "
                                          "(such as GM0344)."), {})]
        data["municipality_id"] = place.id if place else None
    if body.get("size_class") is None and body.get("employees") is None:
        errors["size_class"] = [(N_("Give the size class or the number of employees."), {})]
    if errors:
        try:
            validate_company({k: v for k, v in data.items() if k != "municipality_id"},
                             session=db.session)
        except ValidationFailed as exc:
            errors = {**field_errors(exc.errors), **errors}
        raise ApiError(422, fields=errors)
    return data


@bp.post("/companies")
def create():
    user = current()
    if not may(user, CREATE, Company):
        raise ApiError(403)
    body = parse_body(COMPANY_FIELDS)
    data = _company_values(body)
    try:
        company = create_company(data, by=user)
        db.session.commit()
    except IntegrityError:  # registered at the same moment by someone else
        db.session.rollback()
        existing = lookups.company_by_kvk(body["kvk"])
        if existing is None:
            raise
        raise DuplicateKvk(existing) from None
    rv = jsonify(serializers.company(company))
    rv.status_code = 201
    rv.headers["Location"] = url_for("api.company", kvk=company.kvk)
    return rv


@bp.get("/companies/<kvk>")
def company(kvk):
    return jsonify(serializers.company(lookups.company_or_404(kvk, current())))


@bp.get("/companies/<kvk>/contacts")
def contacts(kvk):
    user = current()
    found = lookups.company_or_404(kvk, user)
    return jsonify([serializers.contact(p)
                    for p in db.session.scalars(contacts_visible_to(user, found))])


@bp.post("/companies/<kvk>/contacts")
def create_contact(kvk):
    user = current()
    found = lookups.company_or_404(kvk, user)
    if not may(user, EDIT, found):  # adding a contact edits the company, as on the screens
        raise ApiError(403)
    person = add_contact(found, parse_body(CONTACT_FIELDS), by=user)
    db.session.commit()
    return jsonify(serializers.contact(person)), 201
