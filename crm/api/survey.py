"""``POST /api/v1/interventions/<id>/survey``: the entrepreneur's personal survey link."""
from flask import jsonify

from ..extensions import db
from ..journeys.survey import invite, queue_invitation_mail, survey_link
from ..models import Intervention
from ..policy import VIEW, may
from . import bp
from .auth import current
from .errors import N_, ApiError
from .inputs import Field, parse_body, valid_id

SURVEY_FIELDS = [
    Field("email", "string", max_length=254, example="ondernemer@example.nl",
          description="The entrepreneur's e-mail address (personal data); needed only with "
                      "send_mail."),
    Field("send_mail", "boolean",
          description="Queue an e-mail with the link to `email` (sent by `crm send-mail`)."),
    Field("language", "string", enum=("nl", "en"),
          description="Language of the e-mail; Dutch when left out."),
]


@bp.post("/interventions/<int:intervention_id>/survey")
def create_survey_link(intervention_id):
    user = current()
    intervention = (db.session.get(Intervention, intervention_id)
                    if valid_id(intervention_id) else None)
    if intervention is None or not may(user, VIEW, intervention):
        raise ApiError(404, N_("No intervention with this id."))
    if not may(user, "survey", intervention):
        raise ApiError(403, N_("Only the organisation that did it can send a survey about it."))
    body = parse_body(SURVEY_FIELDS, allow_empty=True)
    if body.get("language") not in (None, "nl", "en"):
        raise ApiError(422, fields={"language": [(N_("Choose nl or en."), {})]})
    if body.get("send_mail") and not (body.get("email") or "").strip():
        raise ApiError(422, fields={"email": [(N_("Enter the entrepreneur's e-mail address to "
                                                  "send the link."), {})]})
    invitation = invite(intervention, by=user, email=body.get("email"))
    if body.get("send_mail"):
        queue_invitation_mail(invitation, locale=body.get("language") or "nl")
    db.session.commit()
    return jsonify({"url": survey_link(invitation), "id": invitation.id,
                    "expires_at": invitation.expires_at.isoformat(),
                    "mailed": bool(body.get("send_mail"))}), 201
