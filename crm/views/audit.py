"""The audit trail on screen: "Geschiedenis" of a record, and the administrators' search."""
import re
from datetime import date, datetime

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..journeys.audit_search import (ACTIONS, RECORD_TYPES, AuditFilter, company_history,
                                     paginate, record_history, search)
from ..models import (Company, ContactPerson, Municipality, Offering, Organisation, Referral,
                      User)
from ..policy import VIEW, may
from ..reference import MAX_ID, parse_id
from .base import int_arg
from .labels import label, short_date, short_moment

#: The days the audit trail can be searched by.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)

bp = Blueprint("audit", __name__)

FIELD_LABELS = {
    "kvk": _l("KVK number"), "establishment_number": _l("Establishment number"),
    "name": _l("Name"), "trade_names": _l("Trade names"), "sbi_code": _l("SBI code"),
    "sbi_section": _l("SBI section"), "employees": _l("Working persons"),
    "size_class": _l("Size class"), "phase": _l("Phase"),
    "non_mailing": _l("Non-mailing indicator"), "municipality_id": _l("Municipality"),
    "province_id": _l("Province"), "website": _l("Website"),
    "digital_maturity": _l("Digital maturity"), "role": _l("Role"),
    "email": _l("E-mail address"), "phone": _l("Phone"), "kind": _l("Kind"),
    "occurred_on": _l("Date"), "summary": _l("Summary"), "internal_note": _l("Internal note"),
    "bottlenecks": _l("Bottlenecks"), "topics": _l("Topics"), "status": _l("Status"),
    "to_organisation_id": _l("To"), "offering_id": _l("Offering"), "basis": _l("Basis"),
    "withdrawn_at": _l("Withdrawn"), "due_on": _l("Due"), "owner_id": _l("Owner"),
    "active": _l("Active"), "organisation_id": _l("Organisation"), "password": _l("Password"),
    "locale": _l("Language"), "provinces": _l("Provinces"), "regions": _l("Regions"),
    "intake_point": _l("Intake point (front door)"), "address": _l("Client address"),
    "request": _l("Request"), "dataset": _l("Export"), "format": _l("Format"),
    "prefix": _l("Token"), "title": _l("Title"), "description": _l("Description"),
    "question": _l("Question"), "company_id": _l("Company"), "reason": _l("Reason"),
    "outcome": _l("Outcome"), "done_at": _l("Done"), "attendees": _l("Attendees"),
    "unresolved": _l("Unknown KVK numbers"), "key": _l("Code"),
    "organisation": _l("Organisation"), "province": _l("Province"),
    "municipality": _l("Municipality"), "municipalities": _l("Municipalities"),
}
ACTION_LABELS = {
    "create": _l("created"), "update": _l("changed"), "delete": _l("deleted"),
    "withdraw": _l("withdrawn"), "link": _l("linked"), "spam": _l("marked as spam"),
    "revoke": _l("revoked"), "sign-in": _l("signed in"),
    "sign-in-failed": _l("failed sign-in"), "sign-in-blocked": _l("sign-in refused (too many "
                                                                   "attempts)"),
    "sign-out": _l("signed out"), "token-use": _l("API token used"), "export": _l("exported"),
    "access-report": _l("access report made"), "erase": _l("erased (AVG)"),
    "retention": _l("anonymised (retention period)"), "merge": _l("merged"),
    "unmerge": _l("merge undone"),
    "mfa-setup-started": _l("two-step verification set-up started"),
    "mfa-enabled": _l("two-step verification turned on"),
    "mfa-verified": _l("signed in with a second step"),
    "mfa-failed": _l("wrong verification code"),
    "mfa-codes-renewed": _l("new recovery codes made"),
    "mfa-disabled": _l("two-step verification turned off"),
    "mfa-reset": _l("two-step verification reset by an administrator"),
}
RECORD_LABELS = {
    "company": _l("Company"), "contact": _l("Contact person"),
    "intervention": _l("Contact or activity"), "event": _l("Event"),
    "referral": _l("Referral"), "consent": _l("Consent"), "task": _l("Follow-up task"),
    "offering": _l("Offering"), "intake": _l("Front-door question"), "survey": _l("Survey"),
    "organisation": _l("Organisation"), "user": _l("User"), "api_token": _l("API token"),
    "export": _l("Export"), "person": _l("Person (AVG)"),
}
_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
#: Fields holding ids of other records, and how to name them.
_REFERENCES = {"municipality_id": Municipality, "to_organisation_id": Organisation,
               "organisation_id": Organisation, "owner_id": User, "offering_id": Offering}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    try:
        return label("action", action)
    except KeyError:
        return action


def _names(entries) -> dict:
    """Names of the records the entries' values refer to, one query per kind."""
    wanted: dict = {}
    for entry in entries:
        for key, pair in (entry.changes or {}).items():
            if key in _REFERENCES:
                wanted.setdefault(_REFERENCES[key], set()).update(
                    v for v in pair if isinstance(v, int))
    names = {}
    for model, ids in wanted.items():
        if ids:
            for row_id, name in db.session.execute(select(model.id, model.name)
                                                   .where(model.id.in_(ids))):
                names[(model, row_id)] = name
    return names


