"""The impact survey: a personal, signed, single-use link for the entrepreneur, and the answers.

Staff of the organisation that did an intervention (or completed a referral, as its receiver)
make an invitation; the link carries the invitation's id and a random nonce, signed with the
app's secret (itsdangerous, salt ``survey``). The link works until ``expires_at`` and exactly
once: answering sets ``used_at`` with a compare-and-set update, and ``survey_responses`` has a
unique ``invitation_id`` besides.
"""
import re
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, literal, select, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import AuditEntry, Intervention, Referral, User, utcnow
from ..models.survey import SurveyInvitation, SurveyResponse
from ..models.vocabulary import SURVEY_QUESTION_KEYS
from ..policy import may
from . import audit
from .clock import AMSTERDAM
from .errors import N_, DomainError, NotAllowed, ValidationFailed

#: How long a link works.
VALID_DAYS = 30
SALT = "survey"
COMMENT_MAX = 4000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class SurveyLinkInvalid(DomainError):
    message = N_("This survey link is not valid. Please check that you opened the whole link "
                 "from the message you received.")


class SurveyLinkExpired(DomainError):
    message = N_("This survey link has expired. Please ask the organisation that sent it to "
                 "you for a new link.")


class SurveyAlreadyAnswered(DomainError):
    message = N_("This survey has already been filled in with this link. Thank you!")


class SurveyNotPossible(DomainError):
    message = N_("A survey can be sent after a contact or activity, or after a completed "
                 "referral.")


# --- invitations -----------------------------------------------------------------------------

def _subject_answered(session: Session, intervention_id, referral_id) -> bool:
    column = (SurveyInvitation.intervention_id if intervention_id
              else SurveyInvitation.referral_id)
    return bool(session.scalar(
        select(literal(1)).select_from(SurveyResponse)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
        .where(column == (intervention_id or referral_id)).limit(1)))


def may_invite(user, subject) -> bool:
    """Whether ``user`` may send a survey about ``subject`` (an intervention or a referral)."""
    if isinstance(subject, Referral) and subject.status != "completed":
        return False
    return may(user, "survey", subject)


def invite(subject: Intervention | Referral, *, by: User, email: str | None = None,
           days: int = VALID_DAYS) -> SurveyInvitation:
    """A new personal link for the entrepreneur about ``subject``."""
    session = object_session(by)
    if isinstance(subject, Intervention):
        intervention_id, referral_id = subject.id, None
        organisation_id = subject.organisation_id
    elif isinstance(subject, Referral):
        if subject.status != "completed":
            raise SurveyNotPossible()
        intervention_id, referral_id = None, subject.id
        organisation_id = subject.to_organisation_id
    else:
        raise SurveyNotPossible()
    if not may(by, "survey", subject):
        raise NotAllowed(N_("Only the organisation that did it can send a survey about it."))
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
        raise ValidationFailed({"email": [(N_("Enter an e-mail address such as "
                                              "name@example.nl."), {})]})
    if _subject_answered(session, intervention_id, referral_id):
        raise DomainError(N_("The entrepreneur has already answered the survey about this."))
    now = utcnow()
    invitation = SurveyInvitation(
        company_id=subject.company_id, organisation_id=organisation_id,
        intervention_id=intervention_id, referral_id=referral_id, created_by_id=by.id,
        created_at=now, expires_at=now + timedelta(days=days), email=email,
        token_nonce=secrets.token_urlsafe(24))
    session.add(invitation)
    session.flush()
    audit.record(by, "create", "survey_invitation", invitation.id,
                 company_id=subject.company_id,
                 changes={"intervention_id": [None, intervention_id],
                          "referral_id": [None, referral_id],
                          "expires_at": [None, invitation.expires_at],
                          "email": [None, "…" if email else None]})  # personal data stays out
    return invitation


def queue_invitation_mail(invitation: SurveyInvitation, *, locale: str = "nl",
                          secret: str | None = None) -> None:
    """Queue the link for e-mail to ``invitation.email`` (sent by ``crm send-mail``)."""
    from ..catalogue import translate
    from ..models import OutgoingMail
    if not invitation.email:
        raise ValidationFailed({"email": [(N_("Enter the entrepreneur's e-mail address to "
                                              "send the link."), {})]})
    session = object_session(invitation)
    organisation = invitation.organisation.name
    subject = translate(N_("A short question from %(organisation)s"), locale) % {
        "organisation": organisation}
    body = translate(N_(
        "Dear entrepreneur,\n\n%(organisation)s recently helped your company. Would you tell "
        "us what it meant for you? The survey has ten short questions and takes about two "
        "minutes.\n\n%(link)s\n\nThe link is personal and works once, until %(date)s.\n\n"
        "Kind regards,\n%(organisation)s"), locale) % {
        "organisation": organisation,
        # {base_url} is filled in by the sender (crm.mail), which knows where the site lives.
        "link": "{base_url}" + survey_path(invitation, secret=secret)
                + ("?lang=en" if locale == "en" else ""),
        "date": invitation.expires_at.astimezone(AMSTERDAM).strftime("%d-%m-%Y")}
    session.add(OutgoingMail(to_address=invitation.email, subject=subject[:300], body=body,
                             created_at=utcnow()))
    session.flush()


def invitations_for(subject: Intervention | Referral) -> Select:
    """The invitations about ``subject``, newest first."""
    column = (SurveyInvitation.intervention_id if isinstance(subject, Intervention)
              else SurveyInvitation.referral_id)
    return (select(SurveyInvitation).where(column == subject.id)
            .order_by(SurveyInvitation.id.desc()))


