"""Company search (the home page), detail, create and edit."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..reference import is_digits, parse_id
from ..forms import CompanyForm
from ..journeys.companies import (COMPANY_FIELDS, companies_visible_to, contacts_visible_to,
                                  create_company, update_company)
from ..journeys.errors import DuplicateKvk, StaleEdit, ValidationFailed
from ..journeys.search import search_companies
from ..models import Company, Municipality, Province, SbiSection
from ..policy import CREATE, EDIT, may
from .base import RecordView, apply_errors, int_arg, message, require

bp = Blueprint("companies", __name__)


def municipality_choices():
    rows = db.session.execute(
        select(Municipality.id, Municipality.name, Province.name)
        .join(Province).order_by(Municipality.search_name)).all()
    return [("", _("Unknown"))] + [(str(i), f"{m} ({p})") for i, m, p in rows]


def filter_options():
    return {
        "sections": db.session.execute(
            select(SbiSection.letter, SbiSection.name_nl).order_by(SbiSection.letter)).all(),
        "provinces": db.session.execute(
            select(Province.id, Province.name).order_by(Province.name)).all(),
    }


@bp.route("/")
def search():
    q = (request.args.get("q") or "").strip()[:200]
    options = filter_options()
    section = request.args.get("sector") or None
    if section not in {letter for letter, _name in options["sections"]}:
        section = None
    size = request.args.get("size") or None
    if size not in {"zzp", "micro", "klein", "middelgroot", "groot"}:
        size = None
    province_id = request.args.get("province") or None
    province_id = parse_id(province_id)
    if province_id not in {pid for pid, _name in options["provinces"]}:
        province_id = None
    result = search_companies(db.session, q, sbi_section=section, size_class=size,
                              province_id=province_id, page=int_arg("page", maximum=1000),
                              per_page=current_app_page_size())
    args = {k: v for k, v in {"q": q, "sector": section, "size": size,
                              "province": province_id}.items() if v}
    return render_template("companies/search.html", result=result, q=q, args=args,
                           section=section, size=size, province_id=province_id,
                           may_create=may(current_user, CREATE, Company),
                           start=start_panel() if not args and result.page == 1 else None,
                           **options)


def start_panel() -> dict:
    """The start page's to-do list: my tasks, overdue tasks, referrals waiting for us."""
    from sqlalchemy import func

    from ..journeys.referrals import inbox, overdue_referrals
    from ..journeys.tasks import my_tasks, overdue_tasks
    from ..models import Referral
    waiting = inbox(current_user).where(Referral.status == "requested").order_by(None)
    overdue_ours = overdue_referrals().where(
        (Referral.to_organisation_id == current_user.organisation_id)
        | (Referral.from_organisation_id == current_user.organisation_id))
    return {
        "tasks": db.session.scalars(my_tasks(current_user).limit(10)).all(),
        "overdue_tasks": db.session.scalar(
            select(func.count()).select_from(overdue_tasks(current_user).subquery())),
        "waiting": db.session.scalar(select(func.count()).select_from(waiting.subquery())),
        "overdue_referrals": db.session.scalars(overdue_ours.limit(10)).all(),
    }


def current_app_page_size() -> int:
    from flask import current_app
    return current_app.config["SEARCH_PAGE_SIZE"]


def _form_data(form: CompanyForm) -> dict:
    return {name: form[name].data for name in COMPANY_FIELDS}


@bp.route("/companies/new", methods=["GET", "POST"])
def create():
    require(CREATE, Company)
    form = CompanyForm()
    form.municipality_id.choices = municipality_choices()
    if request.method == "GET":
        form.kvk.data = request.args.get("kvk", "")[:20]
        return render_template("companies/form.html", form=form, company=None)
    if form.validate():
        try:
            company = create_company(_form_data(form), by=current_user)
        except DuplicateKvk as exc:
            db.session.rollback()
            flash(message(exc) + " " + _("Here it is."), "info")
            return redirect(url_for("companies.detail", id=exc.existing.id))
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Company %(name)s registered.", name=company.name), "success")
            return redirect(url_for("companies.detail", id=company.id))
    return render_template("companies/form.html", form=form, company=None), 422


#: Timeline entries the company page shows before "show all".
TIMELINE_WINDOW = 50


