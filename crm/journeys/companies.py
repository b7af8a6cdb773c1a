"""Company master data: validation, create and edit (with optimistic locking), contact persons."""
import re
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import object_session

from ..models import (Company, ContactPerson, Maturity, Municipality, Phase, SizeClass, User,
                      size_class_for, utcnow)
from ..reference import is_digits, normalise, parse_id, section_for_sbi
from . import audit
from .errors import N_, DuplicateKvk, StaleEdit, ValidationFailed

#: Master-data fields an edit may change, in form order.
COMPANY_FIELDS = ("kvk", "establishment_number", "name", "trade_names", "sbi_code", "employees",
                  "size_class", "phase", "non_mailing", "municipality_id", "website",
                  "digital_maturity")

_DIGITS = re.compile(r"\d+")
_WEBSITE = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)


def clean_kvk(value: Any) -> str | None:
    """Digits only, spaces and dots removed; leading zeros kept. None when empty."""
    text = re.sub(r"[\s.]", "", str(value or ""))
    return text or None


def _blank_to_none(value):
    if isinstance(value, str):
        value = value.strip()
    return value if value not in ("", None) else None


def validate_company(data: dict, *, session) -> dict:
    """Check and normalise company fields; returns the values or raises ValidationFailed."""
    errors: dict[str, list] = {}
    values: dict[str, Any] = {}

    def fail(field, message, **params):
        errors.setdefault(field, []).append((message, params))

    if "kvk" in data:
        kvk = clean_kvk(data["kvk"])
        if kvk is None:
            fail("kvk", N_("Enter the KVK number."))
        elif not (len(kvk) == 8 and is_digits(kvk)):
            fail("kvk", N_("A KVK number is exactly 8 digits, for example 01234567."))
        values["kvk"] = kvk
    if "establishment_number" in data:
        number = clean_kvk(data["establishment_number"])
        if number is not None and not (len(number) == 12 and is_digits(number)):
            fail("establishment_number",
                 N_("An establishment number (vestigingsnummer) is exactly 12 digits."))
        values["establishment_number"] = number
    if "name" in data:
        name = " ".join(str(data["name"] or "").split())
        if not name:
            fail("name", N_("Enter the company name."))
        elif len(name) > 200:
            fail("name", N_("The name may be at most %(max)d characters."), max=200)
        values["name"] = name
    if "trade_names" in data:
        raw = data["trade_names"] or ""
        names = raw if isinstance(raw, (list, tuple)) else str(raw).splitlines()
        names = [" ".join(n.split()) for n in names if n and n.strip()]
        if any(len(n) > 200 for n in names):
            fail("trade_names", N_("A trade name may be at most %(max)d characters."), max=200)
        values["trade_names"] = "\n".join(dict.fromkeys(names))
    if "sbi_code" in data:
        code = _blank_to_none(data["sbi_code"])
        code = code.replace(".", "") if code else None
        if code is not None and not (is_digits(code) and 2 <= len(code) <= 5
                                     and section_for_sbi(code)):
            fail("sbi_code", N_("%(code)s is not an SBI code (2 to 5 digits, such as 6201)."),
                 code=code)
        values["sbi_code"] = code
        values["sbi_section"] = section_for_sbi(code) if code else None
    if "employees" in data:
        employees = _blank_to_none(data["employees"])
        if employees is not None:
            try:
                employees = int(employees)
            except (TypeError, ValueError):
                fail("employees", N_("Enter a whole number of working persons."))
                employees = None
            else:
                if employees < 0 or employees > 1_000_000:
                    fail("employees", N_("Enter a number of working persons from 0 upwards."))
        values["employees"] = employees
    if "size_class" in data or "employees" in data:
        size = _blank_to_none(data.get("size_class"))
        if size is not None and size not in {s.value for s in SizeClass}:
            fail("size_class", N_("Choose a size class from the list."))
        derived = size_class_for(values.get("employees"))
        values["size_class"] = derived or size
    if "phase" in data:
        phase = _blank_to_none(data["phase"])
        if phase is not None and phase not in {p.value for p in Phase}:
            fail("phase", N_("Choose a phase from the list."))
        values["phase"] = phase
    if "non_mailing" in data:
        values["non_mailing"] = bool(data["non_mailing"])
    if "municipality_id" in data:
        municipality_id = _blank_to_none(data["municipality_id"])
        municipality = None
        if municipality_id is not None:
            if (ident := parse_id(str(municipality_id).strip())) is not None:
                municipality = session.get(Municipality, ident)
            if municipality is None:
                fail("municipality_id", N_("Choose a municipality from the list."))
        values["municipality_id"] = municipality.id if municipality else None
        values["province_id"] = municipality.province_id if municipality else None
    if "website" in data:
        website = _blank_to_none(data["website"])
        if website is not None:
            if len(website) > 300 or not _WEBSITE.match(website):
                fail("website", N_("Enter a web address such as https://www.example.nl."))
            elif not website.lower().startswith(("http://", "https://")):
                website = "https://" + website
        values["website"] = website
    if "digital_maturity" in data:
        maturity = _blank_to_none(data["digital_maturity"]) or Maturity.onbekend.value
        if maturity not in {m.value for m in Maturity}:
            fail("digital_maturity", N_("Choose a maturity level from the list."))
        values["digital_maturity"] = maturity

    if errors:
        raise ValidationFailed(errors)
    return values