def _secret(secret: str | None) -> str:
    if secret is not None:
        return secret
    from flask import current_app
    return current_app.config["SECRET_KEY"]


def survey_token(invitation: SurveyInvitation, *, secret: str | None = None) -> str:
    """The signed token for ``invitation`` (the same every time it is asked for)."""
    return URLSafeSerializer(_secret(secret), salt=SALT).dumps(
        [invitation.id, invitation.token_nonce])


def survey_path(invitation: SurveyInvitation, *, secret: str | None = None) -> str:
    return f"/enquete/{survey_token(invitation, secret=secret)}"


def survey_link(invitation: SurveyInvitation, *, secret: str | None = None,
                base_url: str | None = None) -> str:
    """The entrepreneur's personal link: ``base_url`` (or the current site) + the token."""
    if base_url is None:
        from flask import current_app, has_request_context, request
        base_url = (request.host_url if has_request_context()
                    else current_app.config.get("BASE_URL", ""))
    return base_url.rstrip("/") + survey_path(invitation, secret=secret)


def invitation_for_token(token: str, *, session: Session | None = None,
                         secret: str | None = None, check: bool = True) -> SurveyInvitation:
    """The invitation a token opens. Raises :class:`SurveyLinkInvalid` (tampered, unknown),
    :class:`SurveyAlreadyAnswered` or :class:`SurveyLinkExpired` (unless ``check`` is off)."""
    if session is None:
        from ..extensions import db
        session = db.session
    if not isinstance(token, str) or len(token) > 500:
        raise SurveyLinkInvalid()
    try:
        value = URLSafeSerializer(_secret(secret), salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise SurveyLinkInvalid() from None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or not isinstance(value[1], str) or not 0 < value[0] < 2 ** 31):
        raise SurveyLinkInvalid()
    invitation = session.get(SurveyInvitation, value[0])
    if invitation is None or not secrets.compare_digest(invitation.token_nonce, value[1]):
        raise SurveyLinkInvalid()
    if check:
        check_open(invitation)
    return invitation


def check_open(invitation: SurveyInvitation) -> None:
    if invitation.used_at is not None:
        raise SurveyAlreadyAnswered()
    if invitation.expires_at <= utcnow():
        raise SurveyLinkExpired()


def subject_title(invitation: SurveyInvitation) -> tuple[str, str | None]:
    """(organisation name, kind slug or offering name) of what the survey is about."""
    if invitation.intervention is not None:
        return invitation.organisation.name, invitation.intervention.kind
    offering = invitation.referral.offering if invitation.referral else None
    return invitation.organisation.name, offering.name if offering else None


# --- answering ---------------------------------------------------------------------------------

def validate_answers(answers: dict, comment: str | None) -> tuple[dict, str | None]:
    errors: dict[str, list] = {}
    values = {}
    unknown = [k for k in answers if k not in SURVEY_QUESTION_KEYS]
    if unknown:
        errors["answers"] = [(N_("Unknown question: %(value)s."),
                              {"value": ", ".join(map(str, unknown))[:200]})]
    for key in SURVEY_QUESTION_KEYS:
        raw = answers.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[key] = None
            continue
        value = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
            value = int(raw.strip()[:3])
        if value is None or not 1 <= value <= 6:
            errors.setdefault(key, []).append((N_("Choose one of the answers."), {}))
        else:
            values[key] = value
    text = _UNSTORABLE.sub("", (comment or "")).strip() or None
    if text is not None and len(text) > COMMENT_MAX:
        errors["comment"] = [(N_("Your comment may be at most %(max)d characters."),
                              {"max": COMMENT_MAX})]
    if not errors and all(v is None for v in values.values()) and text is None:
        errors["answers"] = [(N_("Answer at least one question."), {})]
    if errors:
        raise ValidationFailed(errors)
    return values, text


def answer(invitation: SurveyInvitation, answers: dict,
           comment: str | None = None) -> SurveyResponse:
    """Store the entrepreneur's answers; the link is used up in the same transaction."""
    session = object_session(invitation)
    values, text = validate_answers(answers, comment)
    now = utcnow()
    won = session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id, SurveyInvitation.used_at.is_(None),
               SurveyInvitation.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        session.refresh(invitation)
        check_open(invitation)
        raise SurveyAlreadyAnswered()
    set_committed_value(invitation, "used_at", now)
    if invitation.intervention_id is not None:
        archetype = session.scalar(select(Intervention.kind)
                                   .where(Intervention.id == invitation.intervention_id))
    else:
        referral = session.get(Referral, invitation.referral_id)
        archetype = referral.offering.archetype if referral and referral.offering else None
    response = SurveyResponse(
        invitation_id=invitation.id, company_id=invitation.company_id,
        organisation_id=invitation.organisation_id, archetype=archetype, answered_at=now,
        comment=text, **values)
    session.add(response)
    session.flush()
    # Written by the entrepreneur (no user), on behalf of the organisation that asked.
    session.add(AuditEntry(
        at=now, user_id=None, organisation_id=invitation.organisation_id, action="create",
        record_type="survey_response", record_id=response.id,
        company_id=invitation.company_id,
        changes={"invitation_id": [None, invitation.id],
                 "answered": [None, sum(v is not None for v in values.values())]}))
    return response


# --- reads for the company page and the figures ----------------------------------------------

def responses_visible_to(user: User, company_id: int) -> Select:
    from ..policy import survey_response_filter
    return (select(SurveyResponse).where(SurveyResponse.company_id == company_id,
                                         survey_response_filter(user))
            .order_by(SurveyResponse.answered_at))


# The figures live in survey_reads (re-exported here).
from .survey_reads import response_rate_select, survey_results_select  # noqa: E402,F401
