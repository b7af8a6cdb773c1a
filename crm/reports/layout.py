"""Shared page layout of every PDF report: A4 pages with a header (report title left, "Volgende
Deur" right), a footer (generation date left, "Pagina x van y" right), Dutch dates, the font and
the paragraph and table styles.

Usage (in an app context, so the texts follow the user's language)::

    from crm.reports import layout as L

    facts = [(_("KVK number"), company.kvk), (_("Date"), L.long_date(today))]
    story = [*L.title_block(_("Klantreis"), subtitle=company.name, facts=facts),
             L.heading(_("Timeline")),
             L.table([[_("Date"), _("What")], *rows], col_widths=[30 * L.mm, None])]
    pdf_bytes = L.build_pdf(story, title=_("Klantreis"), subject=company.name)

* :func:`build_pdf` — lays out a story (a list of flowables) and returns the PDF bytes; the
  header shows ``title`` (and ``subject``) on every page, the footer "Pagina x van y".
* :func:`title_block` — the report title, a subtitle and a two-column list of facts.
* :func:`heading`, :func:`paragraph`, :func:`small` — paragraphs in the report styles (text is
  escaped; pass ``markup=True`` to use ReportLab's mini-markup yourself).
* :func:`table` — a table with a repeated, bold header row, zebra rows and right-aligned numbers.
* :func:`long_date`, :func:`short_date`, :func:`moment` — dates in the user's language ("3 maart
  2026", "3 mrt 2026", "3 maart 2026 14:05" in Amsterdam time).
* :func:`printable` — replaces characters the font lacks (``→`` → ``»``); the helpers above
  apply it already.
* :data:`FONT`, :data:`BOLD` — the embedded fonts (Bitstream Vera, shipped with ReportLab, so
  every accented letter prints and the text can be extracted).
* :data:`CONTENT_WIDTH` — usable width of a page, for sizing tables and drawings.
"""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from babel.dates import format_date
from flask import has_app_context
from flask_babel import get_locale, gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from ..journeys.clock import AMSTERDAM

__all__ = ["build_pdf", "title_block", "heading", "paragraph", "small", "table", "long_date",
           "short_date", "moment", "printable", "FONT", "BOLD", "CONTENT_WIDTH", "PAGE_SIZE",
           "MARGIN", "mm",
           "ACCENT", "MUTED", "KeepTogether", "Spacer"]

PAGE_SIZE = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
ACCENT = colors.HexColor("#0b5394")
MUTED = colors.HexColor("#555555")
ZEBRA = colors.HexColor("#f1f4f8")
RULE = colors.HexColor("#b7c3d0")

