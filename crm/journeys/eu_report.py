"""The export in the shape EDIHs report to the EU: businesses served by size class, sector,
location and type of support, with the change in digital maturity (DMA).

*Businesses served* are the distinct companies with at least one intervention of a kind that
counts as a service (below) in the period and scope. The scope is either an organisation's own
work (its interventions) or, for a regional coordinator, every organisation's work with the
companies in the provinces they coordinate. These are anonymous counts: every company counts,
whether or not it consented to sharing its journey. In the regional (cross-organisation) scope a
cell counting 1 to 4 companies is given as ``< 5`` so no single company can be recognised.

The mapping — the one table from our activity kinds to the EU's four EDIH service types:

=========================  ===================================  =================================
our kind (archetype)       EU service type                      why
=========================  ===================================  =================================
scans                      test before invest                   digital maturity assessment
advisering                 test before invest                   visioning, digital strategy
faciliteiten               test before invest                   testing & experimentation
onderzoek                  test before invest                   R&D, proofs of concept
werken-met-studenten       test before invest                   prototypes built with students
workshops                  skills and training                  short courses, knowledge events
onderwijs-studenten        skills and training                  education
onderwijs-professionals    skills and training                  upskilling, reskilling
subsidies                  support to find investment           financing, subsidies
signaleren                 innovation ecosystem and networking  awareness, reaching companies
netwerken                  innovation ecosystem and networking  matchmaking, coordination
kennisplatform             innovation ecosystem and networking  knowledge sharing
intake, telefoon, e-mail,  (not a service)                      a contact, not counted as served
bezoek
=========================  ===================================  =================================

Location is the province, given with its NUTS-2 code (NUTS 2021). The DMA change compares, for
the businesses served that have at least two assessments up to the end of the period, their first
and their latest assessment: mean per dimension and of the average (0–100).
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from ..models import Company, DmaAssessment, Intervention, Province, Role, User
from ..models.vocabulary import DMA_DIMENSION_NAMES, INTERVENTION_KIND_SLUGS
from .errors import N_

SERVICE_TYPES = [
    ("test-before-invest", N_("Test before invest")),
    ("skills-training", N_("Skills and training")),
    ("investment", N_("Support to find investment")),
    ("ecosystem", N_("Innovation ecosystem and networking")),
]
SERVICE_TYPE_SLUGS = [s for s, _ in SERVICE_TYPES]

#: Our intervention kinds → EU service type (None: a plain contact, not a service).
SERVICE_TYPE_OF = {
    "scans": "test-before-invest",
    "advisering": "test-before-invest",
    "faciliteiten": "test-before-invest",
    "onderzoek": "test-before-invest",
    "werken-met-studenten": "test-before-invest",
    "workshops": "skills-training",
    "onderwijs-studenten": "skills-training",
    "onderwijs-professionals": "skills-training",
    "subsidies": "investment",
    "signaleren": "ecosystem",
    "netwerken": "ecosystem",
    "kennisplatform": "ecosystem",
    "intake": None,
    "telefoon": None,
    "e-mail": None,
    "bezoek": None,
}
assert set(SERVICE_TYPE_OF) == set(INTERVENTION_KIND_SLUGS)

#: Province (CBS code) → NUTS-2 code (NUTS 2021).
NUTS2 = {"PV20": "NL11", "PV21": "NL12", "PV22": "NL13", "PV23": "NL21", "PV24": "NL23",
         "PV25": "NL22", "PV26": "NL35", "PV27": "NL32", "PV28": "NL36", "PV29": "NL34",
         "PV30": "NL41", "PV31": "NL42"}
SIZE_CLASSES = [("zzp", N_("zzp")), ("micro", N_("micro")), ("klein", N_("small")),
                ("middelgroot", N_("medium-sized")), ("groot", N_("large"))]
#: Cells below this count are suppressed in cross-organisation reports.
SMALL = 5


@dataclass
class EuScope:
    user: User
    #: ``organisation`` (the own organisation's work) or ``region`` (a coordinator's provinces).
    kind: str
    province_ids: list[int] = field(default_factory=list)


def scopes_for(user: User) -> list[str]:
    if user.role == Role.coordinator.value and user.provinces:
        return ["region", "organisation"]
    return ["organisation"]


def scope_for(user: User, kind: str | None = None) -> EuScope:
    allowed = scopes_for(user)
    kind = kind if kind in allowed else allowed[0]
    return EuScope(user, kind, [p.id for p in user.provinces] if kind == "region" else [])


@dataclass
class Breakdown:
    """Businesses served per value of one dimension, in total and per service type."""
    #: (key, label, total, {service type: companies})
    rows: list[tuple[str, str, int, dict[str, int]]]


@dataclass
class EuReport:
    scope: EuScope
    starts_on: date
    ends_on: date
    companies: int
    services: int
    #: service type → (businesses served, services given)
    by_service: dict[str, tuple[int, int]]
    by_size: Breakdown
    by_sector: Breakdown
    by_location: Breakdown
    #: Companies with a DMA before and after; per dimension (and ``average``): (first, last).
    dma_companies: int
    dma: dict[str, tuple[float, float]]

    @property
    def suppress(self) -> bool:
        return self.scope.kind == "region"

    def cell(self, n: int):
        """A count as shown: ``< 5`` for 1–4 companies in a cross-organisation report."""
        return f"< {SMALL}" if self.suppress and 0 < n < SMALL else n


def _service_type():
    return case({k: v for k, v in SERVICE_TYPE_OF.items() if v}, value=Intervention.kind)


def _services(scope: EuScope, starts_on: date, ends_on: date):
    """The interventions that count as services in the period and scope, with the company."""
    stmt = (select(Intervention.company_id, _service_type().label("service"))
            .join(Company, Company.id == Intervention.company_id)
            .where(Intervention.occurred_on >= starts_on, Intervention.occurred_on <= ends_on,
                   Intervention.kind.in_([k for k, v in SERVICE_TYPE_OF.items() if v])))
    if scope.kind == "region":
        stmt = stmt.where(Company.province_id.in_(scope.province_ids))
    else:
        stmt = stmt.where(Intervention.organisation_id == scope.user.organisation_id)
    return stmt


def _breakdown(session, services, column, labels: list[tuple[str, str]]) -> Breakdown:
    s = services.add_columns(column.label("dim")).subquery()
    per_type = {(dim, service): n for dim, service, n in session.execute(
        select(s.c.dim, s.c.service, func.count(distinct(s.c.company_id)))
        .group_by(s.c.dim, s.c.service))}
    totals = dict(session.execute(select(s.c.dim, func.count(distinct(s.c.company_id)))
                                  .group_by(s.c.dim)).all())
    known = {k for k, _ in labels}
    labels = list(labels) + [(k, k) for k in sorted(totals, key=str) if k not in known
                             and k is not None]
    if None in totals:
        labels.append((None, N_("unknown")))
    rows = [(key, name, totals.get(key, 0),
             {t: per_type.get((key, t), 0) for t in SERVICE_TYPE_SLUGS}) for key, name in labels]
    return Breakdown(rows)


def build(session: Session, scope: EuScope, starts_on: date, ends_on: date) -> EuReport:
    services = _services(scope, starts_on, ends_on)
    s = services.subquery()
    companies = session.scalar(select(func.count(distinct(s.c.company_id)))) or 0
    total = session.scalar(select(func.count()).select_from(s)) or 0
    by_service = {t: (0, 0) for t in SERVICE_TYPE_SLUGS}
    for service, n_companies, n in session.execute(
            select(s.c.service, func.count(distinct(s.c.company_id)), func.count())
            .group_by(s.c.service)):
        by_service[service] = (n_companies, n)
    provinces = session.execute(select(Province.id, Province.code, Province.name)
                                .order_by(Province.code)).all()
    sectors = session.execute(select(Company.sbi_section).distinct()).scalars()
    report = EuReport(
        scope, starts_on, ends_on, companies, total, by_service,
        by_size=_breakdown(session, services, Company.size_class,
                           SIZE_CLASSES),
        by_sector=_breakdown(session, services, Company.sbi_section,
                             [(k, k) for k in sorted(x for x in sectors if x)]),
        by_location=_breakdown(session, services, Company.province_id,
                               [(pid, f"{NUTS2.get(code, '')} {name}")
                                for pid, code, name in provinces]),
        dma_companies=0, dma={})
    _dma_change(session, report, s)
    return report


def _dma_change(session, report: EuReport, services) -> None:
    columns = [getattr(DmaAssessment, d) for d in DMA_DIMENSION_NAMES] + [DmaAssessment.average]
    order = (DmaAssessment.assessed_on, DmaAssessment.id)
    ranked = (select(DmaAssessment.company_id, *columns,
                     func.row_number().over(partition_by=DmaAssessment.company_id,
                                            order_by=order).label("first"),
                     func.row_number().over(partition_by=DmaAssessment.company_id,
                                            order_by=[c.desc() for c in order]).label("last"))
              .where(DmaAssessment.company_id.in_(select(services.c.company_id)),
                     DmaAssessment.assessed_on <= report.ends_on).subquery())
    firsts, lasts = {}, {}
    for row in session.execute(select(ranked).where((ranked.c.first == 1)
                                                    | (ranked.c.last == 1))):
        values = [float(v) for v in row[1:len(columns) + 1]]
        if row.first == 1 and row.last > 1:
            firsts[row.company_id] = values
        if row.last == 1 and row.first > 1:
            lasts[row.company_id] = values
    pairs = [(firsts[c], lasts[c]) for c in firsts if c in lasts]
    report.dma_companies = len(pairs)
    if not pairs:
        return
    for i, name in enumerate(DMA_DIMENSION_NAMES + ["average"]):
        report.dma[name] = (round(sum(p[0][i] for p in pairs) / len(pairs), 1),
                            round(sum(p[1][i] for p in pairs) / len(pairs), 1))


# --- the tables (one source for the page, the CSV and the workbook) ---------------------------

def tables(report: EuReport, _) -> list[tuple[str, list[str], list[list]]]:
    """``(title, header, rows)`` of every table, texts translated with ``_``."""
    from ..models.vocabulary import DMA_DIMENSIONS
    types = [_(label) for _slug, label in SERVICE_TYPES]
    c = report.cell
    summary = [[_("Period"), f"{report.starts_on.isoformat()} – {report.ends_on.isoformat()}"],
               [_("Scope"), _("Provinces you coordinate") if report.scope.kind == "region"
                else _("Your organisation's work")],
               [_("Businesses served"), c(report.companies)],
               [_("Services given"), report.services]]
    service_rows = [[_(label), c(report.by_service[slug][0]), report.by_service[slug][1]]
                    for slug, label in SERVICE_TYPES]
    out = [(_("Summary"), [_("Figure"), _("Value")], summary),
           (_("Type of support"), [_("Type of support"), _("Businesses served"),
                                   _("Services given")], service_rows)]
    for title, breakdown, translate_label in (
            (_("Size class"), report.by_size, True), (_("Sector (SBI section)"),
                                                      report.by_sector, False),
            (_("Location (NUTS-2 province)"), report.by_location, False)):
        rows = [[_(name) if translate_label or key is None else name, c(total),
                 *(c(per[t]) for t in SERVICE_TYPE_SLUGS)]
                for key, name, total, per in breakdown.rows]
        out.append((title, [title, _("Businesses served"), *types], rows))
    dma_rows = []
    if report.dma and not (report.suppress and report.dma_companies < SMALL):
        for slug, label in DMA_DIMENSIONS + [("average", N_("Average"))]:
            first, last = report.dma[slug]
            dma_rows.append([_(label), first, last, round(last - first, 1)])
    out.append((_("Digital maturity (DMA), %(n)s businesses with a first and a later "
                  "assessment", n=c(report.dma_companies)),
                [_("Dimension"), _("First assessment"), _("Latest assessment"), _("Change")],
                dma_rows))
    mapping = [[slug, _(dict(SERVICE_TYPES)[t]) if t else _("not a service (contact)")]
               for slug, t in SERVICE_TYPE_OF.items()]
    out.append((_("Mapping of our activity kinds"), [_("Activity kind"), _("Type of support")],
                mapping))
    return out


def to_csv(report: EuReport, _) -> str:
    """Every table below the other, separated by an empty line; ``;``-separated with a BOM."""
    import csv
    import io
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for i, (title, header, rows) in enumerate(tables(report, _)):
        if i:
            writer.writerow([])
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


def to_xlsx(report: EuReport, _) -> bytes:
    """A workbook with one sheet per table (bold header row, frozen below it)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in tables(report, _):
        name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
        sheet = book.create_sheet(name)
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A3"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column[1:]) if len(column) > 1 else 10
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
