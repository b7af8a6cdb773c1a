"""The SQLAlchemy models, one module per aggregate."""
from .base import Base, utcnow  # noqa: F401
from .company import (Company, ContactPerson, Maturity, Phase, SizeClass,  # noqa: F401
                      size_class_for)
from .organisation import Organisation, OrganisationKind  # noqa: F401
from .reference import Municipality, Province, Region, SbiSection  # noqa: F401
from .user import LOCALES, LoginAttempt, Role, User  # noqa: F401
