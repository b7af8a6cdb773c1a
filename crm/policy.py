"""Authorization: the one place that decides who may do what with which record.

Views, the API and exports ask :func:`may`; queries of shared data use the SQL conditions at
the bottom, built on the same rules, so a list never shows what the detail page would refuse.

The rules (see README, "Who sees what"):

* Company master data (KVK, name, sector, size, place) is shared by every organisation.
* Contact persons are personal data: the organisation that recorded them, and administrators.
* An organisation always sees its own interventions. Other organisations see them (never the
  internal note) only while the company has a current consent to share its journey.
* A referral, with everything it carries, is visible to its sender and its receiver. Others see
  its route and state (from, to, status, dates; not question, context or outcome) when the
  company has a current consent, and coordinators see that for every company in their
  provinces, consent or not.
* Only the receiver accepts, rejects, starts, holds, completes or fails a referral; only the
  sender cancels it.
"""
from sqlalchemy import ColumnElement, exists, false, or_, select, true

from .models import (ApiToken, Company, Consent, ContactPerson, Event, FollowUpTask,
                     IntakeRequest, Intervention, Notification, Offering, Organisation, Referral,
                     Role, User)
from .models.survey import DmaAssessment, SurveyInvitation, SurveyResponse
from .models.saved_view import SavedView

VIEW, EDIT, CREATE, DELETE = "view", "edit", "create", "delete"
#: Referral actions and whose they are.
RECEIVER_ACTIONS = ("accept", "reject", "start", "hold", "complete", "fail")
SENDER_ACTIONS = ("cancel",)


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user) -> bool:
    return _active(user) and user.role == Role.admin.value


def coordinates(user: User, company: Company) -> bool:
    """Whether ``user`` is a coordinator of the province ``company`` lies in."""
    return (user.role == Role.coordinator.value and company.province_id is not None
            and company.province_id in {p.id for p in user.provinces})


def has_consent(company: Company) -> bool:
    from sqlalchemy.orm import object_session
    session = object_session(company)
    return bool(session.scalar(select(consent_current(company.id))))


def _company(user, action, company):
    if action == "merge":  # admins; coordinators for companies in their provinces (or placeless)
        return is_admin(user) or (user.role == Role.coordinator.value and (
            company.province_id is None or coordinates(user, company)))
    return action in (VIEW, CREATE, EDIT)


def may_merge(user, survivor: Company, duplicate: Company) -> bool:
    """Whether ``user`` may merge these two companies (a coordinator: at least one of them in
    their provinces, the other there too or without a known place)."""
    return (may(user, "merge", survivor) and may(user, "merge", duplicate)
            and (is_admin(user) or coordinates(user, survivor) or coordinates(user, duplicate)))


def duplicate_scope(user):
    """Condition on two aliased companies: the duplicate pairs ``user`` handles (admins: all;
    coordinators: pairs with a company in their provinces)."""
    def condition(a, b):
        if is_admin(user):
            return true()
        if _active(user) and user.role == Role.coordinator.value and user.provinces:
            ids = [p.id for p in user.provinces]
            return or_(a.province_id.in_(ids), b.province_id.in_(ids))
        return false()
    return condition


def _contact(user, action, contact):
    return is_admin(user) or contact.organisation_id == user.organisation_id


def _organisation(user, action, organisation):
    if action == "import":  # files of companies, contacts, interventions into its records
        return is_admin(user) or (organisation.id == user.organisation_id and user.role in (
            Role.staff.value, Role.account_manager.value))
    return action == VIEW or is_admin(user)


def _intervention(user, action, intervention):
    own = intervention.organisation_id == user.organisation_id
    if action == VIEW:
        return own or has_consent(intervention.company)
    if action == "view-internal-note":
        return own
    return own  # edit, delete


def _event(user, action, event):
    # The event itself (title, attendee list, unresolved numbers) belongs to its organisation;
    # the attendees' interventions follow the intervention rule.
    return event.organisation_id == user.organisation_id


def _referral(user, action, referral):
    party = user.organisation_id in (referral.from_organisation_id, referral.to_organisation_id)
    if action == VIEW:  # everything it carries
        return party
    if action == "view-route":
        return party or coordinates(user, referral.company) or has_consent(referral.company)
    if action in RECEIVER_ACTIONS:
        return referral.to_organisation_id == user.organisation_id
    if action in SENDER_ACTIONS:
        return referral.from_organisation_id == user.organisation_id
    if action == "survey":  # the impact survey: asked by the organisation that did the work
        return referral.to_organisation_id == user.organisation_id
    if action == EDIT:  # follow-up tasks, comments: either party
        return party
    return False


def _offering(user, action, offering):
    # The offer side is public within the network; an organisation maintains its own
    # offerings, coordinators and administrators can edit all of them.
    if action == VIEW:
        return True
    return (offering.organisation_id == user.organisation_id
            or user.role in (Role.coordinator.value, Role.admin.value))


def _intake(user, action, intake):
    # A question left at the front door is for the intake point it landed at.
    return intake.organisation_id == user.organisation_id


def _task(user, action, task):
    return task.organisation_id == user.organisation_id or task.owner_id == user.id


def _notification(user, action, notification):
    return notification.user_id == user.id


def _token(user, action, token):
    return token.user_id == user.id or is_admin(user)


def _survey_invitation(user, action, invitation):
    # The link is the sending organisation's (its staff made it and hand it out).
    return invitation.organisation_id == user.organisation_id


