"""Records as JSON. Only what the policy lets the caller see is ever passed in here."""
from datetime import date, datetime

from ..journeys.referrals import allowed_actions, is_overdue
from ..models import (Company, Consent, ContactPerson, Intervention, Offering, Organisation,
                      Referral, User)
from ..models.vocabulary import (BOTTLENECK_SLUGS, MARKET_FAILURES, TARGET_MATURITIES,
                                 TOPIC_SLUGS)


def in_order(values, vocabulary: list[str]) -> list[str]:
    """Slugs in vocabulary order (the database returns them in any order)."""
    rank = {slug: n for n, slug in enumerate(vocabulary)}
    return sorted(values, key=lambda v: rank.get(v, len(rank)))


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def organisation(org: Organisation | None) -> dict | None:
    return {"id": org.id, "name": org.name} if org is not None else None


def organisation_full(org: Organisation) -> dict:
    return {"id": org.id, "name": org.name, "kind": org.kind, "website": org.website,
            "provinces": [p.name for p in org.provinces]}


def company(c: Company) -> dict:
    return {
        "id": c.id,
        "kvk": c.kvk,
        "establishment_number": c.establishment_number,
        "name": c.name,
        "trade_names": c.trade_name_list,
        "sbi": c.sbi_code,
        "sbi_section": c.sbi_section,
        "employees": c.employees,
        "size_class": c.size_class,
        "phase": c.phase,
        "digital_maturity": c.digital_maturity,
        "website": c.website,
        "non_mailing": bool(c.non_mailing),
        "municipality": c.municipality.name if c.municipality else None,
        "municipality_code": c.municipality.code if c.municipality else None,
        "province": c.province.name if c.province else None,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "version": c.version,
    }


def contact(p: ContactPerson) -> dict:
    return {"id": p.id, "kvk": p.company.kvk, "name": p.name, "email": p.email,
            "phone": p.phone, "role": p.role, "organisation": organisation(p.organisation),
            "created_at": iso(p.created_at)}


def intervention(i: Intervention, viewer: User) -> dict:
    out = {"id": i.id, "kvk": i.company.kvk, "kind": i.kind, "date": iso(i.occurred_on),
           "summary": i.summary, "bottlenecks": in_order(i.bottlenecks, BOTTLENECK_SLUGS),
           "topics": in_order(i.topics, TOPIC_SLUGS),
           "organisation": organisation(i.organisation), "created_at": iso(i.created_at)}
    if i.organisation_id == viewer.organisation_id:
        out["internal_note"] = i.internal_note
    return out


def consent(c: Consent, kvk: str | None) -> dict:
    return {"id": c.id, "kvk": kvk, "current": c.withdrawn_at is None,
            "basis": c.basis, "organisation": organisation(c.organisation),
            "given_at": iso(c.given_at), "withdrawn_at": iso(c.withdrawn_at)}


def referral(r: Referral, viewer: User) -> dict:
    """Route and state: what every caller who may see the referral at all sees."""
    return {
        "id": r.id,
        "kvk": r.company.kvk,
        "company": {"id": r.company.id, "kvk": r.company.kvk, "name": r.company.name},
        "status": r.status,
        "from_organisation": organisation(r.from_organisation),
        "to_organisation": organisation(r.to_organisation),
        "created_at": iso(r.created_at),
        "accept_due_on": iso(r.accept_due_on),
        "accepted_at": iso(r.accepted_at),
        "closed_at": iso(r.closed_at),
        "overdue": is_overdue(r),
        "allowed_actions": allowed_actions(r, viewer),
    }


def referral_full(r: Referral, viewer: User) -> dict:
    """Everything the referral carries: for its sender and receiver only."""
    return {
        **referral(r, viewer),
        "question": r.question,
        "context": r.context,
        "entrepreneur_agrees": r.entrepreneur_agrees,
        "offering": ({"id": r.offering.id, "name": r.offering.name}
                     if r.offering is not None else None),
        "outcome": r.outcome,
        "reason": r.reason,
        "reason_text": r.reason_text,
        "steps": [{"id": s.id, "action": s.action, "from_status": s.from_status,
                   "to_status": s.to_status, "at": iso(s.at),
                   "organisation": organisation(s.organisation),
                   "actor": s.actor.name if s.actor else None, "reason": s.reason,
                   "note": s.note} for s in r.steps],
    }


