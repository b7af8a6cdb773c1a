"""Finding the records a request names; what is absent or hidden answers 404 alike."""
import re

from sqlalchemy import select

from ..extensions import db
from ..models import Company, Municipality, Organisation, Referral
from ..policy import VIEW, may
from ..reference import normalise
from .errors import N_, ApiError
from .inputs import valid_id

_KVK = re.compile(r"[0-9]{8}")
_CBS_CODE = re.compile(r"GM[0-9]{4}", re.IGNORECASE)


def company_by_kvk(kvk: str) -> Company | None:
    if not isinstance(kvk, str) or not _KVK.fullmatch(kvk.replace(" ", "").replace(".", "")):
        return None
    kvk = kvk.replace(" ", "").replace(".", "")
    return db.session.scalars(select(Company).where(Company.kvk == kvk)).first()


def company_or_404(kvk: str, user) -> Company:
    company = company_by_kvk(kvk)
    if company is None or not may(user, VIEW, company):
        raise ApiError(404, N_("No company with this KVK number."))
    return company


def company_for_body(kvk: str, user) -> Company:
    """The company a request body names: unknown is a field error (422), not a 404."""
    company = company_by_kvk(kvk)
    if company is None or not may(user, VIEW, company):
        raise ApiError(422, fields={"kvk": [(N_("No company has this KVK number."), {})]})
    return company


def organisation(org_id) -> Organisation | None:
    return db.session.get(Organisation, org_id) if valid_id(org_id) else None


def referral(referral_id: int) -> Referral | None:
    return db.session.get(Referral, referral_id) if valid_id(referral_id) else None


def municipality(value: str) -> Municipality | None:
    """A municipality by CBS code (GM0344) or by name, regardless of case and accents."""
    value = " ".join(value.split())
    if _CBS_CODE.fullmatch(value):
        return db.session.scalars(select(Municipality).where(
            Municipality.code == value.upper())).first()
    key = normalise(value)
    if not key:
        return None
    return db.session.scalars(select(Municipality).where(Municipality.search_name == key)
                              .order_by(Municipality.id)).first()
