"""The klantreis of one company as a PDF, for a handover meeting: master data, the open
referrals, the timeline, the referrals with their outcome, survey answers and the movement in
digital maturity (DMA) — all as far as the viewer may see them.

Visibility is the timeline's (:func:`crm.journeys.timeline.timeline_for`): another
organisation's interventions only under the company's consent, referral routes for parties, under
consent and for the province's coordinator, a referral's question, context and outcome only for
its sender and receiver. Survey answers and DMA results follow the intervention rule (the
viewer's own organisation's, or everyone's under consent). Internal notes are never printed: a
handover document leaves the organisation.

Typeset with the shared layout (:mod:`crm.reports.layout`): Dutch dates, a header on every page,
"Pagina x van y", tables that split across pages with their header row repeated.
"""
import re
from contextvars import ContextVar
from datetime import datetime

from babel.dates import get_month_names
from flask_babel import get_locale, get_translations, ngettext
from babel.numbers import format_decimal
from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session, aliased

from ..journeys.timeline import timeline_for
from ..models import Company, DmaAssessment, Organisation, Referral, SurveyResponse, User
from ..models import vocabulary as v
from ..policy import coordinates
from . import layout as L

SIZE_LABELS = {"zzp": "zzp", "micro": "micro", "klein": "small", "middelgroot": "medium-sized",
               "groot": "large"}
PHASE_LABELS = {"starter": "starter", "scale-up": "scale-up", "overig": "other"}
MATURITY_LABELS = {"laag": "low", "middel": "medium", "hoog": "high", "onbekend": "unknown"}


#: Per document: translated msgids, vocabulary labels and the month names of its language.
#: A journey of 300 events asks for the same few texts and labels hundreds of times, and
#: Flask-Babel looks the locale and catalogue up on every call.
_MEMO: ContextVar[dict | None] = ContextVar("klantreis_memo", default=None)


def _memo() -> dict:
    memo = _MEMO.get()
    if memo is None:  # outside klantreis_pdf (a helper called on its own)
        memo = _new_memo()
    return memo


def _new_memo() -> dict:
    locale = str(get_locale() or "nl")
    return {"translations": get_translations(), "texts": {}, "labels": {},
            "months": get_month_names("wide", locale=locale), "dates": {}}


def _(msgid: str, **variables) -> str:
    """Flask-Babel's ``gettext``, memoised per document."""
    memo = _memo()
    text = memo["texts"].get(msgid)
    if text is None:
        text = memo["texts"][msgid] = memo["translations"].ugettext(msgid)
    return text % variables if variables else text


def _label(vocabulary, slug) -> str:
    """A vocabulary label in the current language."""
    if not slug:
        return ""
    labels = _memo()["labels"]
    key = (id(vocabulary), slug)
    text = labels.get(key)
    if text is None:
        text = labels[key] = _(v.label(vocabulary, slug))
    return text


