"""Duplicate companies: possible duplicates on the company page, the list of pairs, the merge
screen, and the administrators' list of merges with their reversal."""
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..journeys.companies import COMPANY_FIELDS
from ..journeys.duplicates import dismiss_pair, find_duplicates, open_pairs, scan
from ..journeys.errors import DomainError, StaleEdit, ValidationFailed
from ..journeys.merge import (count_rows, default_choices, merge_companies, surviving_id,
                              unmerge)
from ..models import Company, CompanyMerge, Role
from ..policy import duplicate_scope, is_admin, may_merge
from ..reference import MAX_ID, parse_id
from .base import RecordView, int_arg, message

bp = Blueprint("merge", __name__)

PAGE_SIZE = 25
#: The search button looks at this many of the newest companies (in the user's provinces), so
#: a click answers within seconds; ``flask --app wsgi crm duplicates`` (cron) checks them all.
WEB_SCAN_LIMIT = 2_000

#: What the rows that refer to a company are, for the counts on the merge screen.
TABLE_LABELS = {
    "interventions": _l("Contacts and activities"),
    "referrals": _l("Referrals"),
    "contact_persons": _l("Contact persons"),
    "consents": _l("Consents"),
    "follow_up_tasks": _l("Follow-up tasks"),
    "survey_invitations": _l("Survey invitations"),
    "survey_responses": _l("Survey answers"),
    "dma_assessments": _l("Digital maturity assessments"),
    "intake_requests": _l("Front-door questions"),
    "notifications": _l("Notifications"),
    "audit_entries": _l("History entries"),
}


def table_label(name: str) -> str:
    return str(TABLE_LABELS.get(name, name.replace("_", " ")))


def _field_labels() -> dict:
    from ..forms import CompanyForm
    form = CompanyForm(formdata=None, meta={"csrf": False})
    return {name: str(form[name].label.text) for name in COMPANY_FIELDS}


def _may_handle_duplicates() -> bool:
    return is_admin(current_user) or (current_user.role == Role.coordinator.value
                                      and bool(current_user.provinces))


@bp.app_errorhandler(404)
def _follow_merged_company(error):
    """Old addresses of a merged company (its page, edit form, …) lead to the survivor.

    Asked only when such an address finds no company (a merged duplicate is deleted), so the
    pages of the companies that exist pay nothing for it; every other 404 is the usual page."""
    rule = request.url_rule
    company_id = (request.view_args or {}).get("id")
    if (request.method in ("GET", "HEAD") and rule is not None
            and rule.rule.startswith("/companies/<int:id>")
            and isinstance(company_id, int) and 0 < company_id <= MAX_ID
            and current_user.is_authenticated):
        survivor_id = surviving_id(db.session, company_id)
        if survivor_id is not None and db.session.get(Company, company_id) is None:
            args = {**request.view_args, "id": survivor_id, **request.args.to_dict()}
            flash(_("That company was merged into this one."), "info")
            return redirect(url_for(request.endpoint, **args))
    from ..security import error_page
    if request.path.startswith("/api/"):
        return error
    return error_page(404)


class CompanyDuplicates(RecordView):
    """A company's possible duplicates: a fragment of its page, or a page of its own."""

    model = Company

    def get(self, company):
        matches = find_duplicates(company, limit=10)
        context = {"company": company, "matches": matches,
                   "mergeable": {other.id: may_merge(current_user, company, other)
                                 for other, _score in matches}}
        if request.args.get("fragment"):
            return render_template("merge/_duplicates.html", **context)
        return render_template("merge/duplicates.html", **context)


bp.add_url_rule("/companies/<int:id>/duplicates",
                view_func=CompanyDuplicates.as_view("company_duplicates"))


def _survivor_first(a: Company, b: Company) -> tuple[Company, Company]:
    """The proposed survivor: the one with a KVK number, else the older record."""
    if bool(a.kvk) != bool(b.kvk):
        return (a, b) if a.kvk else (b, a)
    return (a, b) if a.id < b.id else (b, a)


