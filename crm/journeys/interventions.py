"""Interventions: logging a contact or activity, and an event with its attendee list."""
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import object_session

from ..reference import is_digits
from ..models import Company, Event, Intervention, User, utcnow
from ..models.vocabulary import BOTTLENECK_SLUGS, INTERVENTION_KIND_SLUGS, TOPIC_SLUGS
from . import audit
from .clock import today
from .errors import N_, ValidationFailed

EARLIEST = date(2000, 1, 1)


def _validate(data: dict) -> dict:
    errors: dict[str, list] = {}
    values = {}

    def fail(name, message, **params):
        errors.setdefault(name, []).append((message, params))

    kind = (data.get("kind") or "").strip()
    if kind not in INTERVENTION_KIND_SLUGS:
        fail("kind", N_("Choose a kind of contact or activity from the list."))
    values["kind"] = kind
    occurred = data.get("occurred_on")
    if isinstance(occurred, str):
        try:
            occurred = date.fromisoformat(occurred.strip())
        except ValueError:
            occurred = None
            fail("occurred_on", N_("Enter a date such as 2026-03-31."))
    if occurred is None and "occurred_on" not in errors:
        occurred = today()
    elif isinstance(occurred, date) and not (EARLIEST <= occurred
                                             <= today() + timedelta(days=366)):
        fail("occurred_on", N_("Enter a date between 2000 and next year."))
    values["occurred_on"] = occurred
    bottlenecks = list(data.get("bottlenecks") or [])
    unknown = [b for b in bottlenecks if b not in BOTTLENECK_SLUGS]
    if unknown:
        fail("bottlenecks", N_("Unknown bottleneck: %(value)s."), value=", ".join(map(str, unknown)))
    values["bottlenecks"] = [b for b in BOTTLENECK_SLUGS if b in bottlenecks]
    topics = list(data.get("topics") or [])
    unknown = [t for t in topics if t not in TOPIC_SLUGS]
    if unknown:
        fail("topics", N_("Unknown topic: %(value)s."), value=", ".join(map(str, unknown)))
    values["topics"] = [t for t in TOPIC_SLUGS if t in topics]
    summary = (data.get("summary") or "").strip()
    note = (data.get("internal_note") or "").strip()
    if len(summary) > 8000:
        fail("summary", N_("The summary may be at most %(max)d characters."), max=8000)
    if len(note) > 8000:
        fail("internal_note", N_("The internal note may be at most %(max)d characters."),
             max=8000)
    values["summary"], values["internal_note"] = summary, note
    if errors:
        raise ValidationFailed(errors)
    return values


def log_intervention(company: Company, data: dict, *, by: User,
                     event: Event | None = None) -> Intervention:
    """Record a contact or activity of the user's organisation with ``company``."""
    session = object_session(by)
    values = _validate(data)
    bottlenecks, topics = values.pop("bottlenecks"), values.pop("topics")
    intervention = Intervention(company_id=company.id, organisation_id=by.organisation_id,
                                user_id=by.id, created_by_id=by.id, created_at=utcnow(),
                                event_id=event.id if event else None, **values)
    intervention.bottlenecks = bottlenecks
    intervention.topics = topics
    session.add(intervention)
    session.flush()
    audit.record(by, "create", "intervention", intervention.id, company_id=company.id,
                 changes={"kind": [None, values["kind"]],
                          "occurred_on": [None, values["occurred_on"]],
                          "summary": [None, values["summary"] or None],
                          "bottlenecks": [None, list(bottlenecks)],
                          "topics": [None, list(topics)]})
    return intervention


def update_intervention(intervention: Intervention, data: dict, *, by: User) -> Intervention:
    values = _validate(data)
    before = {"kind": intervention.kind, "occurred_on": intervention.occurred_on,
              "summary": intervention.summary, "bottlenecks": intervention.bottlenecks,
              "topics": intervention.topics}
    note_changed = values["internal_note"] != (intervention.internal_note or "")
    intervention.kind = values["kind"]
    intervention.occurred_on = values["occurred_on"]
    intervention.summary = values["summary"]
    intervention.internal_note = values["internal_note"]
    intervention.bottlenecks = values["bottlenecks"]
    intervention.topics = values["topics"]
    after = {k: values[k] for k in before}
    changes = audit.diff(before, after)
    if note_changed:  # the note itself stays out of the trail: it is internal
        changes["internal_note"] = ["…", "…"]
    audit.record(by, "update", "intervention", intervention.id,
                 company_id=intervention.company_id, changes=changes)
    object_session(by).flush()
    return intervention


