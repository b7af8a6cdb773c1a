"""Offerings: check and normalise offering data (the form and the API fill it).

:func:`validate_offering` returns the clean values or raises ValidationFailed with field
messages; the small parsers (``_text``, ``_list``, ``_ids``, ``_bool``…) are shared with the
operations and the filters.
"""
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ...models import Organisation, Province, Region, SbiSection
from ...models.vocabulary import (ARCHETYPE_SLUGS, COST_KINDS, OFFERING_TAG_DIMENSIONS,
                                  PROVIDER_ROLES)
from ...reference import MAX_ID, normalise
from ..errors import N_, ValidationFailed

#: Data key → tag dimension of the multi-valued dimensions.
TAG_FIELDS = {dim.replace("-", "_"): dim for dim in OFFERING_TAG_DIMENSIONS}
#: Scalar fields, in form order.
SCALAR_FIELDS = ("name", "description", "archetype", "cost_kind", "cost_note", "starts_on",
                 "ends_on", "contact_name", "contact_email", "contact_phone", "url",
                 "takes_referrals")


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[+0-9 ()\-]{6,40}")
_URL = re.compile(r"^(https?://)?[\w.-]+\.[a-z]{2,}(:\d+)?(/\S*)?$", re.IGNORECASE)


def _text(value, *, collapse=False) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split()) if collapse else text.strip()


def _list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v not in (None, "")]
    return [value]


def _date(value):
    if value in (None, ""):
        return None, True
    if isinstance(value, datetime):
        return value.date(), True
    if isinstance(value, date):
        return value, True
    try:
        return date.fromisoformat(str(value).strip()), True
    except ValueError:
        return None, False


def _ids(value) -> tuple[list[int], bool]:
    ids, ok = [], True
    for v in _list(value):
        try:
            number = int(v)
        except (TypeError, ValueError):
            ok = False
            continue
        if not 0 < number <= MAX_ID:
            ok = False
            continue
        ids.append(number)
    return sorted(set(ids)), ok


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "y", "ja")
    return bool(value)