def timeline_item(item, org_ids: dict[str, int]) -> dict:
    """One :class:`~crm.journeys.timeline.TimelineItem`; hidden parts are left out entirely."""
    def org(name):
        return {"id": org_ids.get(name), "name": name} if name is not None else None

    out = {"type": item.type, "id": item.id, "occurred_at": iso(item.occurred_at),
           "organisation": {"id": item.organisation_id, "name": item.organisation},
           "kind": item.kind, "summary": item.summary}
    if item.type == "intervention":
        out.update(date=iso(item.occurred_at), actor=item.actor, event=item.event,
                   bottlenecks=in_order(item.bottlenecks, BOTTLENECK_SLUGS),
                   topics=in_order(item.topics, TOPIC_SLUGS))
        if item.internal_note is not None:
            out["internal_note"] = item.internal_note
    elif item.type in ("referral", "referral-step"):
        out.update(referral_id=item.referral_id, status=item.status, full=item.full,
                   from_organisation=org(item.from_organisation),
                   to_organisation=org(item.to_organisation), reason=item.reason)
        if item.full:
            out["actor"] = item.actor
            if item.type == "referral":
                out.update(question=item.question, context=item.context)
            else:
                out["note"] = item.note
    elif item.type == "consent":
        out["withdrawn"] = item.withdrawn
    elif item.type == "survey":
        out["answers"] = dict(item.answers or [])
    elif item.type == "dma":
        out["date"] = iso(item.occurred_at)
        out["scores"] = {k: float(v) if k == "average" else v for k, v in item.scores or []}
    return out


def open_referral(r, org_ids: dict[str, int]) -> dict:
    out = {"id": r.id, "status": r.status,
           "from_organisation": {"id": org_ids.get(r.from_organisation),
                                 "name": r.from_organisation},
           "to_organisation": {"id": org_ids.get(r.to_organisation), "name": r.to_organisation},
           "created_at": iso(r.created_at), "accept_due_on": iso(r.accept_due_on),
           "overdue": r.overdue, "full": r.full}
    if r.full:
        out["question"] = r.question
    return out


#: Offering tag dimension → API field, with the vocabulary order its values are listed in.
OFFERING_TAGS = {
    "sector": ("sectors", None), "size": ("size_classes", ["zzp", "micro", "klein", "middelgroot"]),
    "phase": ("phases", ["starter", "scale-up", "overig"]),
    "maturity": ("maturity", [m for m, _ in TARGET_MATURITIES]),
    "form": ("forms", TOPIC_SLUGS), "technology": ("technologies", TOPIC_SLUGS),
    "bottleneck": ("bottlenecks", BOTTLENECK_SLUGS),
    "market-failure": ("market_failures", [m for m, _ in MARKET_FAILURES]),
}


def offering(o: Offering, on: date, tags: dict[str, list[str]] | None = None) -> dict:
    """An offering as the map shows it; ``tags`` ({dimension: values}) saves loading
    ``o.tags`` when a page of them was fetched at once. ``on`` is today (for ``expired``)."""
    if tags is None:
        tags = {}
        for tag in o.tags:
            tags.setdefault(tag.dimension, []).append(tag.value)
    out = {"id": o.id, "name": o.name, "description": o.description,
           "organisation": organisation(o.organisation), "archetype": o.archetype,
           "provinces": [p.name for p in o.provinces], "regions": [r.name for r in o.regions]}
    for dimension, (name, vocabulary) in OFFERING_TAGS.items():
        values = tags.get(dimension, [])
        out[name] = in_order(values, vocabulary) if vocabulary else sorted(values)
    expired = o.expired(on)
    out.update({
        "providers": [{"name": p.name, "role": p.role, "organisation_id": p.organisation_id}
                      for p in o.providers],
        "cost_kind": o.cost_kind, "cost_note": o.cost_note,
        "starts_on": iso(o.starts_on), "ends_on": iso(o.ends_on),
        "expired": expired, "active": bool(o.active),
        "current": bool(o.active) and not expired,
        "takes_referrals": bool(o.takes_referrals),
        "contact": {"name": o.contact_name, "email": o.contact_email,
                    "phone": o.contact_phone},
        "url": o.url,
        "created_at": iso(o.created_at), "updated_at": iso(o.updated_at),
    })
    return out
