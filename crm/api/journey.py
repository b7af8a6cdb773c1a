"""A company's journey: its timeline, and the entrepreneur's consent to share it."""
from flask import jsonify, request
from sqlalchemy import select

from ..extensions import db
from ..journeys.consent import give_consent, withdraw_consent
from ..journeys.timeline import timeline_for
from ..models import Organisation
from . import bp, lookups, serializers
from .auth import current
from .inputs import Field, parse_body

CONSENT_FIELDS = [
    Field("basis", "string", required=True, max_length=300, example="mondeling bij intake",
          description="On what basis the entrepreneur agreed."),
]
WITHDRAW_FIELDS = [Field("note", "string", max_length=2000)]


@bp.get("/companies/<kvk>/timeline")
def timeline(kvk):
    user = current()
    company = lookups.company_or_404(kvk, user)
    result = timeline_for(company, user, session=db.session)
    names = {n for item in result.items for n in (item.from_organisation, item.to_organisation)
             if n is not None}
    names |= {n for r in result.open_referrals for n in (r.from_organisation, r.to_organisation)}
    org_ids = ({name: oid for oid, name in db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.name.in_(names)))}
        if names else {})
    return jsonify({
        "company": serializers.company(company),
        "has_consent": result.has_consent,
        "events": [serializers.timeline_item(i, org_ids) for i in result.items],
        "open_referrals": [serializers.open_referral(r, org_ids)
                           for r in result.open_referrals],
    })


@bp.post("/companies/<kvk>/consent")
def consent(kvk):
    user = current()
    company = lookups.company_or_404(kvk, user)
    body = parse_body(CONSENT_FIELDS)
    given = give_consent(company, body["basis"], by=user)
    db.session.commit()
    return jsonify(serializers.consent(given, company.kvk)), 201


@bp.delete("/companies/<kvk>/consent")
def withdraw(kvk):
    user = current()
    company = lookups.company_or_404(kvk, user)
    body = parse_body(WITHDRAW_FIELDS) if request.get_data(cache=True).strip() else {}
    withdraw_consent(company, by=user, note=body.get("note") or "")
    db.session.commit()
    return "", 204
