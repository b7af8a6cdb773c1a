"""Coordinator views of journeys: the journey list (and its CSV), saved views, the klantreis PDF
of one company and the EU-shaped EDIH export."""
import csv
import io
from datetime import date

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..forms import FlaskForm
from ..journeys import journey_list as jl
from ..journeys.errors import N_, NotAllowed, ValidationFailed
from ..journeys.saved_views import delete_view, rename_view, save_view, views_of
from ..models import Company, SavedView
from ..models.saved_view import MAX_NAME
from .base import RecordView, apply_errors, int_arg
from .labels import label

bp = Blueprint("journeys", __name__)
PER_PAGE = 50
#: Where each kind of saved view opens: an endpoint, or a path when that area is absent.
VIEW_PAGES = {"journeys": ("journeys.index", "/journeys"),
              "dashboard": ("monitor.index", "/monitor")}


class SaveViewForm(FlaskForm):
    name = StringField(_l("Name of the view"), validators=[DataRequired(), Length(max=MAX_NAME)])
    kind = HiddenField()
    query = HiddenField()


class RenameForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=MAX_NAME)])


@bp.app_context_processor
def _saved_views_helper():
    def my_saved_views(kind):
        if not current_user.is_authenticated:
            return []
        return db.session.scalars(views_of(current_user, kind)).all()
    return {"my_saved_views": my_saved_views}


def _listing():
    scope = jl.scope_for(current_user)
    opts = jl.options(db.session, scope)
    filters, problems = jl.parse_filters(request.args, opts)
    return scope, opts, filters, problems


@bp.route("/journeys")
def index():
    scope, opts, filters, problems = _listing()
    page = int_arg("page", maximum=100_000)
    ids, total = jl.page(db.session, scope, filters, offset=(page - 1) * PER_PAGE,
                         limit=PER_PAGE + 1)
    result = Page(page, jl.rows(db.session, scope, ids[:PER_PAGE]), len(ids) > PER_PAGE, total)
    return render_template("journeys/list.html", result=result, filters=filters,
                           args=filters.args(), scope=scope, problems=problems,
                           count_limit=jl.count_limit(scope),
                           sector_choices=[(k, f"{k} – {n}") for k, n in opts["sectors"]],
                           **opts)


class Page:
    def __init__(self, page, items, has_next, total):
        self.page, self.items, self.has_next, self.total = page, items, has_next, total


CSV_HEADER = (N_("KVK number"), N_("Name"), N_("Municipality"), N_("Province"), N_("Sector"),
              N_("Size class"), N_("Phase"), N_("Digital maturity"),
              N_("Number of organisations"), N_("Organisations visited"), N_("Last step date"),
              N_("Last step"), N_("Last step by"), N_("Open referrals"),
              N_("Consent to share"))


def step_text(step) -> str:
    if step is None:
        return ""
    if step.type == "intervention":
        return label("kind", step.kind)
    return _("referral %(from)s → %(to)s: %(status)s", **{
        "from": step.from_organisation, "to": step.to_organisation,
        "status": label("status", step.status)})


@bp.route("/journeys.csv")
def export_csv():
    """The filtered list, every row (UTF-8 with BOM, semicolons: opens in Dutch Excel)."""
    scope, _opts, filters, _problems = _listing()
    ids = jl.company_ids(db.session, scope, filters)

    def generate():
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([_(h) for h in CSV_HEADER])
        yield "\ufeff" + out.getvalue()
        for start in range(0, len(ids), 500):
            out.seek(0)
            out.truncate()
            for r in jl.rows(db.session, scope, ids[start:start + 500]):
                last = r.last
                writer.writerow([
                    r.kvk or "", r.name, r.municipality or "", r.province or "", r.sector or "",
                    r.size_class or "", r.phase or "", r.maturity or "", len(r.organisations),
                    ", ".join(r.organisations),
                    (last.moment.date().isoformat() if last else ""), step_text(last),
                    (last.organisation + (f" ({last.actor})" if last.actor else "")
                     if last else ""), r.open_referrals, _("yes") if r.has_consent else _("no")])
            yield out.getvalue()

    name = f"klantreizen-{date.today().isoformat()}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- saved views --------------------------------------------------------------------------------

def view_url(view: SavedView) -> str:
    endpoint, fallback = VIEW_PAGES[view.kind]
    try:
        base = url_for(endpoint)
    except BuildError:
        base = fallback
    return f"{base}?{view.query}" if view.query else base


@bp.route("/saved-views")
def saved_views():
    return _render_saved_views()


def _render_saved_views(form=None, rename=None, status=200):
    views = db.session.scalars(views_of(current_user)).all()
    return render_template("saved_views/index.html", views=views, form=form,
                           rename=rename or {}, view_url=view_url,
                           rename_form=RenameForm(formdata=None)), status


