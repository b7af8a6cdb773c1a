"""Digital maturity over time: EU Digital Maturity Assessment (DMA) results per company.

A result has six dimensions, each a whole number 0–100, and their average (computed here, two
decimals). Results are entered on the company page or imported from a file
(``source='imported'``); both go through :func:`record_assessment`.

The *movement* of a company is its first result against its latest (by assessment date).
:func:`dma_change_select` aggregates the movement over companies: the mean change per
dimension, per archetype or per organisation of the interventions between the two results.
"""
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, and_, func, literal, select
from sqlalchemy.orm import aliased, object_session

from ..models import Company, Intervention, User, utcnow
from ..models.survey import DmaAssessment
from ..models.vocabulary import DMA_DIMENSION_NAMES, DMA_DIMENSIONS, DMA_SOURCES
from ..policy import CREATE, DELETE, may
from . import audit
from .clock import today
from .errors import N_, DomainError, NotAllowed, ValidationFailed

EARLIEST = date(2000, 1, 1)


class DuplicateAssessment(DomainError):
    message = N_("Your organisation already recorded a DMA result for this company on "
                 "%(date)s.")


def _score(raw):
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if text.isascii() and text.isdigit() and len(text) <= 3:
            return int(text)
    return None


def validate_scores(scores: dict, assessed_on) -> tuple[dict, date]:
    errors: dict[str, list] = {}
    values = {}
    for name in DMA_DIMENSION_NAMES:
        raw = scores.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors[name] = [(N_("Enter a score from 0 to 100."), {})]
            continue
        value = _score(raw)
        if value is None or not 0 <= value <= 100:
            errors[name] = [(N_("Enter a whole number from 0 to 100."), {})]
        else:
            values[name] = value
    if isinstance(assessed_on, str):
        try:
            assessed_on = date.fromisoformat(assessed_on.strip())
        except ValueError:
            assessed_on = None
            errors["assessed_on"] = [(N_("Enter a date such as 2026-03-31."), {})]
    if assessed_on is None:
        errors.setdefault("assessed_on", [(N_("Enter the date of the assessment."), {})])
    elif not EARLIEST <= assessed_on <= today():
        errors["assessed_on"] = [(N_("Enter a date between 2000 and today."), {})]
    if errors:
        raise ValidationFailed(errors)
    return values, assessed_on


