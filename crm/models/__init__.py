"""The SQLAlchemy models, one module per aggregate."""
from .audit import AuditEntry  # noqa: F401
from .base import Base, utcnow  # noqa: F401
from .company import (Company, ContactPerson, Maturity, Phase, SizeClass,  # noqa: F401
                      size_class_for)
from .consent import Consent  # noqa: F401
from .intake import FormSubmission, IntakeRequest  # noqa: F401
from .intervention import Event, Intervention  # noqa: F401
from .merge import CompanyMerge, DuplicatePair  # noqa: F401
from .notification import Notification, OutgoingMail  # noqa: F401
from .offering import CatalogueMarker, Offering, OfferingProvider, OfferingTag  # noqa: F401
from .organisation import Organisation, OrganisationKind  # noqa: F401
from .reference import Municipality, Province, Region, SbiSection  # noqa: F401
from .referral import Referral, ReferralStep  # noqa: F401
from .saved_view import SavedView  # noqa: F401
from .task import FollowUpTask  # noqa: F401
from .survey import DmaAssessment, SurveyInvitation, SurveyResponse  # noqa: F401
from .token import ApiToken  # noqa: F401
from .user import LOCALES, LoginAttempt, Role, User  # noqa: F401