def delete_intervention(intervention: Intervention, *, by: User) -> None:
    session = object_session(by)
    audit.record(by, "delete", "intervention", intervention.id,
                 company_id=intervention.company_id,
                 changes={"kind": [intervention.kind, None],
                          "occurred_on": [intervention.occurred_on, None]})
    session.delete(intervention)
    session.flush()


#: Built once and run on the session's connection: asked on every company page, where building
#: the select and the ORM's execution cost twice the query itself.
_LAST_KIND = (select(Intervention.kind)
              .where(Intervention.created_by_id == bindparam("user_id"))
              .order_by(Intervention.id.desc()).limit(1))


def last_kind(user: User) -> str | None:
    """The kind the user logged last: the default for the next quick log."""
    return object_session(user).connection().execute(
        _LAST_KIND, {"user_id": user.id}).scalar()


# --- events ------------------------------------------------------------------------------------

_CHUNK = re.compile(r"[,;\t\r\n|]+")
_HEADERS = {"kvk", "kvk-nummer", "kvknummer", "kvk_nummer", "kvk number", "kvk-number"}


@dataclass
class AttendeeList:
    """KVK numbers resolved against the register: found companies and what was not."""

    companies: list[Company] = field(default_factory=list)
    #: Well-formed KVK numbers no company has.
    unknown: list[str] = field(default_factory=list)
    #: Tokens that are not KVK numbers at all.
    invalid: list[str] = field(default_factory=list)


def resolve_kvk_numbers(session, text: str) -> AttendeeList:
    """Parse pasted or uploaded text (separated by spaces, commas, semicolons or lines)."""
    result = AttendeeList()
    numbers = []
    for chunk in _CHUNK.split(text or ""):
        chunk = chunk.strip().strip("\"'")
        if not chunk or chunk.lower() in _HEADERS:
            continue  # empty, or a header line
        # "1234 5678" and "12.34.56.78" are one number; "12345678 87654321" are two.
        joined = re.sub(r"[\s.]", "", chunk)
        tokens = [joined] if is_digits(joined) and len(joined) <= 8 else chunk.split()
        for token in tokens:
            cleaned = token.replace(".", "").strip("\"'")
            if is_digits(cleaned) and 7 <= len(cleaned) <= 8:
                numbers.append(cleaned.zfill(8))  # spreadsheets drop a leading zero
            elif cleaned.lower() not in _HEADERS:
                result.invalid.append(token[:40])
    numbers = list(dict.fromkeys(numbers))
    found = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        for company in session.scalars(select(Company).where(Company.kvk.in_(chunk))):
            found[company.kvk] = company
    result.companies = [found[n] for n in numbers if n in found]
    result.unknown = [n for n in numbers if n not in found]
    return result


def log_event(data: dict, attendees: list[Company], *, by: User,
              unresolved: list[str] = ()) -> tuple[Event, list]:
    """Log an event once; each attending company gets one intervention of the event's kind.

    ``unresolved`` KVK numbers (no company has them yet) are kept on the event, not dropped.
    """
    session = object_session(by)
    errors = {}
    title = " ".join((data.get("title") or "").split())
    if not title:
        errors["title"] = [(N_("Give the event a title."), {})]
    elif len(title) > 200:
        errors["title"] = [(N_("The title may be at most %(max)d characters."), {"max": 200})]
    if not attendees:
        errors["attendees"] = [(N_("Add at least one attending company."), {})]
    try:
        values = _validate({**data, "internal_note": data.get("internal_note", "")})
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    event = Event(organisation_id=by.organisation_id, kind=values["kind"], title=title,
                  occurred_on=values["occurred_on"], summary=values["summary"],
                  unresolved_kvk="\n".join(dict.fromkeys(unresolved)),
                  created_by_id=by.id, created_at=utcnow())
    session.add(event)
    session.flush()
    summary = values["summary"] or title
    interventions = []
    seen = set()
    for company in attendees:
        if company.id in seen:
            continue
        seen.add(company.id)
        interventions.append(log_intervention(company, {
            **values, "summary": summary}, by=by, event=event))
    audit.record(by, "create", "event", event.id,
                 changes={"attendees": [None, len(interventions)],
                          "unresolved": [None, len(unresolved)]})
    return event, interventions


def interventions_of(company_id: int) -> Select:
    return select(Intervention).where(Intervention.company_id == company_id)