def _date(value) -> str:
    """:func:`crm.reports.layout.long_date` ("3 maart 2026"), from the document's month names
    rather than a Babel pattern per call."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = L._as_date(value)
    memo = _memo()
    text = memo["dates"].get(value)
    if text is None:
        text = memo["dates"][value] = f"{value.day} {memo['months'][value.month]} {value.year}"
    return text


def pdf_filename(company: Company) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", company.sort_name or company.name.lower()).strip("-")
    return f"klantreis-{company.kvk or company.id}-{slug[:40]}.pdf"


def klantreis_pdf(company: Company, viewer: User, *, session: Session) -> bytes:
    """The PDF bytes (call in an app or request context: texts in the current language)."""
    token = _MEMO.set(_new_memo())
    try:
        timeline = timeline_for(company, viewer, session=session)
        story = _master_data(company, viewer, timeline)
        story += _open_referrals(timeline)
        story += _timeline(timeline)
        story += _referrals(session, company, viewer, timeline.has_consent)
        story += _surveys(session, company, viewer, timeline.has_consent)
        story += _dma(session, company, viewer, timeline.has_consent)
        return L.build_pdf(story, title=_("Klantreis"), subject=company.name)
    finally:
        _MEMO.reset(token)


def _master_data(company, viewer, timeline) -> list:
    section = company.section
    place = (f"{company.municipality.name} ({company.province.name})"
             if company.municipality else "–")
    size = _(SIZE_LABELS.get(company.size_class, "unknown"))
    if company.employees is not None:
        size += " (" + ngettext("%(num)d working person", "%(num)d working persons",
                                company.employees) + ")"
    consent = (_("Given %(when)s, recorded by %(org)s: %(basis)s.",
                 when=_date(timeline.consent.given_at), org=timeline.consent.organisation,
                 basis=timeline.consent.basis) if timeline.consent else
               _("No current consent: other organisations do not see this company's journey."))
    facts = [
        (_("KVK number"), company.kvk or "–"),
        (_("Trade names"), ", ".join(company.trade_name_list) or "–"),
        (_("Sector"), f"{section.letter} – {section.name_nl} ({_('SBI')} {company.sbi_code})"
         if section else "–"),
        (_("Size"), size),
        (_("Phase"), _(PHASE_LABELS.get(company.phase, "unknown"))),
        (_("Digital maturity"), _(MATURITY_LABELS.get(company.digital_maturity, "unknown"))),
        (_("Place"), place),
        (_("Website"), company.website or "–"),
        (_("Consent to share the journey"), consent),
        (_("Made for"), f"{viewer.name}, {viewer.organisation.name}"),
    ]
    story = L.title_block(_("Klantreis"), subtitle=company.name, facts=facts)
    if not timeline.has_consent:
        story.append(L.small(_("Without the entrepreneur's consent you see your own "
                               "organisation's contacts and the referrals you are party to.")))
    return story


def _open_referrals(timeline) -> list:
    story = [L.heading(_("Next door: open referrals"))]
    if not timeline.open_referrals:
        return story + [L.paragraph(_("No open referrals."))]
    rows = [[_("Sent"), _("From"), _("To"), _("Status"), _("Question")]]
    for r in timeline.open_referrals:
        status = _label(v.REFERRAL_STATUSES, r.status)
        if r.overdue:
            status += " – " + _("overdue: not accepted by %(date)s",
                                date=_date(r.accept_due_on))
        rows.append([_date(r.created_at), r.from_organisation, r.to_organisation, status,
                     r.question or "–"])
    return story + [L.table(rows, col_widths=[27 * L.mm, 33 * L.mm, 33 * L.mm, 32 * L.mm,
                                              None])]


def _timeline_text(item) -> tuple[str, str]:
    """(what, details) of one timeline entry."""
    if item.type == "intervention":
        details = [item.summary] if item.summary else []
        if item.event:
            details.append(_("Event: %(title)s", title=item.event))
        if item.bottlenecks:
            details.append(_("Bottlenecks: %(list)s", list=", ".join(
                _label(v.BOTTLENECKS, b) for b in item.bottlenecks)))
        if item.topics:
            details.append(_("Topics: %(list)s", list=", ".join(
                _label(v.TOPICS, t) for t in item.topics)))
        if item.actor:
            details.append(_("by %(name)s", name=item.actor))
        return _label(v.INTERVENTION_KINDS, item.kind), "\n".join(details)
    if item.type == "referral":
        what = _("referral %(from)s → %(to)s", **{"from": item.from_organisation,
                                                   "to": item.to_organisation})
        details = [_("Question:") + " " + item.question] if item.question else []
        if item.context:
            details.append(item.context)
        return what, "\n".join(details)
    if item.type == "referral-step":
        what = (_label(v.REFERRAL_ACTIONS, item.kind) + ": "
                + _label(v.REFERRAL_STATUSES, item.status))
        details = [_("referral %(from)s → %(to)s", **{"from": item.from_organisation,
                                                       "to": item.to_organisation})]
        if item.reason:
            details.append(_label(v.REFERRAL_REASONS, item.reason))
        if item.note:
            details.append(item.note)
        return what, "\n".join(details)
    if item.type == "survey":
        about = _label(v.INTERVENTION_KINDS, item.kind) if item.kind else ""
        answered = sum(1 for _key, a in item.answers or () if a)
        details = [_("%(n)d of 10 questions answered", n=answered)]
        if about:
            details.insert(0, about)
        if item.summary:
            details.append(item.summary)
        return _("Survey answered"), "\n".join(details)
    if item.type == "survey-sent":
        return _("Survey link sent"), (_("expired without an answer") if item.kind == "expired"
                                       else _("not answered yet"))
    if item.type == "dma":
        scores = dict(item.scores or ())
        return _("DMA result"), _("average %(score)s", score=_number(scores.get("average")))
    if item.withdrawn:
        return _("consent withdrawn"), ""
    return _("consent to share the journey recorded"), item.summary


def _long(table):
    """A table of many rows: when it splits over pages only the rows that fit are measured
    (ReportLab's LongTable behaviour), instead of all remaining rows on every page."""
    table._longTableOptimize = 1
    return table


def _cell(text: str):
    from xml.sax.saxutils import escape
    return L.paragraph(escape(text).replace("\n", "<br/>"), "cell", markup=True)


CELL_SIZE, CELL_LEADING, PADDING = 8.5, 10.5, 6


class _Wrapper:
    """Breaks cell texts into lines that fit, measuring each distinct word once per document:
    far cheaper than a Paragraph per cell (a journey has hundreds of cells)."""

    def __init__(self, font: str = L.FONT, size: float = CELL_SIZE):
        from reportlab.pdfbase.pdfmetrics import stringWidth
        self.font, self.size, self.measure = font, size, stringWidth
        self.widths: dict[str, float] = {}
        self.space = stringWidth(" ", font, size)

    def width(self, word: str) -> float:
        w = self.widths.get(word)
        if w is None:
            w = self.widths[word] = self.measure(word, self.font, self.size)
        return w

    def __call__(self, text: str, width: float) -> str:
        width -= PADDING
        lines = []
        for part in str(text or "").splitlines() or [""]:
            line, used = [], 0.0
            for word in part.split():
                w = self.width(word)
                while w > width and len(word) > 1:  # a word longer than the column: cut it
                    cut = max(1, int(len(word) * width / w))
                    if line:
                        lines.append(" ".join(line))
                        line, used = [], 0.0
                    lines.append(word[:cut])
                    word = word[cut:]
                    w = self.width(word)
                if line and used + self.space + w > width:
                    lines.append(" ".join(line))
                    line, used = [], 0.0
                used += (self.space if line else 0) + w
                line.append(word)
            lines.append(" ".join(line))
        return "\n".join(lines)


def _text_table(rows: list[list[str]], col_widths: list[float]):
    """A long table of plain text in the layout's table style (header row bold and repeated
    on every page, zebra rows), its cells wrapped by :class:`_Wrapper`. The row heights follow
    from the wrapped lines, so ReportLab need not measure any cell again, however often the
    table splits over pages."""
    from reportlab.platypus import Table
    wrap = _Wrapper()
    body, heights = [], []
    for row in rows:
        cells = [wrap(cell, w) for cell, w in zip(row, col_widths)]
        body.append(cells)
        heights.append(CELL_LEADING * max(c.count("\n") + 1 for c in cells) + TOP + BOTTOM)
    table = Table(body, colWidths=col_widths, rowHeights=heights, repeatRows=1, hAlign="LEFT")
    table.setStyle(_TEXT_TABLE_STYLE)
    return _long(table)


TOP, BOTTOM = 2, 3


def _text_table_style():
    from reportlab.platypus import TableStyle
    return TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), L.FONT), ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
        ("LEADING", (0, 0), (-1, -1), CELL_LEADING), ("FONTNAME", (0, 0), (-1, 0), L.BOLD),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, 0), 0.75, L.ACCENT),
        ("TOPPADDING", (0, 0), (-1, -1), TOP), ("BOTTOMPADDING", (0, 0), (-1, -1), BOTTOM),
        # Zebra rows in one command (not one per row: every split copies them all).
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, L.ZEBRA])])


