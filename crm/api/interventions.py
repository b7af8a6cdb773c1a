"""Logging an intervention (a contact or activity) with a company."""
from flask import jsonify

from ..extensions import db
from ..journeys.interventions import log_intervention
from ..models import Intervention
from ..models.vocabulary import BOTTLENECK_SLUGS, INTERVENTION_KIND_SLUGS, TOPIC_SLUGS
from ..policy import CREATE, may
from . import bp, lookups, serializers
from .auth import current
from .errors import ApiError
from .inputs import Field, parse_body

INTERVENTION_FIELDS = [
    Field("kvk", "string", required=True, max_length=20, example="01234567"),
    Field("kind", "string", required=True, enum=tuple(INTERVENTION_KIND_SLUGS),
          description="A plain contact (intake, telefoon, e-mail, bezoek) or an archetype."),
    Field("date", "string", max_length=10, example="2026-03-31",
          description="ISO date (YYYY-MM-DD); today when left out."),
    Field("summary", "string", max_length=8000,
          description="What happened; shared with other organisations under consent."),
    Field("internal_note", "string", max_length=8000,
          description="Never shown outside your organisation."),
    Field("bottlenecks", "array", enum=tuple(BOTTLENECK_SLUGS)),
    Field("topics", "array", enum=tuple(TOPIC_SLUGS)),
]


@bp.post("/interventions")
def create_intervention():
    user = current()
    if not may(user, CREATE, Intervention):
        raise ApiError(403)
    body = parse_body(INTERVENTION_FIELDS)
    company = lookups.company_for_body(body["kvk"], user)
    data = {k: v for k, v in body.items() if k not in ("kvk", "date")}
    data["occurred_on"] = body.get("date")
    intervention = log_intervention(company, data, by=user)
    db.session.commit()
    return jsonify(serializers.intervention(intervention, user)), 201
