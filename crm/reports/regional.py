"""The regional monitoring report: the dashboard's figures for a period, with charts (vector
graphics, drawn by the same functions as the page's SVG) and tables, ready to send to a province
or a funder. Title page facts, Dutch dates, headers and "Pagina x van y" come from
:mod:`crm.reports.layout`."""
from flask_babel import gettext as _
from reportlab.platypus import KeepTogether, PageBreak, Spacer

from ..journeys.monitor import dashboard_figures
from ..journeys.monitor.suppress import SUPPRESSED
from ..models import Organisation
from . import layout as L
from .monitor_tables import cell_text, monitor_tables

SECTIONS = (("reach", "Reach"), ("referrals", "Referrals"), ("journeys", "Journeys"),
            ("impact", "Impact"))
#: Most rows of one table in the report (the CSV downloads have them all).
MAX_ROWS = 60


def _filters(session, scope) -> str:
    parts = []
    labels = {"sector": _("sector"), "size_class": _("size class"), "phase": _("phase"),
              "maturity": _("maturity"), "archetype": _("kind of contact")}
    for key, text in labels.items():
        if getattr(scope, key):
            parts.append(f"{text}: {getattr(scope, key)}")
    if scope.partner_id:
        org = session.get(Organisation, scope.partner_id)
        parts.append(f"{_('organisation')}: {org.name if org else scope.partner_id}")
    return ", ".join(parts) or _("none")


def _table_flowables(t) -> list:
    story: list = [L.heading(t.title, 2)]
    if t.note:
        story.append(L.small(t.note))
    if not t.rows:
        story.append(L.paragraph(_("Nothing to show for this period and these filters.")))
        return story
    if t.chart is not None:
        story.append(t.chart(width=L.CONTENT_WIDTH))
        story.append(Spacer(1, 3 * L.mm))
    rows = t.rows[:MAX_ROWS]
    numeric = {i for i, c in enumerate(t.columns) if c.numeric}
    body = [[c.label for c in t.columns]]
    body += [[cell_text(c) if not isinstance(c, (int,)) or isinstance(c, bool) else c
              for c in row] for row in rows]
    story.append(L.table(body, numeric_columns=numeric))
    if len(t.rows) > MAX_ROWS:
        story.append(L.small(_("The first %(shown)s of %(total)s rows; the CSV download of the "
                               "dashboard has them all.", shown=MAX_ROWS, total=len(t.rows))))
    return story


def regional_report(session, scope, viewer, *, figures: dict | None = None) -> bytes:
    """The report as PDF bytes (in the viewer's language)."""
    figures = figures or dashboard_figures(session, scope, viewer)
    tables = monitor_tables(figures)
    f = figures
    survey = f["impact"]["survey"]
    period = f"{L.long_date(scope.date_from)} – {L.long_date(scope.date_to)}"
    facts = [
        (_("Area"), scope.label),
        (_("Period"), period),
        (_("Organisations"), _("all organisations") if scope.cross_organisation
         else _("the own work of this organisation")),
        (_("Filters"), _filters(session, scope)),
        (_("Made by"), f"{viewer.name} ({viewer.organisation.name})"),
    ]
    story = L.title_block(_("Regional monitoring report"), subtitle=f"{scope.label} · {period}",
                          facts=facts)
    key = [[_("Figure"), _("Value")],
           [_("Companies reached (distinct)"), f["companies_reached"]],
           [_("Contacts"), f["contacts"]],
           [_("Referrals sent"), f["funnel"]["sent"]],
           [_("Overdue referrals"), f["referrals"]["overdue"]],
           [_("Closed without follow-up (%)"),
            cell_text(f["funnel"]["closed_without_follow_up_share"])],
           [_("Median days to accept"), cell_text(f["funnel"]["median_days_to_accept"])],
           [_("Median days to complete"), cell_text(f["funnel"]["median_days_to_complete"])],
           [_("Survey response rate (%)"), cell_text(survey["response_rate"])],
           [_("Companies whose last step was a referral that went nowhere"),
            f["journeys"]["stalled"]["companies"]]]
    story += [L.heading(_("Key figures")), L.table(key, col_widths=[120 * L.mm, None],
                                                   numeric_columns={1})]
    if scope.cross_organisation:
        story.append(L.small(_("Counts cover every company in this area, whether or not it "
                               "agreed to share its journey. Cells that count 1 to 4 companies "
                               "show “%(mark)s”, so no single company can be recognised.",
                               mark=SUPPRESSED)))
    for section, heading in SECTIONS:
        story += [PageBreak(), L.heading(_(heading))]
        for t in tables:
            if t.section == section:
                parts = _table_flowables(t)
                story.append(KeepTogether(parts[:4]))
                story += parts[4:]
    return L.build_pdf(story, title=_("Regional monitoring report"), subject=scope.label)
