"""Authorization: the one place that decides who may do what with which record.

Views ask :func:`may`; queries of shared data use the ``*_filter`` and ``*_visible_to``
functions built on the same rules, so a list never shows what the detail page would refuse.
"""
from sqlalchemy import false, true

from .models import Company, ContactPerson, Organisation, Role, User

VIEW, EDIT, CREATE, DELETE = "view", "edit", "create", "delete"


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _company(user: User, action: str, company: Company | None) -> bool:
    # Master data (KVK, name, sector, size, place) is shared by every organisation.
    return action in (VIEW, CREATE, EDIT)


def _contact(user: User, action: str, contact: ContactPerson) -> bool:
    # Personal data: the organisation that recorded the person, and administrators.
    if user.role == Role.admin.value:
        return True
    return contact.organisation_id == user.organisation_id


def _organisation(user: User, action: str, organisation: Organisation) -> bool:
    if action == VIEW:
        return True
    return user.role == Role.admin.value


_RULES = {
    Company: _company,
    ContactPerson: _contact,
    Organisation: _organisation,
}


def may(user, action: str, obj) -> bool:
    """Whether ``user`` may perform ``action`` on ``obj`` (an instance, or a class to create)."""
    if not _active(user):
        return False
    if obj == "admin":
        return user.role == Role.admin.value
    cls = obj if isinstance(obj, type) else type(obj)
    rule = _RULES.get(cls)
    if rule is None:
        return False
    return rule(user, action, None if isinstance(obj, type) else obj)


def contact_filter(user: User):
    """SQL condition: the contact persons ``user`` may see."""
    if not _active(user):
        return false()
    if user.role == Role.admin.value:
        return true()
    return ContactPerson.organisation_id == user.organisation_id