def _value(key: str, value, names: dict) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in _REFERENCES and isinstance(value, int):
        return names.get((_REFERENCES[key], value), f"#{value}")
    if isinstance(value, list):
        return ", ".join(_value(key, v, names) for v in value)
    if isinstance(value, str):
        try:
            if _ISO_MOMENT.match(value):
                return short_moment(datetime.fromisoformat(value))
            if _ISO_DATE.match(value):
                return short_date(date.fromisoformat(value))
        except ValueError:
            pass
        vocabulary = {"kind": "kind", "status": "status", "bottlenecks": "bottleneck",
                      "topics": "topic", "reason": "reason"}.get(key)
        if vocabulary:
            try:
                return label(vocabulary, value)
            except KeyError:
                return value
    return str(value)


def present(entries) -> list[dict]:
    """Entries as the templates show them: who, what, and each field's before and after."""
    names = _names(entries)
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({e.user_id for e in entries if e.user_id})))}
    orgs = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({e.organisation_id for e in entries if e.organisation_id}))).all())
    rows = []
    for e in entries:
        changes = [(str(FIELD_LABELS.get(k, k)), _value(k, pair[0], names),
                    _value(k, pair[1], names))
                   for k, pair in (e.changes or {}).items()
                   if isinstance(pair, list) and len(pair) == 2]
        user = users.get(e.user_id)
        who = user.name if user else (_("someone unknown") if e.action.startswith("sign-in")
                                      else _("system"))
        rows.append({"entry": e, "at": e.at, "who": who,
                     "organisation": orgs.get(e.organisation_id, ""),
                     "action": action_label(e.action),
                     "record": str(RECORD_LABELS.get(e.record_type, e.record_type)),
                     "changes": changes})
    return rows


# --- history of one record --------------------------------------------------------------------

_HISTORY = {"companies": (Company, "company"), "contacts": (ContactPerson, "contact"),
            "referrals": (Referral, "referral"), "offerings": (Offering, "offering")}


@bp.route("/<any(companies, contacts, referrals, offerings):kind>/<int:id>/history")
def history(kind, id):
    model, record_type = _HISTORY[kind]
    if not 0 < id <= MAX_ID:
        abort(404)
    obj = db.session.get(model, id)
    # A referral's history holds its route and states: whoever may see those sees it.
    action = "view-route" if model is Referral else VIEW
    if obj is None or not may(current_user, action, obj):
        abort(404)
    if model is Company:
        stmt = company_history(current_user, obj.id)
    else:
        stmt = record_history(record_type, obj.id)
    page = paginate(db.session, stmt, int_arg("page", maximum=100_000))
    company = obj if model is Company else getattr(obj, "company", None)
    title = (_("Referral of %(name)s", name=obj.company.name) if model is Referral
             else str(obj))
    return render_template("audit/history.html", obj=obj, kind=kind, company=company,
                           title=title,
                           page=page, rows=present(page.items),
                           record_label=RECORD_LABELS[record_type])


# --- the administrators' search ---------------------------------------------------------------

def _filter_from_args() -> tuple[AuditFilter, dict, list[str]]:
    args = {k: (request.args.get(k) or "").strip()[:200] for k in (
        "user", "organisation", "record_type", "action", "record_id", "date_from", "date_to",
        "q")}
    errors = []
    f = AuditFilter(record_type=args["record_type"] if args["record_type"] in RECORD_TYPES
                    else None,
                    action=args["action"] if args["action"] in ACTIONS else None,
                    text=args["q"] or None)
    if args["user"]:
        user_id = db.session.scalar(select(User.id).where(User.email == args["user"].lower()))
        if user_id is None:
            errors.append(_("There is no user with the e-mail address %(email)s.",
                            email=args["user"]))
        f.user_id = user_id if user_id is not None else -1
    if args["organisation"]:
        organisation_id = parse_id(args["organisation"])
        f.organisation_id = organisation_id if organisation_id is not None else -1
    if args["record_id"]:
        if (record_id := parse_id(args["record_id"])) is not None:
            f.record_id = record_id
        else:
            errors.append(_("A record number is a whole number, such as 1234."))
    for key in ("date_from", "date_to"):
        if args[key]:
            try:
                day = date.fromisoformat(args[key])
            except ValueError:
                errors.append(_("Enter a date such as 2026-03-31."))
                continue
            if FIRST_DAY <= day <= LAST_DAY:
                setattr(f, key, day)
            else:  # (no entry lies outside; the day's bounds in UTC would not exist)
                errors.append(_("Enter a date between 2000 and 2100."))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors.append(_("The start of the period lies after its end."))
    return f, {k: v for k, v in args.items() if v}, list(dict.fromkeys(errors))


@bp.route("/audit")
def search_page():
    if not may(current_user, "admin", "admin"):
        abort(403)
    f, args, errors = _filter_from_args()
    page = None
    if not errors:
        page = paginate(db.session, search(f), int_arg("page", maximum=100_000))
    organisations = db.session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name)).all()
    return render_template(
        "audit/search.html", args=args, errors=errors, page=page,
        rows=present(page.items) if page else [], organisations=organisations,
        record_types=[(t, RECORD_LABELS.get(t, t)) for t in RECORD_TYPES],
        actions=[(a, action_label(a)) for a in ACTIONS]), 400 if errors else 200
