"""What a monitor view covers: whose work (a coordinator's provinces, one province or region
among them, or one organisation's own work), which period, and which filters.

:func:`scope_from_params` turns query parameters (the dashboard's GET form, the API) into a
:class:`MonitorScope`, refusing bad values with field messages and scopes the user may not see
(:func:`crm.policy.may_monitor`). The ``*_conditions`` functions give the SQL conditions every
figure applies, so all figures of one view count the same companies.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import ColumnElement, or_, select

from ...models import (Company, Intervention, Municipality, Organisation, Province, Referral,
                       Region, Role)
from ...models.company import Maturity, Phase, SizeClass
from ...models.reference import region_municipalities
from ...models.vocabulary import INTERVENTION_KIND_SLUGS
from ...policy import may_monitor, monitor_province_ids
from ...reference import normalise, parse_id, province_name, sbi_sections
from ..clock import today as _today
from ..errors import N_, NotAllowed, ValidationFailed

SIZE_CLASSES = tuple(s.value for s in SizeClass)
PHASES = tuple(p.value for p in Phase)
MATURITIES = tuple(m.value for m in Maturity)
SECTIONS = tuple(row["letter"] for row in sbi_sections())
#: Default period: the last 12 months up to today.
DEFAULT_DAYS = 365
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class MonitorScope:
    """One monitor view. ``province_ids`` ``None`` means the whole country (administrators);
    ``organisation_id`` without provinces means that organisation's own work."""

    #: Provinces covered (companies located there); ``None``: all; empty: not a region scope.
    province_ids: frozenset[int] | None
    #: A named region (its municipalities) within the provinces, when one was chosen.
    region_id: int | None
    #: The organisation whose own work this is (organisation scope), else ``None``.
    organisation_id: int | None
    #: Period, both days included.
    date_from: date
    date_to: date
    #: Filters (``None``: any).
    sector: str | None = None
    size_class: str | None = None
    phase: str | None = None
    maturity: str | None = None
    archetype: str | None = None
    #: In a region scope: only work by (and referrals from or to) this organisation.
    partner_id: int | None = None
    #: Human-readable name of the scope ("Utrecht, Flevoland", "Regio Foodvalley", an org).
    label: str = ""
    #: The day "overdue" is judged on.
    today: date = field(default_factory=_today)

    @property
    def cross_organisation(self) -> bool:
        """Figures across organisations: small cells are suppressed ("< 5")."""
        return self.organisation_id is None

    @property
    def acting_organisation_id(self) -> int | None:
        """The one organisation whose work counts (own-work scope or partner filter)."""
        return self.organisation_id if self.organisation_id is not None else self.partner_id

    def params(self) -> dict[str, str]:
        """The query parameters that give this scope back (links, CSV, PDF, saved views)."""
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        for key in ("sector", "size_class", "phase", "maturity", "archetype"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.partner_id:
            out["partner"] = str(self.partner_id)
        if self.organisation_id:
            out["organisation_id"] = str(self.organisation_id)
        return out


# --- SQL conditions ---------------------------------------------------------------------------

def company_conditions(scope: MonitorScope) -> list[ColumnElement[bool]]:
    """Conditions on :class:`Company` for the scope's place and company filters."""
    conditions: list[ColumnElement[bool]] = []
    if scope.region_id is not None:
        conditions.append(Company.municipality_id.in_(
            select(region_municipalities.c.municipality_id)
            .where(region_municipalities.c.region_id == scope.region_id)))
    if scope.province_ids is not None and scope.organisation_id is None:
        conditions.append(Company.province_id.in_(sorted(scope.province_ids)))
    if scope.sector:
        conditions.append(Company.sbi_section == scope.sector)
    if scope.size_class:
        conditions.append(Company.size_class == scope.size_class)
    if scope.phase:
        conditions.append(Company.phase == scope.phase)
    if scope.maturity:
        conditions.append(Company.digital_maturity == scope.maturity)
    return conditions


def in_scope_companies(statement, company_id, scope: MonitorScope):
    """``statement`` (rows of a table with a ``company_id``) kept to the companies in scope:
    joined to them under :func:`company_conditions` when the scope has any (a place, a company
    filter), as it is when it has none (an organisation's own work, unfiltered). Every row's
    company exists (``company_id`` is a non-null foreign key), so there the join would change
    nothing and cost a company lookup per row."""
    conditions = company_conditions(scope)
    if not conditions:
        return statement
    return statement.join(Company, Company.id == company_id).where(*conditions)


def intervention_conditions(scope: MonitorScope) -> list[ColumnElement[bool]]:
    """Conditions on :class:`Intervention` (period, organisation, archetype); join Company."""
    # A range within the company's entries of ix_interventions_company_monitor: the plan starts
    # from the companies in scope (ix_companies_monitor) and reads only the period.
    day = Intervention.occurred_on
    conditions = [day >= scope.date_from, day <= scope.date_to]
    if scope.acting_organisation_id is not None:
        conditions.append(Intervention.organisation_id == scope.acting_organisation_id)
    if scope.archetype:
        conditions.append(Intervention.kind == scope.archetype)
    return conditions


def moment_bounds(scope: MonitorScope):
    """The period as UTC moments [start, end) for timestamp columns (Amsterdam days)."""
    from datetime import datetime, timezone

    from ..clock import AMSTERDAM
    start = datetime.combine(scope.date_from, datetime.min.time(), AMSTERDAM)
    end = datetime.combine(scope.date_to + timedelta(days=1), datetime.min.time(), AMSTERDAM)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def referral_conditions(scope: MonitorScope) -> list[ColumnElement[bool]]:
    """Conditions on :class:`Referral`: sent in the period, from or to the acting
    organisation; join Company for the place and company filters."""
    start, end = moment_bounds(scope)
    conditions = [Referral.created_at >= start, Referral.created_at < end]
    org = scope.acting_organisation_id
    if org is not None:
        conditions.append(or_(Referral.from_organisation_id == org,
                              Referral.to_organisation_id == org))
    return conditions


# --- building a scope from parameters --------------------------------------------------------

def _error(errors: dict, name: str, message: str, **params) -> None:
    errors.setdefault(name, []).append((message, params))


def _date(value: str | None, name: str, errors: dict) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        _error(errors, name, N_("Enter a date as YYYY-MM-DD."))
        return None
    if not MIN_DATE <= day <= MAX_DATE:
        _error(errors, name, N_("Enter a date between 2000 and 2100."))
        return None
    return day


def _choice(value: str | None, allowed, name: str, errors: dict) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value not in allowed:
        _error(errors, name, N_("Choose one of the listed values."))
        return None
    return value


def _id(value: str | None, name: str, errors: dict) -> int | None:
    if value is None or not str(value).strip():
        return None
    ident = parse_id(str(value).strip())
    if ident is None:
        _error(errors, name, N_("Choose one of the listed organisations."))
    return ident


def _region(session, value: str, errors: dict) -> Region | None:
    text = value.strip()
    region = None
    if (region_id := parse_id(text)) is not None:
        region = session.get(Region, region_id)
    if region is None:
        key = normalise(text)
        region = next((r for r in session.scalars(select(Region))
                       if normalise(r.name) == key), None)
    if region is None:
        _error(errors, "region", N_("No region has this name."))
    return region


def _region_provinces(session, region_id: int) -> frozenset[int]:
    return frozenset(session.scalars(
        select(Municipality.province_id).distinct()
        .join(region_municipalities, region_municipalities.c.municipality_id == Municipality.id)
        .where(region_municipalities.c.region_id == region_id)))


def scope_from_params(session, user, params, *, today: date | None = None) -> MonitorScope:
    """The scope that ``params`` (a mapping of query parameters) asks for, for ``user``.

    Parameters: ``province`` (a name), ``region`` (a name or id), ``organisation_id`` (that
    organisation's own work; with a province or region it filters instead), ``partner`` (an
    organisation filter), ``from``/``to`` (YYYY-MM-DD; default: the last 12 months), ``sector``
    (SBI section), ``size_class``, ``phase``, ``maturity``, ``archetype``.

    Without a place or organisation: a coordinator gets their provinces, an administrator the
    whole country, anyone else their organisation's own work. Raises :class:`ValidationFailed`
    for bad values and :class:`NotAllowed` for a scope the user may not see.
    """
    get = params.get
    errors: dict = {}
    today = today or _today()
    date_from = _date(get("from"), "from", errors)
    date_to = _date(get("to"), "to", errors)
    if date_to is None and "to" not in errors:
        date_to = today
    if date_from is None and "from" not in errors and date_to is not None:
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from and date_to and date_from > date_to:
        _error(errors, "to", N_("The end of the period lies before its start."))
    filters = dict(
        sector=_choice((get("sector") or "").upper() or None, SECTIONS, "sector", errors),
        size_class=_choice(get("size_class"), SIZE_CLASSES, "size_class", errors),
        phase=_choice(get("phase"), PHASES, "phase", errors),
        maturity=_choice(get("maturity"), MATURITIES, "maturity", errors),
        archetype=_choice(get("archetype"), INTERVENTION_KIND_SLUGS, "archetype", errors),
    )
    org_id = _id(get("organisation_id"), "organisation_id", errors)
    partner_id = _id(get("partner"), "partner", errors)
    province_ids: frozenset[int] | None = None
    region = None
    label = ""
    province_text = (get("province") or "").strip()
    if province_text:
        name = province_name(province_text)
        row = session.scalars(select(Province).where(Province.name == name)).first() \
            if name else None
        if row is None:
            _error(errors, "province", N_("No province has this name."))
        else:
            province_ids, label = frozenset({row.id}), row.name
    region_text = (get("region") or "").strip()
    if region_text and "province" not in errors:
        region = _region(session, region_text, errors)
        if region is not None:
            province_ids, label = _region_provinces(session, region.id), region.name
            allowed = monitor_province_ids(user)
            if allowed is not None and province_ids & allowed:
                # A region across a province border: the part in the user's provinces.
                province_ids = province_ids & allowed
    for name, value in (("organisation_id", org_id), ("partner", partner_id)):
        if value is not None and session.get(Organisation, value) is None:
            _error(errors, name, N_("Choose one of the listed organisations."))
    if errors:
        raise ValidationFailed(errors)

    organisation_id = None
    if province_ids is None and region is None:
        if org_id is not None:
            organisation_id = org_id
        elif user.role == Role.coordinator.value or user.role == Role.admin.value:
            allowed = monitor_province_ids(user)
            province_ids = None if allowed is None else frozenset(allowed)
        else:
            organisation_id = user.organisation_id
    elif org_id is not None:
        partner_id = partner_id or org_id
    if organisation_id is not None:
        partner_id = None
        label = session.get(Organisation, organisation_id).name
    elif not label:
        label = ", ".join(session.scalars(select(Province.name).where(
            Province.id.in_(sorted(province_ids))).order_by(Province.name))) \
            if province_ids is not None else N_("the Netherlands")
    if not may_monitor(user, province_ids=province_ids if organisation_id is None else None,
                       organisation_id=organisation_id):
        raise NotAllowed(N_("You may not see the figures of this area or organisation."))
    return MonitorScope(province_ids=province_ids, region_id=region.id if region else None,
                        organisation_id=organisation_id, date_from=date_from, date_to=date_to,
                        partner_id=partner_id, label=label, today=today, **filters)


def with_period(scope: MonitorScope, date_from: date, date_to: date) -> MonitorScope:
    return replace(scope, date_from=date_from, date_to=date_to)