@bp.route("/duplicates")
def pairs():
    if not _may_handle_duplicates():
        abort(403)
    page = int_arg("page", maximum=10_000)
    rows = db.session.execute(open_pairs(duplicate_scope(current_user))
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    items = [(pair, *_survivor_first(a, b)) for pair, a, b in rows[:PAGE_SIZE]]
    result = {"page": page, "has_next": len(rows) > PAGE_SIZE}
    return render_template("merge/pairs.html", items=items, pager=SimpleNamespace(**result),
                           newest=WEB_SCAN_LIMIT)


@bp.route("/duplicates/scan", methods=["POST"])
def scan_pairs():
    if not _may_handle_duplicates():
        abort(403)
    provinces = None if is_admin(current_user) else [p.id for p in current_user.provinces]
    found = scan(db.session, province_ids=provinces, newest=WEB_SCAN_LIMIT)
    db.session.commit()
    flash(_("Search finished: %(count)d possible duplicate pairs among the %(newest)d most "
            "recently registered companies.", count=found, newest=WEB_SCAN_LIMIT), "success")
    return redirect(url_for("merge.pairs"))


def _company_or_404(value) -> Company:
    try:
        company_id = int(value)
    except (TypeError, ValueError):
        abort(404)
    company = db.session.get(Company, company_id) if 0 < company_id <= MAX_ID else None
    if company is None:
        abort(404)
    return company


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/duplicates/dismiss", methods=["POST"])
def dismiss():
    a, b = _company_or_404(request.form.get("a")), _company_or_404(request.form.get("b"))
    if not may_merge(current_user, a, b):
        abort(403)
    try:
        dismiss_pair(a, b, by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(message(exc), "danger")
    else:
        db.session.commit()
        flash(_("Marked as not a duplicate: %(a)s and %(b)s will not be proposed again.",
                a=a.name, b=b.name), "success")
    return redirect(_safe_next(url_for("merge.pairs")))


def _merge_page(survivor, duplicate, choices, status=200, **extra):
    return render_template(
        "merge/merge.html", survivor=survivor, duplicate=duplicate, choices=choices,
        fields=COMPANY_FIELDS, labels=_field_labels(), table_label=table_label,
        counts={"survivor": count_rows(db.session, survivor.id),
                "duplicate": count_rows(db.session, duplicate.id)}, **extra), status


@bp.route("/companies/<int:id>/merge/<int:other>", methods=["GET", "POST"])
def merge(id, other):
    survivor, duplicate = _company_or_404(id), _company_or_404(other)
    if survivor.id == duplicate.id:
        abort(404)
    if not may_merge(current_user, survivor, duplicate):
        abort(403)
    if request.method == "GET":
        return _merge_page(survivor, duplicate, default_choices(survivor, duplicate))
    choices = {f: request.form.get(f"choice-{f}", "") for f in COMPANY_FIELDS}

    def version(name):
        value = parse_id(request.form.get(name, ""))
        return value if value is not None else -1

    try:
        result = merge_companies(survivor, duplicate, choices, by=current_user,
                                 survivor_version=version("survivor_version"),
                                 duplicate_version=version("duplicate_version"))
        db.session.commit()
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        survivor, duplicate = db.session.get(Company, id), db.session.get(Company, other)
        if survivor is None or duplicate is None:
            flash(_("One of the two companies no longer exists: it was merged or removed "
                    "in the meantime."), "warning")
            return redirect(url_for("companies.search"))
        return _merge_page(survivor, duplicate, choices, 409, conflict=True)
    except ValidationFailed as exc:
        db.session.rollback()
        return _merge_page(db.session.get(Company, id), db.session.get(Company, other),
                           choices, 422, errors=exc.errors)
    except DomainError as exc:
        db.session.rollback()
        return _merge_page(db.session.get(Company, id), db.session.get(Company, other),
                           choices, 422, refusal=message(exc))
    except IntegrityError:  # a rule of the database the checks above did not foresee
        db.session.rollback()
        return _merge_page(db.session.get(Company, id), db.session.get(Company, other),
                           choices, 409, refusal=_("These companies cannot be merged: the "
                                                   "database refused it. Nothing was changed."))
    flash(_("%(duplicate)s was merged into %(survivor)s: %(count)d records moved.",
            duplicate=result.duplicate_name, survivor=result.survivor_name,
            count=result.moved_count), "success")
    return redirect(url_for("companies.detail", id=result.survivor_id))


def _merges_page(status=200, **extra):
    page = int_arg("page", maximum=10_000)
    rows = db.session.scalars(
        select(CompanyMerge).options(joinedload(CompanyMerge.merged_by),
                                     joinedload(CompanyMerge.reverted_by))
        .order_by(CompanyMerge.merged_at.desc(), CompanyMerge.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    result = {"page": page, "has_next": len(rows) > PAGE_SIZE}
    return render_template("merge/merges.html", merges=rows[:PAGE_SIZE],
                           pager=SimpleNamespace(**result), **extra), status


@bp.route("/merges")
def merges():
    if not is_admin(current_user):
        abort(403)
    return _merges_page()


@bp.route("/merges/<int:id>/undo", methods=["POST"])
def undo(id):
    if not is_admin(current_user):
        abort(403)
    record = db.session.get(CompanyMerge, id) if 0 < id <= MAX_ID else None
    if record is None:
        abort(404)
    try:
        unmerge(record, by=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _merges_page(409, refusal=message(exc))
    except IntegrityError:
        db.session.rollback()
        return _merges_page(409, refusal=_("This merge cannot be reversed: the database "
                                           "refused it. Nothing was changed."))
    note = ""
    if record.reversal_note:
        labels = _field_labels()
        note = " " + _("Changed since the merge, so kept as they are: %(fields)s.",
                       fields=", ".join(labels.get(f, f)
                                        for f in record.reversal_note.split(", ")))
    flash(_("The merge was reversed: %(name)s is back.", name=record.duplicate_name) + note,
          "success")
    return redirect(url_for("companies.detail", id=record.restored_id))