_TEXT_TABLE_STYLE = _text_table_style()


def _timeline(timeline) -> list:
    story = [L.heading(_("Journey"))]
    if not timeline.items:
        return story + [L.paragraph(_("Nothing logged yet."))]
    rows = [[_("Date"), _("Organisation"), _("What"), _("Details")]]
    for item in timeline.items:
        what, details = _timeline_text(item)
        rows.append([_date(item.occurred_at), item.organisation, what, details])
    widths = [26 * L.mm, 34 * L.mm, 34 * L.mm]
    return story + [_text_table(rows, widths + [L.CONTENT_WIDTH - sum(widths)])]


def _visible(model, viewer, consented: bool):
    """The intervention rule: the viewer's own organisation's records, or all under consent."""
    return true() if consented else model.organisation_id == viewer.organisation_id


def _referrals(session, company, viewer, consented) -> list:
    story = [L.heading(_("Referrals and their outcome"))]
    own = viewer.organisation_id
    sender, receiver = aliased(Organisation), aliased(Organisation)
    stmt = (select(Referral, sender.name, receiver.name)
            .join(sender, sender.id == Referral.from_organisation_id)
            .join(receiver, receiver.id == Referral.to_organisation_id)
            .where(Referral.company_id == company.id).order_by(Referral.created_at))
    if not (consented or coordinates(viewer, company)):
        stmt = stmt.where(or_(Referral.from_organisation_id == own,
                              Referral.to_organisation_id == own))
    found = session.execute(stmt).all()
    if not found:
        return story + [L.paragraph(_("No referrals you may see."))]
    rows = [[_("Sent"), _("From → to"), _("Status"), _("Closed"), _("Outcome or reason")]]
    for referral, from_name, to_name in found:
        full = own in (referral.from_organisation_id, referral.to_organisation_id)
        result = []
        if referral.reason:
            result.append(_label(v.REFERRAL_REASONS, referral.reason))
        if full and referral.reason_text:
            result.append(referral.reason_text)
        if full and referral.outcome:
            result.append(referral.outcome)
        elif referral.status == "completed" and not full:
            result.append(_("(the outcome is visible to sender and receiver only)"))
        rows.append([_date(referral.created_at), f"{from_name} → {to_name}",
                     _label(v.REFERRAL_STATUSES, referral.status),
                     _date(referral.closed_at) if referral.closed_at else "–",
                     "\n".join(result) or "–"])
    widths = [26 * L.mm, 50 * L.mm, 24 * L.mm, 26 * L.mm]
    return story + [_text_table(rows, widths + [L.CONTENT_WIDTH - sum(widths)])]


