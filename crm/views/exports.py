"""Exports: the lists an organisation may see as CSV or Excel, and one company as JSON."""
import csv
import io
import json
import os
import tempfile
from datetime import date, datetime

from flask import Blueprint, Response, abort, render_template, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..journeys.clock import AMSTERDAM, today
from ..journeys.exports import (DATASETS, company_document, dataset, export_rows,
                                record_export)
from ..models import Company
from ..policy import VIEW, may
from ..reference import MAX_ID

bp = Blueprint("exports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows written to the CSV stream per chunk.
CHUNK = 500


def _formatter():
    """A function showing a value as spreadsheet users read it: local times, ja/nee, empty
    for none (the words translated once per export, not once per cell)."""
    yes, no = _("yes"), _("no")

    def cell(value):
        if value is None:
            return ""
        if value is True or value is False:
            return yes if value else no
        if isinstance(value, datetime):
            return value.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return value
    return cell


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _filename(slug: str, ext: str) -> str:
    return f"volgende-deur-{slug}-{today().isoformat()}.{ext}"


def _csv_stream(header: list[str], rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    cell = _formatter()
    for n, row in enumerate(rows, 1):
        writer.writerow([_csv_safe(cell(v)) for v in row])
        if n % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_file(title: str, header: list[str], rows) -> str:
    """Write the rows to a temporary .xlsx, streaming (see :mod:`crm.xlsx`); returns its path."""
    from ..xlsx import write_xlsx
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        cell = _formatter()
        write_xlsx(path, title, header, (tuple(map(cell, row)) for row in rows))
    except BaseException:
        os.unlink(path)
        raise
    return path


def _file_stream(path: str):
    try:
        with open(path, "rb") as f:
            while chunk := f.read(64 * 1024):
                yield chunk
    finally:
        os.unlink(path)


@bp.route("/exports")
def index():
    return render_template("exports/index.html",
                           datasets=[entry[0] for entry in DATASETS.values()])


@bp.route("/exports/<slug>.<any(csv, xlsx):fmt>")
def download(slug, fmt):
    chosen = dataset(slug)
    if chosen is None:
        abort(404)
    record_export(current_user, slug, fmt)
    db.session.commit()
    user = current_user._get_current_object()
    header = [_(c) for c in chosen.columns]
    rows = export_rows(db.session, user, slug)
    disposition = f'attachment; filename="{_filename(slug, fmt)}"'
    if fmt == "csv":
        return Response(stream_with_context(_csv_stream(header, rows)),
                        mimetype="text/csv", headers={"Content-Disposition": disposition,
                                                      "Content-Type": "text/csv; charset=utf-8"})
    path = _xlsx_file(_(chosen.title), header, rows)
    return Response(_file_stream(path), mimetype=XLSX,
                    headers={"Content-Disposition": disposition,
                             "Content-Length": str(os.path.getsize(path))})


@bp.route("/companies/<int:id>/export.json")
def company_json(id):
    company = db.session.get(Company, id) if 0 < id <= MAX_ID else None
    if company is None or not may(current_user, VIEW, company):
        abort(404)
    user = current_user._get_current_object()
    document = company_document(db.session, user, company)
    record_export(user, "company", "json", company_id=company.id)
    db.session.commit()
    name = f"volgende-deur-bedrijf-{company.kvk or company.id}.json"
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype="application/json", headers={"Content-Disposition": f'attachment; filename="{name}"'})