def validate_offering(data: dict, session) -> dict:
    """Check and normalise offering data; returns the values or raises ValidationFailed.

    Only the keys present in ``data`` are checked and returned (``name`` and ``archetype``
    are required when creating: see :func:`create_offering`). Lists come back sorted;
    providers as ``[{"name", "role", "organisation_id"}]``.
    """
    errors: dict[str, list] = {}
    values: dict[str, Any] = {}

    def fail(field, message, **params):
        errors.setdefault(field, []).append((message, params))

    if "name" in data:
        name = _text(data["name"], collapse=True)
        if not name:
            fail("name", N_("Enter the name of the offering."))
        elif len(name) > 200:
            fail("name", N_("The name may be at most %(max)d characters."), max=200)
        values["name"] = name
    if "description" in data:
        description = _text(data["description"])
        if len(description) > 8000:
            fail("description", N_("The description may be at most %(max)d characters."),
                 max=8000)
        values["description"] = description
    if "archetype" in data:
        archetype = _text(data["archetype"])
        if archetype not in ARCHETYPE_SLUGS:
            fail("archetype", N_("Choose an archetype from the list."))
        values["archetype"] = archetype
    if "cost_kind" in data:
        cost_kind = _text(data["cost_kind"]) or "gratis"
        if cost_kind not in {c for c, _ in COST_KINDS}:
            fail("cost_kind", N_("Choose what it costs from the list."))
        values["cost_kind"] = cost_kind
    for field, limit in (("cost_note", 300), ("contact_name", 200)):
        if field in data:
            text = _text(data[field], collapse=True)
            if len(text) > limit:
                fail(field, N_("This may be at most %(max)d characters."), max=limit)
            values[field] = text
    for field in ("starts_on", "ends_on"):
        if field in data:
            day, ok = _date(data[field])
            if not ok:
                fail(field, N_("Enter a date such as 2026-03-31."))
            values[field] = day
    if "starts_on" in values or "ends_on" in values:
        start, end = values.get("starts_on"), values.get("ends_on")
        if start and end and end < start:
            fail("ends_on", N_("The end date cannot be before the start date."))
    if "contact_email" in data:
        email = _text(data["contact_email"]).lower()
        if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
            fail("contact_email", N_("Enter an e-mail address such as naam@bedrijf.nl."))
        values["contact_email"] = email
    if "contact_phone" in data:
        phone = _text(data["contact_phone"], collapse=True)
        if phone and not _PHONE.fullmatch(phone):
            fail("contact_phone",
                 N_("Enter a phone number of digits, spaces, +, - and brackets."))
        values["contact_phone"] = phone
    if "url" in data:
        url = _text(data["url"])
        if url:
            if len(url) > 300 or not _URL.match(url):
                fail("url", N_("Enter a web address such as https://www.example.nl."))
            elif not url.lower().startswith(("http://", "https://")):
                url = "https://" + url
        values["url"] = url
    if "takes_referrals" in data:
        values["takes_referrals"] = _bool(data["takes_referrals"])

    if "province_ids" in data:
        ids, ok = _ids(data["province_ids"])
        known = set(session.scalars(select(Province.id).where(Province.id.in_(ids)))) if ids \
            else set()
        if not ok or known != set(ids):
            fail("province_ids", N_("Choose provinces from the list."))
        values["province_ids"] = sorted(known)
    if "region_ids" in data:
        ids, ok = _ids(data["region_ids"])
        known = set(session.scalars(select(Region.id).where(Region.id.in_(ids)))) if ids \
            else set()
        if not ok or known != set(ids):
            fail("region_ids", N_("Choose regions from the list."))
        values["region_ids"] = sorted(known)

    for field, dimension in TAG_FIELDS.items():
        if field not in data:
            continue
        chosen = sorted({_text(v) for v in _list(data[field])})
        allowed = OFFERING_TAG_DIMENSIONS[dimension]
        if allowed is None:  # sector: SBI section letters
            chosen = sorted({v.upper() for v in chosen})
            allowed = set(session.scalars(
                select(SbiSection.letter).where(SbiSection.letter.in_(chosen)))) if chosen \
                else set()
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            fail(field, N_("Choose values from the list (unknown: %(values)s)."),
                 values=", ".join(unknown[:5]))
        values[field] = [v for v in chosen if v in allowed]

    if "providers" in data:
        values["providers"] = _validate_providers(data["providers"], session, fail)

    if errors:
        raise ValidationFailed(errors)
    return values


def _validate_providers(rows, session, fail) -> list[dict]:
    if not isinstance(rows, (list, tuple)):
        fail("providers", N_("Providers are a list of names and roles."))
        return []
    roles = {r for r, _ in PROVIDER_ROLES}
    providers, seen = [], set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            fail("providers", N_("Providers are a list of names and roles."))
            continue
        name = _text(row.get("name"), collapse=True)
        role = _text(row.get("role"))
        org_id = row.get("organisation_id")
        organisation = None
        if org_id not in (None, ""):
            ids, ok = _ids([org_id])
            organisation = session.get(Organisation, ids[0]) if ok and ids else None
            if organisation is None:
                fail(f"providers-{index}-organisation_id",
                     N_("Choose an organisation from the list."))
                continue
        if not name and organisation is None:
            continue  # an empty row
        name = name or organisation.name
        if len(name) > 200:
            fail(f"providers-{index}-name", N_("The name may be at most %(max)d characters."),
                 max=200)
        if role not in roles:
            fail(f"providers-{index}-role", N_("Choose the provider's role."))
            continue
        key = (organisation.id if organisation else None, normalise(name), role)
        if key in seen:
            continue
        seen.add(key)
        providers.append({"name": name, "role": role,
                          "organisation_id": organisation.id if organisation else None})
    return providers