def search_fields(name: str, trade_names: str) -> dict:
    """The derived columns search uses, from the name and trade names (the KVK number is
    searched on its own column)."""
    return {"sort_name": normalise(name)[:200],
            "search_text": normalise(" ".join([name, trade_names.replace("\n", " ")]))}


def company_by_kvk(kvk: str) -> Select:
    return select(Company).where(Company.kvk == kvk)


def create_company(data: dict, *, by: User) -> Company:
    """Register a company. A KVK number that exists raises DuplicateKvk with the record."""
    session = object_session(by)
    values = validate_company({"trade_names": "", **data}, session=session)
    if values.get("kvk"):
        existing = session.scalars(company_by_kvk(values["kvk"])).first()
        if existing is not None:
            raise DuplicateKvk(existing)
    company = Company(**values, **search_fields(values["name"], values["trade_names"]),
                      created_by_id=by.id, created_at=utcnow())
    session.add(company)
    session.flush()
    audit.record(by, "create", "company", company.id, company_id=company.id,
                 changes={k: [None, v] for k, v in values.items() if v not in (None, "")})
    return company


def update_company(company: Company, data: dict, *, by: User, version: int | None) -> Company:
    """Change master data. ``version`` is the one the editor saw; a newer one raises StaleEdit."""
    session = object_session(by)
    if version is not None and version != company.version:
        raise StaleEdit()
    values = validate_company({k: v for k, v in data.items() if k in COMPANY_FIELDS},
                              session=session)
    if values.get("kvk") and values["kvk"] != company.kvk:
        existing = session.scalars(company_by_kvk(values["kvk"])).first()
        if existing is not None and existing.id != company.id:
            raise DuplicateKvk(existing)
    changed = {k: v for k, v in values.items() if getattr(company, k) != v}
    if not changed:
        return company
    by_id = by.id  # read before changing anything: loading it must not flush half a change
    before = {k: getattr(company, k) for k in changed}
    with session.no_autoflush:
        for key, value in changed.items():
            setattr(company, key, value)
        for key, value in search_fields(company.name, company.trade_names).items():
            setattr(company, key, value)
        company.updated_by_id = by_id
        company.updated_at = utcnow()
        audit.record(by, "update", "company", company.id, company_id=company.id,
                     changes=audit.diff(before, changed), session=session)
    session.flush()  # the version_id_col guard raises StaleDataError on a concurrent save
    return company


def validate_contact(data: dict) -> dict:
    errors: dict[str, list] = {}
    values = {}
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors.setdefault("name", []).append((N_("Enter the person's name."), {}))
    values["name"] = name[:200]
    role = _blank_to_none(data.get("role"))
    values["role"] = role[:100] if role else None
    email = _blank_to_none(data.get("email"))
    if email is not None:
        email = email.lower()
        if len(email) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            errors.setdefault("email", []).append(
                (N_("Enter an e-mail address such as naam@bedrijf.nl."), {}))
    values["email"] = email
    phone = _blank_to_none(data.get("phone"))
    if phone is not None and not re.fullmatch(r"[+0-9 ()\-]{6,40}", phone):
        errors.setdefault("phone", []).append(
            (N_("Enter a phone number of digits, spaces, +, - and brackets."), {}))
    values["phone"] = phone
    if errors:
        raise ValidationFailed(errors)
    return values


def add_contact(company: Company, data: dict, *, by: User) -> ContactPerson:
    """Record a contact person of ``company`` on behalf of the user's organisation."""
    session = object_session(by)
    values = validate_contact(data)
    contact = ContactPerson(company_id=company.id, organisation_id=by.organisation_id,
                            created_by_id=by.id, created_at=utcnow(), **values)
    session.add(contact)
    session.flush()
    # Personal values are kept in the trail (visible only to whoever may see the contact);
    # an AVG erasure removes them from it (crm/journeys/privacy.py).
    audit.record(by, "create", "contact", contact.id, company_id=company.id,
                 changes={k: [None, v] for k, v in values.items() if v not in (None, "")})
    return contact


def update_contact(contact: ContactPerson, data: dict, *, by: User) -> ContactPerson:
    values = validate_contact(data)
    before = {k: getattr(contact, k) for k in values}
    for key, value in values.items():
        setattr(contact, key, value)
    audit.record(by, "update", "contact", contact.id, company_id=contact.company_id,
                 changes=audit.diff(before, values))
    object_session(by).flush()
    return contact


def delete_contact(contact: ContactPerson, *, by: User) -> None:
    session = object_session(by)
    audit.record(by, "delete", "contact", contact.id, company_id=contact.company_id,
                 changes={k: [getattr(contact, k), None] for k in ("name", "role", "email",
                                                                   "phone")
                          if getattr(contact, k) not in (None, "")})
    session.delete(contact)
    session.flush()


def contacts_visible_to(user: User, company: Company) -> Select:
    """Contact persons of ``company`` that ``user`` may see (see :mod:`crm.policy`)."""
    from ..policy import contact_filter
    return (select(ContactPerson).where(ContactPerson.company_id == company.id,
                                        contact_filter(user))
            .order_by(ContactPerson.name))


def companies_visible_to(user: User) -> Select:
    """Company master data is shared by every organisation: any active user sees all."""
    return select(Company)