def average_of(values: dict) -> Decimal:
    total = Decimal(sum(values[d] for d in DMA_DIMENSION_NAMES))
    return (total / len(DMA_DIMENSION_NAMES)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def record_assessment(company: Company, scores: dict, assessed_on, *, by: User,
                      source: str = "entered") -> DmaAssessment:
    """Record one DMA result of ``company`` for the user's organisation.

    ``scores`` maps each dimension of :data:`DMA_DIMENSIONS` to a whole number 0–100 (an int,
    or a string of digits); ``assessed_on`` is a date or an ISO date string, not in the future.
    Raises ValidationFailed (per field), DuplicateAssessment (same organisation, company and
    date) or NotAllowed.
    """
    if not may(by, CREATE, DmaAssessment):
        raise NotAllowed()
    if source not in {s for s, _ in DMA_SOURCES}:
        raise ValidationFailed({"source": [(N_("Unknown source: %(value)s."),
                                            {"value": str(source)[:40]})]})
    values, assessed_on = validate_scores(scores, assessed_on)
    session = object_session(by)
    if session.scalar(select(DmaAssessment.id).where(
            DmaAssessment.company_id == company.id,
            DmaAssessment.organisation_id == by.organisation_id,
            DmaAssessment.assessed_on == assessed_on).limit(1)):
        raise DuplicateAssessment(date=assessed_on)
    assessment = DmaAssessment(company_id=company.id, organisation_id=by.organisation_id,
                               assessed_on=assessed_on, average=average_of(values),
                               source=source, created_by_id=by.id, created_at=utcnow(),
                               **values)
    session.add(assessment)
    session.flush()
    audit.record(by, "create", "dma_assessment", assessment.id, company_id=company.id,
                 changes={"assessed_on": [None, assessed_on], "source": [None, source],
                          **{d: [None, v] for d, v in values.items()}})
    return assessment


def delete_assessment(assessment: DmaAssessment, *, by: User) -> None:
    if not may(by, DELETE, assessment):
        raise NotAllowed()
    session = object_session(by)
    audit.record(by, "delete", "dma_assessment", assessment.id,
                 company_id=assessment.company_id,
                 changes={"assessed_on": [assessment.assessed_on, None],
                          **{d: [v, None] for d, v in assessment.scores().items()}})
    session.delete(assessment)
    session.flush()


# --- movement of one company -------------------------------------------------------------------

@dataclass(frozen=True)
class DimensionMovement:
    name: str
    #: English label (a msgid).
    label: str
    first: float
    latest: float
    #: latest − first (0 when there is one result).
    change: float


@dataclass(frozen=True)
class Result:
    """One DMA result as the movement reads it."""
    assessed_on: date
    #: The six dimensions' scores by name, and ``average``.
    scores: dict


@dataclass(frozen=True)
class Movement:
    first: Result
    latest: Result
    #: The six dimensions, then the average (name ``average``).
    dimensions: list[DimensionMovement]
    #: Number of results in between as well.
    count: int

    @property
    def days(self) -> int:
        return (self.latest.assessed_on - self.first.assessed_on).days


def assessments_of(company: Company, viewer: User | None = None) -> Select:
    """The company's DMA results (those ``viewer`` may see), oldest first."""
    from ..policy import dma_filter
    stmt = select(DmaAssessment).where(DmaAssessment.company_id == company.id)
    if viewer is not None:
        stmt = stmt.where(dma_filter(viewer))
    return stmt.order_by(DmaAssessment.assessed_on, DmaAssessment.id)


def movement_of(results: list[Result]) -> Movement | None:
    """First against latest of ``results`` (oldest first), or None when there are none."""
    if not results:
        return None
    first, latest = results[0], results[-1]
    dims = [DimensionMovement(name, label, first.scores[name], latest.scores[name],
                              latest.scores[name] - first.scores[name])
            for name, label in DMA_DIMENSIONS]
    dims.append(DimensionMovement("average", N_("Average"), float(first.scores["average"]),
                                  float(latest.scores["average"]),
                                  float(latest.scores["average"] - first.scores["average"])))
    return Movement(first, latest, dims, len(results))


def maturity_movement(company: Company, viewer: User | None = None) -> Movement | None:
    """First against latest result of ``company`` (as far as ``viewer`` may see), or None."""
    rows = object_session(company).scalars(assessments_of(company, viewer)).all()
    return movement_of([Result(r.assessed_on, {**r.scores(), "average": r.average})
                        for r in rows])


def timeline_movement(timeline) -> Movement | None:
    """The movement from the DMA results a company's timeline already holds (the same ones
    :func:`maturity_movement` reads for the timeline's viewer): the company page asks no
    second query."""
    return movement_of([Result(item.occurred_at, dict(item.scores)) for item in timeline.dma])


# --- aggregated movement ---------------------------------------------------------------------

def movement_pairs(*, company_ids=None, organisation_ids=None, latest_from=None,
                   latest_to=None):
    """Subquery: one row per company with at least two results on different dates —
    ``company_id``, ``first_on``, ``latest_on`` and ``change_<dimension>`` for the six
    dimensions and ``change_average``. ``organisation_ids`` limits the results considered to
    those these organisations recorded; ``latest_from``/``latest_to`` (dates, inclusive)
    limit the latest result's date."""
    columns = [*DMA_DIMENSION_NAMES, "average"]
    # Per company, the ids of its first and latest result, each found with one seek in the
    # (company_id, assessed_on) index; then the two rows by key. (Window functions over all
    # results measured 7× slower on SQLite.)
    def conditions(table):
        out = []
        if company_ids is not None:
            out.append(table.company_id.in_(company_ids))
        if organisation_ids is not None:
            out.append(table.organisation_id.in_(organisation_ids))
        return out

    companies = (select(DmaAssessment.company_id).where(*conditions(DmaAssessment))
                 .distinct().subquery("assessed"))

    def pick(newest: bool):
        d = aliased(DmaAssessment)
        order = ((d.assessed_on.desc(), d.id.desc()) if newest else (d.assessed_on, d.id))
        return (select(d.id).where(d.company_id == companies.c.company_id, *conditions(d))
                .order_by(*order).limit(1).scalar_subquery())

    # Materialized, so PostgreSQL evaluates the two seeks once per company (not again for
    # each join condition that uses them).
    ends = (select(companies.c.company_id, pick(False).label("first_id"),
                   pick(True).label("latest_id")).cte("ends").prefix_with("MATERIALIZED"))
    first, latest = aliased(DmaAssessment), aliased(DmaAssessment)
    stmt = (select(ends.c.company_id, first.assessed_on.label("first_on"),
                   latest.assessed_on.label("latest_on"),
                   *((getattr(latest, c) - getattr(first, c)).label(f"change_{c}")
                     for c in columns))
            .select_from(ends)
            .join(first, first.id == ends.c.first_id)
            .join(latest, latest.id == ends.c.latest_id)
            .where(latest.assessed_on > first.assessed_on))
    if latest_from is not None:
        stmt = stmt.where(latest.assessed_on >= latest_from)
    if latest_to is not None:
        stmt = stmt.where(latest.assessed_on <= latest_to)
    return stmt.subquery("movement")


def dma_change_select(group: str = "archetype", *, company_ids=None, organisation_ids=None,
                      archetypes=None, latest_from=None, latest_to=None) -> Select:
    """Mean DMA change per dimension, per ``group``: ``archetype``, ``organisation`` or
    ``all``.

    Rows: ``key`` (intervention kind slug / organisation id / None), ``companies`` (distinct
    companies counted), ``mean_change_<dimension>`` for the six dimensions and
    ``mean_change_average`` (points on the 0–100 scale, as floats).

    A company counts when it has two results on different dates (its first and its latest,
    see :func:`movement_pairs`); for ``archetype``/``organisation`` it counts once under every
    kind / organisation of the interventions it had from its first result's date up to its
    latest's (inclusive). ``organisation_ids`` limits those interventions (and, for
    ``all``, the organisations whose interventions count); ``archetypes`` limits the kinds.
    ``company_ids`` (a list or a select of ids) limits the companies, e.g. to a region.
    """
    pairs = movement_pairs(company_ids=company_ids, latest_from=latest_from,
                           latest_to=latest_to)
    changes = [f"change_{c}" for c in [*DMA_DIMENSION_NAMES, "average"]]
    if group == "all" and organisation_ids is None and archetypes is None:
        return select(literal(None).label("key"),
                      func.count(pairs.c.company_id).label("companies"),
                      *(func.avg(pairs.c[c] * 1.0).label(f"mean_{c}") for c in changes))
    key_column = {"archetype": Intervention.kind, "organisation": Intervention.organisation_id,
                  "all": literal(0)}[group]
    links = (select(pairs, key_column.label("key"))
             .join(Intervention, and_(Intervention.company_id == pairs.c.company_id,
                                      Intervention.occurred_on >= pairs.c.first_on,
                                      Intervention.occurred_on <= pairs.c.latest_on))
             .distinct())
    if organisation_ids is not None:
        links = links.where(Intervention.organisation_id.in_(organisation_ids))
    if archetypes is not None:
        links = links.where(Intervention.kind.in_(archetypes))
    links = links.subquery("links")
    key = literal(None) if group == "all" else links.c.key
    stmt = select(key.label("key"),
                  func.count(func.distinct(links.c.company_id)).label("companies"),
                  *(func.avg(links.c[c] * 1.0).label(f"mean_{c}") for c in changes))
    if group != "all":
        stmt = stmt.group_by(links.c.key).order_by(links.c.key)
    return stmt