@bp.route("/saved-views", methods=["POST"])
def save():
    form = SaveViewForm()
    if form.validate():
        try:
            view = save_view(form.kind.data, form.name.data, form.query.data or "",
                             by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            rest = apply_errors(form, exc)
            if rest:
                form.name.errors = list(form.name.errors) + rest
        else:
            db.session.commit()
            flash(_("View “%(name)s” saved.", name=view.name), "success")
            return redirect(view_url(view))
    return _render_saved_views(form=form, status=422)


class SavedViewRecord(RecordView):
    model = SavedView


class OpenView(SavedViewRecord):
    def get(self, view):
        return redirect(view_url(view))


class RenameView(SavedViewRecord):
    actions = {"POST": "edit"}

    def post(self, view):
        form = RenameForm()
        if form.validate():
            try:
                rename_view(view, form.name.data, by=current_user)
            except ValidationFailed as exc:
                db.session.rollback()
                apply_errors(form, exc)
            else:
                db.session.commit()
                flash(_("View renamed to “%(name)s”.", name=view.name), "success")
                return redirect(url_for("journeys.saved_views"))
        return _render_saved_views(rename={view.id: form}, status=422)


class DeleteView(SavedViewRecord):
    actions = {"POST": "delete"}

    def post(self, view):
        if not FlaskForm().validate():
            flash(_("The form had expired. Please try again."), "warning")
            return redirect(url_for("journeys.saved_views"))
        name = view.name
        try:
            delete_view(view, by=current_user)
        except NotAllowed:
            db.session.rollback()
            abort(403)
        db.session.commit()
        flash(_("View “%(name)s” deleted.", name=name), "success")
        return redirect(url_for("journeys.saved_views"))


bp.add_url_rule("/saved-views/<int:id>", view_func=OpenView.as_view("open_view"))
bp.add_url_rule("/saved-views/<int:id>/rename", view_func=RenameView.as_view("rename_view"),
                methods=["POST"])
bp.add_url_rule("/saved-views/<int:id>/delete", view_func=DeleteView.as_view("delete_view"),
                methods=["POST"])


# --- the klantreis PDF --------------------------------------------------------------------------

class KlantreisPdf(RecordView):
    model = Company

    def get(self, company):
        from ..reports.klantreis import klantreis_pdf, pdf_filename
        pdf = klantreis_pdf(company, current_user, session=db.session)
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{pdf_filename(company)}"'})


bp.add_url_rule("/companies/<int:id>/klantreis.pdf",
                view_func=KlantreisPdf.as_view("klantreis_pdf"))


# --- the EU export ------------------------------------------------------------------------------

def _eu_request():
    """The report's scope and period from the query; problems are reported, never a 500."""
    from ..journeys import eu_report as eu
    problems = []
    today = date.today()
    starts_on, ends_on = date(today.year, 1, 1), today
    values = {}
    for key, default in (("from", starts_on), ("to", ends_on)):
        raw = (request.args.get(key) or "").strip()[:20]
        try:
            values[key] = date.fromisoformat(raw) if raw else default
        except ValueError:
            problems.append(_("“%(value)s” is not a date (YYYY-MM-DD); %(default)s is used.",
                              value=raw, default=default.isoformat()))
            values[key] = default
    if values["from"] > values["to"]:
        problems.append(_("The period ends before it starts; the dates were swapped."))
        values["from"], values["to"] = values["to"], values["from"]
    scope = eu.scope_for(current_user, request.args.get("scope"))
    return scope, values["from"], values["to"], problems


@bp.route("/journeys/eu-report")
def eu_report():
    from ..journeys import eu_report as eu
    scope, starts_on, ends_on, problems = _eu_request()
    report = eu.build(db.session, scope, starts_on, ends_on)
    args = {"from": starts_on.isoformat(), "to": ends_on.isoformat(), "scope": scope.kind}
    return render_template("journeys/eu_report.html", report=report, problems=problems,
                           tables=eu.tables(report, _), args=args,
                           scopes=eu.scopes_for(current_user))


def _eu_download(fmt: str):
    from ..journeys import eu_report as eu
    scope, starts_on, ends_on, _problems = _eu_request()
    report = eu.build(db.session, scope, starts_on, ends_on)
    name = f"edih-rapportage-{starts_on.isoformat()}-{ends_on.isoformat()}"
    if fmt == "csv":
        return Response(eu.to_csv(report, _), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(eu.to_xlsx(report, _), mimetype="application/vnd.openxmlformats-"
                    "officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@bp.route("/journeys/eu-report.csv")
def eu_report_csv():
    return _eu_download("csv")


@bp.route("/journeys/eu-report.xlsx")
def eu_report_xlsx():
    return _eu_download("xlsx")