def _shared_like_interventions(user, action, record):
    # Survey answers and DMA results: the organisation's own, others' under consent;
    # only the organisation that recorded a DMA result may remove it.
    own = record.organisation_id == user.organisation_id
    if action == VIEW:
        return own or has_consent(record.company)
    return own


def _saved_view(user, action, view):
    # A saved view is personal: only its owner sees, opens, renames or deletes it.
    return view.user_id == user.id


_RULES = {
    Company: _company,
    ContactPerson: _contact,
    Organisation: _organisation,
    Intervention: _intervention,
    Event: _event,
    Referral: _referral,
    FollowUpTask: _task,
    Offering: _offering,
    IntakeRequest: _intake,
    Notification: _notification,
    ApiToken: _token,
    SurveyInvitation: _survey_invitation,
    SurveyResponse: _shared_like_interventions,
    DmaAssessment: _shared_like_interventions,
    SavedView: _saved_view,
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
    if isinstance(obj, type):
        return action == CREATE and cls in (Company, Intervention, Referral, FollowUpTask,
                                            Offering, DmaAssessment)
    return rule(user, action, obj)


# --- SQL conditions for lists and the timeline ------------------------------------------------

def consent_current(company_id) -> ColumnElement[bool]:
    """EXISTS a current (not withdrawn) consent for the company (an id or a column)."""
    return exists().where(Consent.company_id == company_id, Consent.withdrawn_at.is_(None))


def contact_filter(user: User) -> ColumnElement[bool]:
    """The contact persons ``user`` may see."""
    if not _active(user):
        return false()
    if is_admin(user):
        return true()
    return ContactPerson.organisation_id == user.organisation_id


def intervention_filter(user: User) -> ColumnElement[bool]:
    """The interventions ``user`` may see: their own organisation's, or shared by consent."""
    if not _active(user):
        return false()
    return or_(Intervention.organisation_id == user.organisation_id,
               consent_current(Intervention.company_id))


def referral_party_filter(user: User) -> ColumnElement[bool]:
    """Referrals ``user`` sees in full: sent or received by their organisation."""
    if not _active(user):
        return false()
    return or_(Referral.from_organisation_id == user.organisation_id,
               Referral.to_organisation_id == user.organisation_id)


def referral_route_filter(user: User) -> ColumnElement[bool]:
    """Referrals whose route and state ``user`` may see."""
    if not _active(user):
        return false()
    conditions = [referral_party_filter(user), consent_current(Referral.company_id)]
    if user.role == Role.coordinator.value and user.provinces:
        province_ids = [p.id for p in user.provinces]
        conditions.append(exists().where(Company.id == Referral.company_id,
                                         Company.province_id.in_(province_ids)))
    return or_(*conditions)


def intake_filter(user: User) -> ColumnElement[bool]:
    """The front-door questions in the user's organisation's intake queue."""
    if not _active(user):
        return false()
    return IntakeRequest.organisation_id == user.organisation_id


def task_filter(user: User) -> ColumnElement[bool]:
    if not _active(user):
        return false()
    return or_(FollowUpTask.organisation_id == user.organisation_id,
               FollowUpTask.owner_id == user.id)



def audit_entry_filter(user: User, company_id) -> ColumnElement[bool]:
    """The audit entries of one company's history that ``user`` may see: changes to the
    shared master data and consent; what their own organisation did; the steps of referrals
    they are party to; other organisations' interventions while the company consents.
    Administrators see everything."""
    from sqlalchemy import and_

    from .models import AuditEntry
    if not _active(user):
        return false()
    if is_admin(user):
        return true()
    party = exists().where(Referral.id == AuditEntry.record_id, referral_party_filter(user))
    return or_(AuditEntry.record_type.in_(("company", "consent")),
               AuditEntry.organisation_id == user.organisation_id,
               and_(AuditEntry.record_type == "referral", party),
               and_(AuditEntry.record_type == "intervention", consent_current(company_id)))


def survey_response_filter(user: User) -> ColumnElement[bool]:
    """Survey answers ``user`` may see: their organisation's, or shared by consent."""
    if not _active(user):
        return false()
    return or_(SurveyResponse.organisation_id == user.organisation_id,
               consent_current(SurveyResponse.company_id))


def dma_filter(user: User) -> ColumnElement[bool]:
    """DMA results ``user`` may see: their organisation's, or shared by consent."""
    if not _active(user):
        return false()
    return or_(DmaAssessment.organisation_id == user.organisation_id,
               consent_current(DmaAssessment.company_id))


# --- the monitor: whose figures a user may see ---------------------------------------------

def monitor_province_ids(user) -> set[int] | None:
    """Provinces whose figures ``user`` may see across organisations: a coordinator's own,
    every province (``None``) for administrators, none (empty set) for everyone else."""
    if not _active(user):
        return set()
    if is_admin(user):
        return None
    if user.role == Role.coordinator.value:
        return {p.id for p in user.provinces}
    return set()


def may_monitor(user, *, province_ids=None, organisation_id: int | None = None) -> bool:
    """Whether ``user`` may see the figures of a scope: ``province_ids`` (a set; ``None``: the
    whole country) across organisations — coordinators their provinces, administrators all —
    or, without provinces, ``organisation_id``'s own work — its own users and administrators."""
    if not _active(user):
        return False
    if organisation_id is not None and province_ids is None and not is_admin(user):
        return organisation_id == user.organisation_id
    allowed = monitor_province_ids(user)
    if allowed is None:
        return True
    if province_ids is None:
        return False
    return bool(province_ids) and set(province_ids) <= allowed
