"""Referrals: sending, the inbox and outbox, details (parties only) and the lifecycle."""
from flask import jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..journeys.referrals import ACTIONS, inbox, outbox, referrals_visible_in_full, refer, \
    transition
from ..models import Offering, Referral
from ..models.vocabulary import REFERRAL_REASON_SLUGS, REFERRAL_STATUS_SLUGS
from ..policy import CREATE, VIEW, may
from . import bp, lookups, serializers
from .auth import current
from .errors import N_, ApiError
from .inputs import MAX_ID, Field, int_param, parse_body

REFERRAL_FIELDS = [
    Field("kvk", "string", required=True, max_length=20, example="01234567"),
    Field("to_organisation_id", "integer", required=True, minimum=1, maximum=MAX_ID,
          description="An active organisation other than your own (GET /organisations)."),
    Field("question", "string", required=True, max_length=4000,
          description="The entrepreneur's question, in their words."),
    Field("entrepreneur_agrees", "boolean", required=True, enum=(True,),
          description="Must be true: the entrepreneur agreed to this handover."),
    Field("context", "string", max_length=8000,
          description="Context you choose to pass on to the receiver."),
    Field("offering_id", "integer", minimum=1, maximum=MAX_ID,
          description="Optional: the receiver's offering the company is referred to (active, "
                      "not ended, taking referrals; see GET /offerings or the suggestions)."),
]

TRANSITION_FIELDS = [
    Field("reason", "string", enum=tuple(REFERRAL_REASON_SLUGS),
          description="Required for reject and fail."),
    Field("reason_text", "string", max_length=4000,
          description="Explanation; required with reason 'anders'."),
    Field("outcome", "string", max_length=8000, description="Required for complete."),
]

BOXES = ("all", "inbox", "outbox")


@bp.get("/referrals")
def referrals():
    user = current()
    box = request.args.get("box", "all")
    if box not in BOXES:
        raise ApiError(400, N_("box must be inbox, outbox or all."), code="invalid_parameter")
    query = {"inbox": inbox, "outbox": outbox}.get(box, None)
    query = query(user) if query else referrals_visible_in_full(user).order_by(
        Referral.created_at.desc(), Referral.id.desc())
    status = request.args.get("status")
    if status:
        if status not in REFERRAL_STATUS_SLUGS:
            raise ApiError(400, N_("Unknown status."), code="invalid_parameter")
        query = query.where(Referral.status == status)
    page = int_param("page", 1)
    per_page = int_param("per_page", 25, maximum=100)
    rows = db.session.scalars(
        query.options(joinedload(Referral.company), joinedload(Referral.from_organisation),
                      joinedload(Referral.to_organisation))
        .offset((page - 1) * per_page).limit(per_page)).unique().all()
    rv = jsonify([serializers.referral(r, user) for r in rows])
    rv.headers["X-Total-Count"] = str(db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())))
    return rv


@bp.post("/referrals")
def create_referral():
    user = current()
    if not may(user, CREATE, Referral):
        raise ApiError(403)
    body = parse_body(REFERRAL_FIELDS)
    company = lookups.company_for_body(body["kvk"], user)
    offering = None
    if body.get("offering_id") is not None:
        offering = db.session.get(Offering, body["offering_id"])
        if offering is None:
            raise ApiError(422, fields={"offering_id": [(N_("No offering has this id."), {})]})
    referral = refer(company, lookups.organisation(body["to_organisation_id"]),
                     body["question"], by=user, context=body.get("context") or "",
                     entrepreneur_agrees=body["entrepreneur_agrees"] is True,
                     offering=offering)
    db.session.commit()
    rv = jsonify(serializers.referral_full(referral, user))
    rv.status_code = 201
    rv.headers["Location"] = url_for("api.referral", referral_id=referral.id)
    return rv


def _visible(referral_id: int, action: str) -> Referral:
    referral = lookups.referral(referral_id)
    if referral is None or not may(current(), action, referral):
        raise ApiError(404, N_("No such referral, or you may not see it."))
    return referral


@bp.get("/referrals/<int:referral_id>")
def referral(referral_id):
    return jsonify(serializers.referral_full(_visible(referral_id, VIEW), current()))


@bp.post(f"/referrals/<int:referral_id>/<any({', '.join(ACTIONS)}):action>")
def take_action(referral_id, action):
    """A caller who may see the referral's route but is not the right side gets 403."""
    user = current()
    referral = _visible(referral_id, "view-route")
    if not may(user, action, referral):
        raise ApiError(403, N_("Only the receiving organisation can do this; only the sender "
                               "can cancel."))
    body = parse_body(TRANSITION_FIELDS)
    transition(referral, action, by=user, reason=body.get("reason"),
               reason_text=body.get("reason_text"), outcome=body.get("outcome"))
    db.session.commit()
    return jsonify(serializers.referral_full(referral, user))
