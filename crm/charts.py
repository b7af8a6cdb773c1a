"""Charts drawn once with ReportLab's graphics: each function returns a ``Drawing`` that
:func:`to_svg` renders as inline SVG for the page (no CDN, no script) and that the PDF reports
draw as vector graphics (a ``Drawing`` is a platypus flowable).

* :func:`bar_chart` — horizontal bars with their values (categories with long names).
* :func:`funnel_chart` — a funnel as centred horizontal bars (sent → accepted → completed).
* :func:`diverging_bar_chart` — bars left or right of zero (changes, e.g. DMA change).
* :func:`to_svg` — SVG markup that satisfies the Content-Security-Policy (no ``style``
  attributes: presentation attributes instead).

Values may be numbers, ``None`` (no value) or "< 5" (a suppressed cell): those draw no bar
and show their text. Every chart on a page sits next to a table with the same numbers; the SVG
is decorative for assistive technology (``aria-hidden``).
"""
from __future__ import annotations

import itertools
from xml.sax.saxutils import escape

from reportlab import rl_config

# ReportLab checks every attribute set on a graphics shape against its declared type, a
# development aid that took a third of drawing the dashboard's charts; the shapes here are
# built from numbers and strings this module checked. The setting is read when
# reportlab.graphics.shapes is first imported (nothing else in the app imports it): so here.
rl_config.shapeChecking = 0
from reportlab.graphics.shapes import Drawing, Line, Rect, String  # noqa: E402
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from .reports.layout import BOLD, FONT, printable

