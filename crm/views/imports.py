"""The import wizard: upload → columns → check → import → result.

The uploaded file stays on the server (instance folder, random id) between the steps; nothing
is written to the database before the user chooses how to import, and then all of it is
written in one transaction (or nothing, after any failure).
"""
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectField

from ..extensions import db
from ..forms import FlaskForm
from ..imports import uploads
from ..imports.columns import KIND_LABELS, KINDS, auto_mapping, check_mapping, fields_of
from ..imports.operation import MODES, MappingProblem, check_table, import_file, may_import
from ..imports.readers import FileProblem, read_table
from ..imports.report import error_report_csv, error_text
from ..imports.validate import RowError
from ..journeys.errors import DomainError
from ..models import Organisation
from .base import message

bp = Blueprint("imports", __name__, url_prefix="/import")

#: Largest upload accepted (bytes); ``IMPORT_MAX_BYTES`` overrides it.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
PREVIEW_ROWS = 5
ERRORS_SHOWN = 100


@bp.record_once
def _limit(state):
    config = state.app.config
    config.setdefault("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if config.get("MAX_CONTENT_LENGTH") is None:
        # Larger request bodies are refused before they are read (413, friendly page below).
        config["MAX_CONTENT_LENGTH"] = config["IMPORT_MAX_BYTES"] + 64 * 1024


def _kind_label(kind: str) -> str:
    label = KIND_LABELS[kind]  # a msgid marked in crm/imports/columns.py
    return _(label)


def _max_mb() -> int:
    return current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """The upload form again, saying how large a file may be (Werkzeug refuses a larger
    request before reading it; the view refuses a larger file)."""
    text = _("The file is too large: at most %(mb)d MB can be uploaded. Split it into smaller "
             "files, or import it on the command line (flask crm import).", mb=_max_mb())
    if not current_user.is_authenticated:
        from ..security import error_page
        return error_page(413, text)
    form = UploadForm(formdata=None)
    _choices(form)
    form.file.errors = [text]
    return render_template("imports/upload.html", form=form, max_mb=_max_mb()), 413


class UploadForm(FlaskForm):
    kind = SelectField(_l("What does the file contain?"), choices=[])
    organisation = SelectField(_l("On behalf of organisation"), choices=[], coerce=int,
                               validate_choice=False,  # the policy decides (403)
                               description=_l("Contact persons, interventions and DMA results "
                                              "are recorded for this organisation."))
    file = FileField(_l("File (CSV or Excel .xlsx)"))


def _choices(form: UploadForm) -> None:
    form.kind.choices = [(k, _kind_label(k)) for k in KINDS]
    if current_user.is_admin:
        form.organisation.choices = [(o.id, o.name) for o in db.session.scalars(
            select(Organisation).where(Organisation.active).order_by(Organisation.name))]
    else:
        org = current_user.organisation
        form.organisation.choices = [(org.id, org.name)]


def _organisation(organisation_id) -> Organisation:
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None or not may_import(current_user, org):
        abort(403)
    return org


@bp.route("/", methods=["GET", "POST"])
def upload():
    if not may_import(current_user, current_user.organisation):
        abort(403)
    form = UploadForm()
    _choices(form)
    if request.method == "GET":
        form.kind.data = request.args.get("kind") if request.args.get("kind") in KINDS \
            else "companies"
        form.organisation.data = current_user.organisation_id
        return render_template("imports/upload.html", form=form, max_mb=_max_mb())
    if form.validate():
        org = _organisation(form.organisation.data or current_user.organisation_id)
        file = form.file.data
        data = file.read(current_app.config["IMPORT_MAX_BYTES"] + 1) if file else b""
        if not file or not getattr(file, "filename", ""):
            form.file.errors = [_("Choose a file to import.")]
        elif len(data) > current_app.config["IMPORT_MAX_BYTES"]:
            raise RequestEntityTooLarge()
        else:
            try:
                table = read_table(data, file.filename)
            except FileProblem as problem:
                form.file.errors = [message(problem)]
            else:
                if not table.rows:
                    form.file.errors = [_("The file has a header row but no data rows.")]
                else:
                    saved = uploads.create(current_app.instance_path, data, {
                        "user_id": current_user.id, "kind": form.kind.data,
                        "organisation_id": org.id, "filename": file.filename[:200]})
                    return redirect(url_for("imports.columns", token=saved.token))
    return render_template("imports/upload.html", form=form, max_mb=_max_mb()), 422


def _finished(meta) -> bool:
    """Imported (or nothing to import): the wizard's steps lead to the result page."""
    result = meta.get("result")
    return result is not None and (result["written"] or not result["errors"])


def _load(token):
    """The upload, its choices, and (table, organisation) — None once it was imported."""
    saved = uploads.find(current_app.instance_path, token, current_user.id)
    if saved is None:
        abort(404)
    meta = saved.meta()
    if _finished(meta):
        return saved, meta, None
    org = _organisation(meta["organisation_id"])
    try:
        table = read_table(saved.data(), meta["filename"])
    except (OSError, FileProblem):
        abort(404)
    return saved, meta, (table, org)


@bp.route("/<token>/columns", methods=["GET", "POST"])
def columns(token):
    saved, meta, loaded = _load(token)
    if loaded is None:
        return redirect(url_for("imports.done", token=token))
    table, org = loaded
    kind = meta["kind"]
    mapping = meta.get("mapping") or auto_mapping(kind, table.headers)
    problems = []
    status = 200
    if request.method == "POST":
        known = {f.key for f in fields_of(kind)}
        mapping = [request.form.get(f"column-{i}") or None for i in range(len(table.headers))]
        mapping = [m if m in known else None for m in mapping]
        problems = [_(msg, **{k: _(v) if k == "field" else v for k, v in params.items()})
                    for msg, params in check_mapping(kind, mapping)]
        if not problems:
            saved.update(mapping=mapping)
            return redirect(url_for("imports.check", token=token))
        status = 422
    return render_template("imports/columns.html", token=token, meta=meta, table=table,
                           fields=fields_of(kind), mapping=mapping, problems=problems,
                           preview=table.rows[:PREVIEW_ROWS], kind_label=_kind_label(kind),
                           org=org), status


def _checked(meta, table, org):
    try:
        return check_table(meta["kind"], table, meta.get("mapping"), session=db.session,
                           organisation_id=org.id, by_id=current_user.id)
    finally:
        db.session.rollback()  # a check writes nothing


def _error_rows(errors: list[RowError]) -> list[dict]:
    return [{"row": e.row, "column": e.column, "value": e.value, "text": error_text(e)}
            for e in errors]


@bp.route("/<token>/check")
def check(token):
    saved, meta, loaded = _load(token)
    if loaded is None:
        return redirect(url_for("imports.done", token=token))
    table, org = loaded
    try:
        checked, plan = _checked(meta, table, org)
    except MappingProblem:
        return redirect(url_for("imports.columns", token=token))
    return render_template("imports/check.html", token=token, meta=meta, org=org,
                           total=checked.total, invalid=len(checked.invalid),
                           created=len(plan.inserts), updated=plan.updated,
                           unchanged=plan.unchanged,
                           errors=_error_rows(checked.errors[:ERRORS_SHOWN]),
                           error_count=len(checked.errors), kind_label=_kind_label(meta["kind"]))


@bp.route("/<token>/errors.csv")
def errors(token):
    saved, meta, loaded = _load(token)
    if loaded is None:
        found = [RowError(*e) for e in meta["result"]["errors"]]
    else:
        table, org = loaded
        try:
            found = _checked(meta, table, org)[0].errors
        except MappingProblem:
            return redirect(url_for("imports.columns", token=token))
    name = (meta.get("filename") or "import").rsplit(".", 1)[0]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60] or "import"
    return Response(error_report_csv(found), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{safe}-fouten.csv"'})


@bp.route("/<token>/run", methods=["POST"])
def run(token):
    saved, meta, loaded = _load(token)
    if loaded is None:  # imported already (a second click, the back button)
        return redirect(url_for("imports.done", token=token))
    table, org = loaded
    mode = request.form.get("mode")
    if mode not in MODES:
        flash(_("Choose how to import: all valid rows, or all or nothing."), "error")
        return redirect(url_for("imports.check", token=token))
    if not saved.claim():  # the same import is running already (a double click)
        return redirect(url_for("imports.done", token=token))
    try:
        if _finished(saved.meta()):  # it finished between loading and claiming
            return redirect(url_for("imports.done", token=token))
        return _run(saved, meta, table, org, mode)
    finally:
        saved.release()


def _run(saved, meta, table, org, mode):
    token = saved.token
    try:
        result = import_file(meta["kind"], table, by=current_user, organisation=org, mode=mode,
                             mapping=meta.get("mapping"), filename=meta["filename"],
                             session=db.session)
    except (MappingProblem, FileProblem):
        db.session.rollback()
        return redirect(url_for("imports.columns", token=token))
    except DomainError as problem:
        db.session.rollback()
        flash(message(problem), "error")
        return redirect(url_for("imports.check", token=token))
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Import %s failed", token)
        flash(_("The import failed and nothing was written. Please try again; if it keeps "
                "failing, send the file to your administrator."), "error")
        return redirect(url_for("imports.check", token=token))
    db.session.commit()
    saved.update(result={
        "mode": mode, "total": result.total, "created": result.created,
        "updated": result.updated, "unchanged": result.unchanged,
        "invalid": len(result.invalid), "written": result.written,
        "errors": [[e.row, e.column, e.value, e.message, e.params] for e in result.errors]})
    if result.written or not result.errors:
        saved.drop_file()  # imported: the upload is no longer needed
    return redirect(url_for("imports.done", token=token))


@bp.route("/<token>/done")
def done(token):
    saved = uploads.find(current_app.instance_path, token, current_user.id)
    if saved is None:
        abort(404)
    meta = saved.meta()
    if meta.get("result") is None:
        return redirect(url_for("imports.check", token=token))
    result = meta["result"]
    errors = [RowError(*e) for e in result["errors"][:ERRORS_SHOWN]]
    return render_template("imports/done.html", token=token, meta=meta, result=result,
                           errors=_error_rows(errors), error_count=len(result["errors"]),
                           kind_label=_kind_label(meta["kind"]))


@bp.app_context_processor
def _import_link():
    """``can_import``: whether the menu shows the import wizard (asked of the policy)."""
    def can_import() -> bool:
        return bool(current_user.is_authenticated
                    and may_import(current_user, current_user.organisation))
    return {"can_import": can_import}
