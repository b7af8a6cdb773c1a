"""Showing an import's outcome: error lines, the per-row error report CSV, a summary."""
import csv
import io

from flask_babel import gettext, ngettext

from .validate import RowError


def error_text(error: RowError) -> str:
    """The error's message in the current language."""
    return gettext(error.message, **error.params) if error.params else gettext(error.message)


def error_lines(errors: list[RowError]) -> list[str]:
    """``Row 5, column "kvk" ("123"): A KVK number is exactly 8 digits…``"""
    lines = []
    for e in errors:
        where = (gettext('Row %(row)d, column "%(column)s"', row=e.row, column=e.column)
                 if e.column else gettext("Row %(row)d", row=e.row))
        value = gettext(' (value "%(value)s")', value=e.value[:80]) if e.value else ""
        lines.append(f"{where}{value}: {error_text(e)}")
    return lines


def error_report_csv(errors: list[RowError]) -> str:
    """The per-row error report: row, column, value, message; semicolon-separated with a BOM
    so Excel (Dutch settings) opens it in columns."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([gettext("Row"), gettext("Column"), gettext("Value"), gettext("Problem")])
    for e in errors:
        value = e.value
        if value[:1] in ("=", "+", "-", "@"):  # never a formula when opened in a spreadsheet
            value = "'" + value
        writer.writerow([e.row, e.column, value, error_text(e)])
    return "\ufeff" + out.getvalue()


def summary_line(result) -> str:
    parts = [ngettext("%(num)d row read", "%(num)d rows read", result.total),
             ngettext("%(num)d created", "%(num)d created", result.created),
             ngettext("%(num)d updated", "%(num)d updated", result.updated),
             ngettext("%(num)d unchanged", "%(num)d unchanged", result.unchanged),
             ngettext("%(num)d invalid", "%(num)d invalid", len(result.invalid))]
    text = ", ".join(parts) + "."
    if result.errors and not result.written and result.mode == "all-or-nothing":
        text += " " + gettext("Nothing was imported (all or nothing).")
    return text