BAR = colors.HexColor("#0b5394")
BAR_ALT = colors.HexColor("#6fa8dc")
NEGATIVE = colors.HexColor("#b45f06")
TEXT = colors.HexColor("#222222")
AXIS = colors.HexColor("#999999")
ROW = 18
FONT_SIZE = 8.5
WIDTH = 480


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _format(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        text = f"{value:.1f}".replace(".", ",") if not value.is_integer() else f"{value:.0f}"
    else:
        text = str(value)
    return f"{text}{unit}" if _number(value) is not None else text


def _fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` points (printable in the PDF font)."""
    text = printable(text)
    if stringWidth(text, FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


def bar_chart(items: list[tuple[str, object]], *, unit: str = "", width: float = WIDTH,
              label_width: float = 170, max_value: float | None = None) -> Drawing:
    """Horizontal bars, one per ``(label, value)``, the value written after each bar."""
    items = list(items) or [("", None)]
    height = ROW * len(items) + 8
    d = Drawing(width, height)
    values = [v for _, v in items if _number(v) is not None]
    top = max_value or max(values + [0]) or 1
    area = width - label_width - 50
    for i, (label, value) in enumerate(items):
        y = height - ROW * (i + 1)
        d.add(String(label_width - 6, y + 5, _fit(str(label), label_width - 10),
                     fontName=FONT, fontSize=FONT_SIZE, fillColor=TEXT, textAnchor="end"))
        n = _number(value)
        length = 0 if n is None else max(area * n / top, 0)
        if length:
            d.add(Rect(label_width, y + 2, length, ROW - 6, fillColor=BAR, strokeColor=None))
        d.add(String(label_width + length + 4, y + 5, _format(value, unit), fontName=FONT,
                     fontSize=FONT_SIZE, fillColor=TEXT))
    d.add(Line(label_width, 4, label_width, height, strokeColor=AXIS, strokeWidth=0.5))
    return d


def funnel_chart(steps: list[tuple[str, object]], *, width: float = WIDTH) -> Drawing:
    """A funnel: one centred bar per step, widest first, with the count and the share of the
    first step written in it (or next to it when the bar is narrow)."""
    steps = list(steps) or [("", None)]
    row = ROW + 10
    height = row * len(steps) + 4
    d = Drawing(width, height)
    first = _number(steps[0][1])
    label_width = 120
    area = width - label_width - 10
    centre = label_width + area / 2
    for i, (label, value) in enumerate(steps):
        y = height - row * (i + 1)
        n = _number(value)
        length = 0 if n is None or not first else area * n / first
        d.add(String(label_width - 6, y + 9, _fit(str(label), label_width - 10), fontName=BOLD,
                     fontSize=FONT_SIZE, fillColor=TEXT, textAnchor="end"))
        if length:
            d.add(Rect(centre - length / 2, y + 2, length, row - 6,
                       fillColor=BAR if i == 0 else BAR_ALT if i % 2 else BAR,
                       strokeColor=None))
        text = _format(value)
        if n is not None and first:
            text += f" ({_format(round(100.0 * n / first, 1), '%')})"
        inside = length > stringWidth(text, BOLD, FONT_SIZE) + 8
        d.add(String(centre if inside else centre + length / 2 + 4, y + 9, text,
                     fontName=BOLD, fontSize=FONT_SIZE,
                     fillColor=colors.white if inside and i % 2 == 0 else TEXT,
                     textAnchor="middle" if inside else "start"))
    return d


def diverging_bar_chart(items: list[tuple[str, object]], *, unit: str = "",
                        width: float = WIDTH, label_width: float = 170) -> Drawing:
    """Bars to the right of zero for positive values, to the left for negative ones."""
    items = list(items) or [("", None)]
    height = ROW * len(items) + 8
    d = Drawing(width, height)
    values = [abs(_number(v)) for _, v in items if _number(v) is not None]
    top = max(values + [0]) or 1
    half = (width - label_width - 60) / 2
    zero = label_width + 30 + half
    for i, (label, value) in enumerate(items):
        y = height - ROW * (i + 1)
        d.add(String(label_width - 6, y + 5, _fit(str(label), label_width - 10),
                     fontName=FONT, fontSize=FONT_SIZE, fillColor=TEXT, textAnchor="end"))
        n = _number(value)
        text = _format(value, unit)
        if n is not None and n > 0:
            text = "+" + text
        length = 0 if n is None else half * abs(n) / top
        if n is not None and n < 0:
            d.add(Rect(zero - length, y + 2, length, ROW - 6, fillColor=NEGATIVE,
                       strokeColor=None))
            d.add(String(zero - length - 4, y + 5, text, fontName=FONT, fontSize=FONT_SIZE,
                         fillColor=TEXT, textAnchor="end"))
        else:
            if length:
                d.add(Rect(zero, y + 2, length, ROW - 6, fillColor=BAR, strokeColor=None))
            d.add(String(zero + length + 4, y + 5, text, fontName=FONT, fontSize=FONT_SIZE,
                         fillColor=TEXT))
    d.add(Line(zero, 4, zero, height, strokeColor=AXIS, strokeWidth=0.5))
    return d


# --- SVG for the page ------------------------------------------------------------------------

_ids = itertools.count(1)
_FAMILY = "Bitstream Vera Sans, DejaVu Sans, Verdana, sans-serif"


def _hex(color) -> str:
    return "none" if color is None else color.hexval().replace("0x", "#")


def _shape(node, height: float) -> str:
    if isinstance(node, Rect):
        return (f'<rect x="{node.x:.1f}" y="{height - node.y - node.height:.1f}" '
                f'width="{node.width:.1f}" height="{node.height:.1f}" '
                f'fill="{_hex(node.fillColor)}"/>')
    if isinstance(node, Line):
        return (f'<line x1="{node.x1:.1f}" y1="{height - node.y1:.1f}" x2="{node.x2:.1f}" '
                f'y2="{height - node.y2:.1f}" stroke="{_hex(node.strokeColor)}" '
                f'stroke-width="{node.strokeWidth}"/>')
    if isinstance(node, String):
        anchor = {"start": "start", "middle": "middle", "end": "end"}.get(node.textAnchor,
                                                                           "start")
        weight = ' font-weight="bold"' if node.fontName == BOLD else ""
        return (f'<text x="{node.x:.1f}" y="{height - node.y:.1f}" font-family="{_FAMILY}" '
                f'font-size="{node.fontSize}" fill="{_hex(node.fillColor)}" '
                f'text-anchor="{anchor}"{weight}>{escape(node.text)}</text>')
    raise TypeError(f"cannot render {type(node).__name__} as SVG")


def to_svg(drawing: Drawing) -> str:
    """The drawing as an inline ``<svg>`` element: scalable (viewBox, no fixed size), hidden
    from assistive technology (the table next to it has the numbers), and without ``style``
    attributes (the page's Content-Security-Policy forbids inline styles).

    The charts of this module are built from rectangles, lines and strings only; those are
    written directly (ReportLab's general SVG renderer is ten times slower and writes
    ``style`` attributes)."""
    width, height = drawing.width, drawing.height
    body = "".join(_shape(node, height) for node in drawing.contents)
    return (f'<svg class="vd-chart" id="vd-chart-{next(_ids)}" aria-hidden="true" '
            f'focusable="false" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" preserveAspectRatio="xMinYMin meet">'
            f"{body}</svg>")