class CompanyDetail(RecordView):
    model = Company
    load_options = (joinedload(Company.municipality), joinedload(Company.province),
                    joinedload(Company.section), joinedload(Company.created_by),
                    joinedload(Company.updated_by))

    def get(self, company):
        from ..journey_forms import ConsentForm, WithdrawConsentForm
        from ..journeys.timeline import timeline_for
        from .interventions import quick_form
        contacts = db.session.scalars(contacts_visible_to(current_user, company)).all()
        # A long journey opens on its latest steps; the rest is one click away.
        whole = request.args.get("timeline") == "all"
        timeline = timeline_for(company, current_user,
                                latest=None if whole else TIMELINE_WINDOW)
        shown = timeline.items
        return render_template("companies/detail.html", company=company, contacts=contacts,
                               may_edit=may(current_user, EDIT, company), timeline=timeline,
                               timeline_items=shown, timeline_whole=whole,
                               consent=timeline.consent, quick=quick_form(),
                               consent_form=ConsentForm(formdata=None),
                               withdraw_form=WithdrawConsentForm(formdata=None))


class CompanyEdit(RecordView):
    model = Company
    actions = {"GET": EDIT, "HEAD": EDIT, "POST": EDIT}

    def get(self, company):
        form = CompanyForm(obj=company)
        form.municipality_id.choices = municipality_choices()
        form.municipality_id.data = str(company.municipality_id or "")
        form.trade_names.data = company.trade_names
        form.version.data = company.version
        return render_template("companies/form.html", form=form, company=company)

    def post(self, company):
        form = CompanyForm()
        form.municipality_id.choices = municipality_choices()
        if not form.validate():
            return render_template("companies/form.html", form=form, company=company), 422
        try:
            version = int(form.version.data or 0) or None
        except ValueError:
            version = None
        try:
            update_company(company, _form_data(form), by=current_user, version=version)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
            return render_template("companies/form.html", form=form, company=company), 422
        except DuplicateKvk as exc:
            db.session.rollback()
            form.kvk.errors = list(form.kvk.errors) + [message(exc)]
            return render_template("companies/form.html", form=form, company=company,
                                   duplicate=exc.existing), 422
        except (StaleEdit, StaleDataError):
            db.session.rollback()
            current = db.session.get(Company, company.id)
            form.version.data = current.version
            return render_template("companies/form.html", form=form, company=current,
                                   conflict=_changed_fields(form, current)), 409
        flash(_("Changes saved."), "success")
        return redirect(url_for("companies.detail", id=company.id))


def _changed_fields(form: CompanyForm, current: Company) -> list[tuple[str, str, str]]:
    """(label, the other person's saved value, your value) for every field that differs."""
    rows = []
    for name in COMPANY_FIELDS:
        saved = getattr(current, name)
        mine = form[name].data
        norm = (lambda v: "" if v in (None, False) else str(v).strip())
        if norm(saved) != norm(mine):
            if name == "municipality_id":
                saved = current.municipality.name if current.municipality else ""
                mine = dict(form.municipality_id.choices).get(str(mine or ""), "")
            rows.append((str(form[name].label.text), norm(saved), norm(mine)))
    return rows


class CompanySuggestions(RecordView):
    """The company's suggested next doors: a fragment the company page loads after itself,
    or a page of its own (without JavaScript)."""

    model = Company

    def get(self, company):
        from .referrals import referral_suggestions
        context = {"company": company, "suggestions": referral_suggestions(company, limit=5),
                   "may_edit": may(current_user, EDIT, company)}
        if request.args.get("fragment"):
            return render_template("companies/_suggestions.html", **context)
        return render_template("companies/suggestions.html", **context)


bp.add_url_rule("/companies/<int:id>", view_func=CompanyDetail.as_view("detail"))
bp.add_url_rule("/companies/<int:id>/suggestions",
                view_func=CompanySuggestions.as_view("suggestions"))
bp.add_url_rule("/companies/<int:id>/edit", view_func=CompanyEdit.as_view("edit"))


@bp.route("/companies/kvk/<kvk>")
def by_kvk(kvk):
    if not (len(kvk) == 8 and is_digits(kvk)):
        abort(404)
    company = db.session.scalars(
        companies_visible_to(current_user).where(Company.kvk == kvk)).first()
    if company is None:
        return redirect(url_for("companies.create", kvk=kvk))
    return redirect(url_for("companies.detail", id=company.id))
