"""The monitor's tables — title, columns and rows in the user's language, and the chart that
goes with each — built from :func:`crm.journeys.monitor.dashboard_figures`. One definition
serves the dashboard (an accessible table next to each chart), the CSV download of every table
and the regional PDF report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask_babel import get_locale, gettext as _

from .. import charts
from ..models import vocabulary as v
from ..reference import sbi_sections

SIZE = {"zzp": "zzp", "micro": "micro", "klein": "small", "middelgroot": "medium-sized",
        "groot": "large"}
MATURITY = {"laag": "low", "middel": "medium", "hoog": "high", "onbekend": "unknown"}
#: Organisations listed on the page per sender/receiver table, most referrals first (in a
#: national network one organisation hears from hundreds; the CSV and PDF have them all).
ORGANISATION_PAGE_ROWS = 25


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = True


@dataclass
class Table:
    """One table of the monitor. ``rows`` are lists of cells (text, numbers, "< 5", None);
    the first cell of each row is its header (``th scope="row"``)."""
    name: str
    title: str
    columns: list[Column]
    rows: list[list]
    chart: Callable | None = None
    #: Rows shown on the page (the CSV and PDF have them all); ``None``: all.
    page_rows: int | None = None
    note: str = ""
    section: str = ""
    extra: dict = field(default_factory=dict)


def _kind(slug) -> str:
    return _(v.label(v.INTERVENTION_KINDS, slug)) if slug else _("unknown")


def _sector(letter) -> str:
    if not letter:
        return _("unknown")
    english = str(get_locale() or "nl") == "en"
    for row in sbi_sections():
        if row["letter"] == letter:
            return f"{letter} {row['name_en'] if english else row['name_nl']}"
    return letter


def _size(slug) -> str:
    return _(SIZE[slug]) if slug in SIZE else _("unknown")


def _maturity(slug) -> str:
    return _(MATURITY[slug]) if slug in MATURITY else _("unknown")


def _state(slug) -> str:
    if slug == "overdue":
        return _("overdue")
    return _(v.label(v.REFERRAL_STATUSES, slug.replace("_", "-")))


def _bars(rows, value_index=1, *, unit="", max_value=None, limit=15):
    def draw(width=charts.WIDTH):
        items = [(r[0], r[value_index]) for r in rows[:limit]]
        return charts.bar_chart(items, unit=unit, width=width, max_value=max_value)
    return draw if rows else None


def _reach_table(name, title, rows, labeller, *, page_rows=None, keyname=None):
    out = [[(r.get("name") if keyname else labeller(r["key"])) or _("unknown"),
            r["companies"], r["contacts"]] for r in rows]
    return Table(name, title, [Column("label", keyname or _("Group"), False),
                               Column("companies", _("Companies")),
                               Column("contacts", _("Contacts"))],
                 out, chart=_bars(out), page_rows=page_rows, section="reach")


def _org_rows(rows):
    return [[r["name"], r["companies"], r["referrals"], r["accepted"], r["completed"],
             r["rejected"], r["failed"], r["overdue"], r["acceptance_rate"],
             r["completion_rate"]] for r in rows]


def _org_columns(first: str):
    return [Column("organisation", first, False), Column("companies", _("Companies")),
            Column("referrals", _("Referrals")), Column("accepted", _("Accepted")),
            Column("completed", _("Completed")), Column("rejected", _("Declined")),
            Column("failed", _("Closed without follow-up")), Column("overdue", _("Overdue")),
            Column("acceptance_rate", _("Accepted (%)")),
            Column("completion_rate", _("Completed (%)"))]


def monitor_tables(figures: dict) -> list[Table]:
    """Every table of the dashboard, in page order."""
    reach = figures["reach"]
    tables = [
        _reach_table("reach_archetype", _("Reach per kind of contact"), reach["archetype"],
                     _kind),
        _reach_table("reach_sector", _("Reach per sector (SBI section)"), reach["sector"],
                     _sector),
        _reach_table("reach_size", _("Reach per size class"), reach["size_class"], _size),
        _reach_table("reach_maturity", _("Reach per digital maturity"), reach["maturity"],
                     _maturity),
        _reach_table("reach_municipality", _("Reach per municipality"),
                     reach["municipality"], None, page_rows=20, keyname=_("Municipality")),
    ]
    tables[0].columns[0].label = _("Kind of contact")
    tables[1].columns[0].label = _("Sector")
    tables[2].columns[0].label = _("Size class")
    tables[3].columns[0].label = _("Maturity")

    f = figures["funnel"]
    funnel_rows = [[_("Sent"), f["sent"]], [_("Accepted"), f["accepted"]],
                   [_("Completed"), f["completed"]],
                   [_("Closed without follow-up"), f["closed_without_follow_up"]]]

    def funnel_chart(width=charts.WIDTH):
        return charts.funnel_chart(funnel_rows[:3], width=width)
    tables.append(Table("referral_funnel", _("Referral funnel"),
                        [Column("step", _("Step"), False), Column("referrals", _("Referrals"))],
                        funnel_rows, chart=funnel_chart, section="referrals",
                        extra={"share": f["closed_without_follow_up_share"],
                               "accept": f["median_days_to_accept"],
                               "complete": f["median_days_to_complete"]}))
    states = [[_state(k), n] for k, n in figures["referrals"].items()]
    tables.append(Table("referral_states", _("Referrals per state"),
                        [Column("state", _("State"), False), Column("referrals", _("Referrals"))],
                        states, section="referrals"))
    tables.append(Table("referrals_by_sender", _("Per sending organisation"),
                        _org_columns(_("Sender")), _org_rows(figures["by_sender"]),
                        section="referrals", page_rows=ORGANISATION_PAGE_ROWS))
    tables.append(Table("referrals_by_receiver", _("Per receiving organisation"),
                        _org_columns(_("Receiver")), _org_rows(figures["by_receiver"]),
                        section="referrals", page_rows=ORGANISATION_PAGE_ROWS))
    flows = [[f"{r['from_name']} → {r['to_name']}", r["companies"], r["referrals"],
              r["accepted"], r["completed"], r["acceptance_rate"], r["completion_rate"]]
             for r in figures["flows"]]
    tables.append(Table("referral_flows", _("Flows between organisations (largest first)"),
                        [Column("flow", _("From → to"), False),
                         Column("companies", _("Companies")),
                         Column("referrals", _("Referrals")), Column("accepted", _("Accepted")),
                         Column("completed", _("Completed")),
                         Column("acceptance_rate", _("Accepted (%)")),
                         Column("completion_rate", _("Completed (%)"))],
                        flows, chart=_bars(flows, 2), section="referrals"))

    j = figures["journeys"]
    names = {"1": _("1 organisation"), "2": _("2 organisations"),
             "3+": _("3 or more organisations")}
    orgs = [[names[r["key"]], r["companies"]] for r in j["organisations"]]
    tables.append(Table("journey_organisations", _("Companies by number of organisations met"),
                        [Column("organisations", _("Organisations"), False),
                         Column("companies", _("Companies"))], orgs, chart=_bars(orgs),
                        section="journeys"))
    paths = [[" → ".join(_kind(s) for s in p["steps"]), p["companies"]] for p in j["paths"]]
    tables.append(Table("journey_paths", _("Most common paths"),
                        [Column("path", _("Path"), False), Column("companies", _("Companies"))],
                        paths, chart=_bars(paths), section="journeys",
                        note=_("The order in which companies first met each kind of activity in "
                               "the period (at most three steps).")))
    st = j["stalled"]
    stalled_rows = [[r["name"], r["kvk"] or "", r["from_name"], r["to_name"], _state(r["status"]),
                     r["sent_at"]] for r in st["rows"]]
    tables.append(Table("journey_stalled",
                        _("Companies whose last step was a referral that went nowhere"),
                        [Column("company", _("Company"), False),
                         Column("kvk", _("KVK number"), False),
                         Column("from", _("From"), False), Column("to", _("To"), False),
                         Column("state", _("State"), False), Column("sent", _("Sent"), False)],
                        stalled_rows, section="journeys", page_rows=50,
                        extra={"companies": st["companies"], "visible": st["visible"],
                               "rows": st["rows"]},
                        note=_("Declined, closed without follow-up or not accepted in time, with "
                               "nothing recorded for the company since. Listed as far as you may "
                               "see these referrals.")))

    s = figures["impact"]["survey"]
    questions = {key: _(text) for key, text in v.SURVEY_QUESTIONS}
    q_rows = [[questions[q["key"]], q["answered"], q["mean"],
               *(q[f"n{i}"] for i in range(1, 7))] for q in s["questions"]]
    scale = dict(v.SURVEY_SCALE)
    tables.append(Table("survey_questions", _("Impact survey: answers per question"),
                        [Column("question", _("To what extent has the activity …"), False),
                         Column("answered", _("Answers (1–4)")),
                         Column("mean", _("Mean (1–4)")),
                         *(Column(f"n{i}", f"{i} {_(scale[i])}") for i in range(1, 7))],
                        q_rows, chart=_bars(q_rows, 2, max_value=4, limit=10),
                        section="impact",
                        extra={"responses": s["responses"], "invitations": s["invitations"],
                               "rate": s["response_rate"]}))
    tables.append(Table("survey_archetype", _("Impact survey per kind of activity"),
                        [Column("archetype", _("Kind of activity"), False),
                         Column("responses", _("Responses")), Column("mean", _("Mean (1–4)"))],
                        [[_kind(r["key"]), r["responses"], r["mean"]]
                         for r in s["by_archetype"]], section="impact"))
    tables.append(Table("survey_organisation", _("Impact survey per organisation"),
                        [Column("organisation", _("Organisation"), False),
                         Column("responses", _("Responses")), Column("mean", _("Mean (1–4)"))],
                        [[r["name"], r["responses"], r["mean"]] for r in s["by_organisation"]],
                        section="impact"))
    d = figures["impact"]["dma"]
    dims = {key: _(text) for key, text in v.DMA_DIMENSIONS}
    dims["average"] = _("Average")
    dma_rows = [[dims[r["key"]], r["companies"], r["first"], r["last"], r["change"]]
                for r in d["dimensions"]]

    def dma_chart(width=charts.WIDTH):
        return charts.diverging_bar_chart([(r[0], r[4]) for r in dma_rows], width=width)
    tables.append(Table("dma_change", _("Digital maturity (DMA): mean change per dimension"),
                        [Column("dimension", _("Dimension"), False),
                         Column("companies", _("Companies")), Column("first", _("First")),
                         Column("last", _("Last")), Column("change", _("Change"))],
                        dma_rows, chart=dma_chart if d["companies"] else None,
                        section="impact",
                        note=_("Companies with at least two assessments: the last one in the "
                               "period against the first, scores 0–100.")))
    tables.append(Table("dma_organisation", _("DMA change of the average per organisation"),
                        [Column("organisation", _("Organisation"), False),
                         Column("companies", _("Companies")), Column("change", _("Change"))],
                        [[r["name"], r["companies"], r["change"]] for r in d["by_organisation"]],
                        section="impact"))
    tables.append(Table("dma_archetype", _("DMA change of the average per kind of activity"),
                        [Column("archetype", _("Kind of activity"), False),
                         Column("companies", _("Companies")), Column("change", _("Change"))],
                        [[_kind(r["key"]), r["companies"], r["change"]]
                         for r in d["by_archetype"]],
                        section="impact",
                        note=_("Companies with that kind of activity between their first and "
                               "last assessment.")))
    return tables


def table_named(tables: list[Table], name: str) -> Table | None:
    return next((t for t in tables if t.name == name), None)


def cell_text(value, *, decimal: str = ",") -> str:
    """A cell as text: numbers with the Dutch decimal comma, dates as YYYY-MM-DD."""
    from datetime import date, datetime
    if value is None:
        return "–"
    if isinstance(value, float):
        return (f"{value:.2f}".rstrip("0").rstrip(".")).replace(".", decimal)
    if isinstance(value, datetime):
        from ..journeys.clock import AMSTERDAM
        return value.astimezone(AMSTERDAM).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