def _surveys(session, company, viewer, consented) -> list:
    story = [L.heading(_("Survey answers"))]
    stmt = (select(SurveyResponse, Organisation.name)
            .join(Organisation, Organisation.id == SurveyResponse.organisation_id)
            .where(SurveyResponse.company_id == company.id,
                   _visible(SurveyResponse, viewer, consented))
            .order_by(SurveyResponse.answered_at))
    found = session.execute(stmt).all()
    if not found:
        return story + [L.paragraph(_("No survey answers you may see."))]
    scale = dict(v.SURVEY_SCALE)
    for response, org in found:
        about = _label(v.INTERVENTION_KINDS, response.archetype) if response.archetype else ""
        story.append(L.heading(", ".join(x for x in (_date(response.answered_at), org,
                                                      about) if x), 2))
        rows = [[_("To what extent has the activity …"), _("Answer")]]
        for n, (key, question) in enumerate(v.SURVEY_QUESTIONS, 1):
            answer = getattr(response, key)
            rows.append([f"{n}. {_(question)}",
                         f"{answer} – {_(scale[answer])}" if answer else _("not answered")])
        story.append(L.table(rows, col_widths=[None, 50 * L.mm]))
        if response.comment:
            story.append(L.paragraph(_("Comment:") + " " + response.comment))
    return story


def _dma(session, company, viewer, consented) -> list:
    story = [L.heading(_("Digital maturity (DMA)"))]
    found = session.execute(
        select(DmaAssessment, Organisation.name)
        .join(Organisation, Organisation.id == DmaAssessment.organisation_id)
        .where(DmaAssessment.company_id == company.id,
               _visible(DmaAssessment, viewer, consented))
        .order_by(DmaAssessment.assessed_on, DmaAssessment.id)).all()
    if not found:
        return story + [L.paragraph(_("No DMA results you may see."))]
    names = v.DMA_DIMENSION_NAMES
    rows = [[_("Date"), *(_(label) for _slug, label in v.DMA_DIMENSIONS), _("Average")]]
    for a, _org in found:
        rows.append([_date(a.assessed_on), *(getattr(a, d) for d in names),
                     _number(a.average)])
    if len(found) > 1:
        first, last = found[0][0], found[-1][0]
        rows.append([_("Change"), *(_signed(getattr(last, d) - getattr(first, d))
                                    for d in names),
                     _signed(float(last.average) - float(first.average))])
    width = (L.CONTENT_WIDTH - 26 * L.mm) / 7
    story.append(L.table(rows, col_widths=[26 * L.mm] + [width] * 7,
                         numeric_columns=set(range(1, 8))))
    story.append(L.small(_("Scores 0–100 per dimension; the change is the latest result minus "
                           "the first.")))
    return story


def _number(value) -> str:
    if value is None:
        return "–"
    return format_decimal(round(float(value), 1), format="#,##0.#", locale=L._locale())


def _signed(value) -> str:
    value = round(value, 1)
    text = format_decimal(value, format="#,##0.#", locale=L._locale())
    return f"+{text}" if value > 0 else text