FONT, BOLD = "VD-Vera", "VD-Vera-Bold"
_FONTS = Path(reportlab.__file__).parent / "fonts"


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(_FONTS / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(_FONTS / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


_register_fonts()

#: Stand-ins for characters the font has no glyph for.
_STAND_INS = {"→": "»", "←": "«", "≤": "<=", "≥": ">=", "✓": "x", "•": "·"}


def printable(text: str) -> str:
    """``text`` with every character the report font cannot print replaced by a stand-in
    (``→`` becomes ``»``), so no black boxes appear in the PDF."""
    glyphs = pdfmetrics.getFont(FONT).face.charToGlyph
    if all(ord(ch) in glyphs or ch in "\n\t" for ch in text):
        return text
    return "".join(ch if ord(ch) in glyphs or ch in "\n\t" else _STAND_INS.get(ch, "?")
                   for ch in text)

STYLES = {
    "title": ParagraphStyle("vd-title", fontName=BOLD, fontSize=20, leading=24,
                            textColor=ACCENT, spaceAfter=4 * mm),
    "subtitle": ParagraphStyle("vd-subtitle", fontName=FONT, fontSize=13, leading=17,
                               spaceAfter=6 * mm),
    "h1": ParagraphStyle("vd-h1", fontName=BOLD, fontSize=14, leading=18, textColor=ACCENT,
                         spaceBefore=6 * mm, spaceAfter=2.5 * mm, keepWithNext=True),
    "h2": ParagraphStyle("vd-h2", fontName=BOLD, fontSize=11.5, leading=15,
                         spaceBefore=4 * mm, spaceAfter=2 * mm, keepWithNext=True),
    "body": ParagraphStyle("vd-body", fontName=FONT, fontSize=9.5, leading=13, spaceAfter=2 * mm,
                           alignment=TA_LEFT),
    "small": ParagraphStyle("vd-small", fontName=FONT, fontSize=8, leading=10.5,
                            textColor=MUTED, spaceAfter=1.5 * mm),
    "cell": ParagraphStyle("vd-cell", fontName=FONT, fontSize=8.5, leading=10.5),
    "cell-bold": ParagraphStyle("vd-cell-bold", fontName=BOLD, fontSize=8.5, leading=10.5),
}


# --- dates ----------------------------------------------------------------------------------

def _locale() -> str:
    if has_app_context():
        return str(get_locale() or "nl")
    return "nl"


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(AMSTERDAM).date() if value.tzinfo else value.date()
    return value


def long_date(value: date | datetime | None) -> str:
    """``3 maart 2026`` (English: ``3 March 2026``); ``–`` for none."""
    if value is None:
        return "–"
    return format_date(_as_date(value), "d MMMM y", locale=_locale())


def short_date(value: date | datetime | None) -> str:
    """``3 mrt 2026`` (English: ``3 Mar 2026``); ``–`` for none."""
    if value is None:
        return "–"
    return format_date(_as_date(value), "d MMM y", locale=_locale()).replace(".", "")


def moment(value: datetime | None) -> str:
    """``3 maart 2026 14:05`` in Amsterdam time."""
    if value is None:
        return "–"
    local = value.astimezone(AMSTERDAM) if value.tzinfo else value
    return f"{long_date(local.date())} {local:%H:%M}"


# --- flowables ------------------------------------------------------------------------------

def paragraph(text: str, style: str = "body", *, markup: bool = False) -> Paragraph:
    """A paragraph in one of :data:`STYLES`; ``text`` is escaped unless ``markup``."""
    text = printable(str(text))
    return Paragraph(text if markup else escape(text), STYLES[style])


def heading(text: str, level: int = 1) -> Paragraph:
    """A section heading (level 1 or 2); it stays on the page of what follows."""
    return paragraph(text, "h1" if level == 1 else "h2")


def small(text: str) -> Paragraph:
    return paragraph(text, "small")


def title_block(title: str, *, subtitle: str = "", facts: list[tuple[str, str]] = ()) -> list:
    """The first page's heading: title, subtitle and a list of (label, value) facts."""
    story: list = [paragraph(title, "title")]
    if subtitle:
        story.append(paragraph(subtitle, "subtitle"))
    if facts:
        rows = [[paragraph(k, "cell-bold"), paragraph(v, "cell")] for k, v in facts]
        t = Table(rows, colWidths=[45 * mm, CONTENT_WIDTH - 45 * mm], hAlign="LEFT")
        t.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        story += [t, Spacer(1, 6 * mm)]
    return story


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def table(rows: list[list], *, col_widths: list | None = None, header_rows: int = 1,
          numeric_columns: set[int] | None = None) -> Table:
    """A report table. ``rows[0:header_rows]`` are headers (bold, repeated on every page).

    Cells may be strings, numbers or flowables; strings are wrapped in paragraphs so long texts
    break. Numeric cells (or every cell of ``numeric_columns``) are right-aligned.
    """
    numeric_columns = set(numeric_columns or ())
    body: list[list] = []
    align: list[tuple] = []
    for r, row in enumerate(rows):
        out = []
        for c, cell in enumerate(row):
            header = r < header_rows
            if isinstance(cell, str) or cell is None or _is_number(cell):
                right = not header and (_is_number(cell) or c in numeric_columns)
                text = "" if cell is None else printable(str(cell))
                if right:
                    align.append(("ALIGN", (c, r), (c, r), "RIGHT"))
                    out.append(text)
                else:
                    out.append(paragraph(text, "cell-bold" if header else "cell"))
            else:
                out.append(cell)
        body.append(out)
    t = Table(body, colWidths=col_widths, repeatRows=header_rows, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("FONTNAME", (0, 0), (-1, header_rows - 1), BOLD),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.75, ACCENT),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for r in range(header_rows, len(body)):
        if (r - header_rows) % 2 == 1:
            style.append(("BACKGROUND", (0, r), (-1, r), ZEBRA))
    t.setStyle(TableStyle(style + align))
    return t


# --- the document ---------------------------------------------------------------------------

def _numbered_canvas(texts: dict):
    """A canvas class that knows the page count when it draws the footers ("Pagina x van y")."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, height - MARGIN + 4 * mm, width - MARGIN, height - MARGIN + 4 * mm)
            self.line(MARGIN, MARGIN - 5 * mm, width - MARGIN, MARGIN - 5 * mm)
            self.setFont(BOLD, 8)
            self.setFillColor(ACCENT)
            self.drawString(MARGIN, height - MARGIN + 6 * mm, texts["header"][:110])
            self.setFont(FONT, 8)
            self.setFillColor(MUTED)
            self.drawRightString(width - MARGIN, height - MARGIN + 6 * mm, "Volgende Deur")
            self.drawString(MARGIN, MARGIN - 9 * mm, texts["generated"])
            self.drawRightString(width - MARGIN, MARGIN - 9 * mm,
                                 texts["page"] % {"page": self._pageNumber, "pages": total})
            self.restoreState()

    return NumberedCanvas


def build_pdf(story: list, *, title: str, subject: str = "", author: str = "Volgende Deur",
              generated_at: datetime | None = None) -> bytes:
    """Typeset ``story`` on A4 pages with the shared header and footer; return the PDF bytes.

    ``title`` (and ``subject``, after a dash) head every page and go into the PDF metadata;
    the footer says when it was made and "Pagina x van y". Call inside an app context (the
    language of the texts and dates is the current user's; Dutch without a request).
    """
    from ..models import utcnow
    generated_at = generated_at or utcnow()
    texts = {
        "header": printable(f"{title} – {subject}" if subject else title),
        "generated": _("Made on %(date)s", date=moment(generated_at)),
        # "Pagina %(page)s van %(pages)s"
        "page": _("Page %(page)s of %(pages)s", page="%(page)s", pages="%(pages)s"),
    }
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + 2 * mm, bottomMargin=MARGIN,
                            title=texts["header"], author=author, subject=subject or title,
                            creator="Volgende Deur", lang=_locale())
    doc.build(list(story), canvasmaker=_numbered_canvas(texts))
    return buffer.getvalue()
