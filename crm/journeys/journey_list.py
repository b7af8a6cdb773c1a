"""The journey list: the companies in a viewer's scope with their journey at a glance —
organisations visited, the last step, open referrals — sortable and filterable.

Scope: a regional coordinator sees the companies in the provinces they coordinate; everyone
else sees the companies their own organisation worked with (an intervention, or a referral it
sent or received). What the row *says* follows the klantreis visibility rules
(:mod:`crm.policy`): another organisation's interventions count only while the company
consents to sharing its journey; referral routes count for parties, under consent, and for the
coordinator of the company's province.

*Organisations visited* are the organisations with a visible intervention, and the receivers of
a visible referral that was accepted. The *last step* is the latest visible intervention or
referral step (the same order as the timeline).

Computed in two phases so a page stays fast however many companies are in scope: (1) one
statement picks the page's company ids — sorted by name straight from the companies table, or,
for the aggregate sorts and filters, joined to ``GROUP BY`` aggregates over the interventions and
referrals; (2) a handful of statements fill in the rows of just those companies.
"""
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import (Date, Integer, case, cast, exists, func, literal, null, or_,
                        select, true, union, union_all)
from sqlalchemy.orm import Session

from ..models.base import UTCDateTime
from ..models import (Company, Consent, Intervention, Municipality, Organisation, Province,
                      Referral, ReferralStep, Region, Role, SbiSection, User)
from ..models.reference import region_municipalities
from ..models.vocabulary import OPEN_REFERRAL_STATUSES
from ..reference import is_digits
from .errors import N_

SORTS = ("name", "last_step", "organisations", "open_referrals")
SIZES = ("zzp", "micro", "klein", "middelgroot", "groot")
PHASES = ("starter", "scale-up", "overig")
MATURITIES = ("laag", "middel", "hoog", "onbekend")
FAILED = ("rejected", "failed")
#: Query-string keys of the filters (also what a saved view keeps).
FILTER_KEYS = ("province", "region", "municipality", "sector", "size", "phase", "maturity",
               "organisation", "open_referral", "failed_last", "sort")


@dataclass
class Filters:
    province: int | None = None
    region: int | None = None
    municipality: int | None = None
    sector: str | None = None
    size: str | None = None
    phase: str | None = None
    maturity: str | None = None
    organisation: int | None = None
    open_referral: bool = False
    failed_last: bool = False
    #: A key of :data:`SORTS`, with a leading ``-`` for descending.
    sort: str = "name"

    def args(self) -> dict:
        """The filters as query arguments (only those set; the default sort left out)."""
        out = {}
        for key in FILTER_KEYS:
            value = getattr(self, key)
            if key == "sort":
                if value != "name":
                    out[key] = value
            elif value is True:
                out[key] = "1"
            elif value not in (None, False):
                out[key] = value
        return out


@dataclass
class Scope:
    user: User
    #: The provinces a coordinator coordinates; ``None``: the own organisation's companies.
    province_ids: list[int] | None

    @property
    def regional(self) -> bool:
        return self.province_ids is not None


def scope_for(user: User) -> Scope:
    if user.role == Role.coordinator.value and user.provinces:
        return Scope(user, [p.id for p in user.provinces])
    return Scope(user, None)


def options(session: Session, scope: Scope) -> dict:
    """The choices of each filter in this scope (ids/slugs with names)."""
    provinces = select(Province.id, Province.name).order_by(Province.name)
    municipalities = select(Municipality.id, Municipality.name).order_by(Municipality.search_name)
    regions = select(Region.id, Region.name).order_by(Region.name)
    if scope.regional:
        provinces = provinces.where(Province.id.in_(scope.province_ids))
        municipalities = municipalities.where(Municipality.province_id.in_(scope.province_ids))
        regions = regions.where(Region.id.in_(
            select(region_municipalities.c.region_id)
            .join(Municipality, Municipality.id == region_municipalities.c.municipality_id)
            .where(Municipality.province_id.in_(scope.province_ids))))
    return {
        "provinces": session.execute(provinces).all(),
        "regions": session.execute(regions).all(),
        "municipalities": session.execute(municipalities).all(),
        "sectors": session.execute(select(SbiSection.letter, SbiSection.name_nl)
                                   .order_by(SbiSection.letter)).all(),
        "organisations": session.execute(select(Organisation.id, Organisation.name)
                                         .order_by(Organisation.name)).all(),
    }


def parse_filters(args: Mapping, opts: dict) -> tuple[Filters, list[tuple[str, dict]]]:
    """Filters from query arguments; unknown values are dropped and reported (msgids)."""
    f, problems = Filters(), []

    def choice(key, allowed):
        raw = (args.get(key) or "").strip()[:40]
        if not raw:
            return None
        if allowed is int:
            return raw
        if raw in allowed:
            return raw
        problems.append((N_("Unknown value for the filter “%(filter)s” was ignored."),
                         {"filter": key}))
        return None

    def ident(key, rows):
        raw = choice(key, int)
        if raw is None:
            return None
        if is_digits(raw) and len(raw) < 10 and int(raw) in {r[0] for r in rows}:
            return int(raw)
        problems.append((N_("Unknown value for the filter “%(filter)s” was ignored."),
                         {"filter": key}))
        return None

    f.province = ident("province", opts["provinces"])
    f.region = ident("region", opts["regions"])
    f.municipality = ident("municipality", opts["municipalities"])
    f.organisation = ident("organisation", opts["organisations"])
    f.sector = choice("sector", {r[0] for r in opts["sectors"]})
    f.size = choice("size", SIZES)
    f.phase = choice("phase", PHASES)
    f.maturity = choice("maturity", MATURITIES)
    f.open_referral = args.get("open_referral") in ("1", "on", "true")
    f.failed_last = args.get("failed_last") in ("1", "on", "true")
    f.sort = choice("sort", SORTS + tuple("-" + s for s in SORTS)) or "name"
    return f, problems


# --- what the viewer may count ----------------------------------------------------------------

def _consented():
    return select(Consent.company_id).where(Consent.withdrawn_at.is_(None))


def visible_interventions(scope: Scope):
    """Interventions the viewer sees: their organisation's, or shared under consent."""
    return or_(Intervention.organisation_id == scope.user.organisation_id,
               Intervention.company_id.in_(_consented()))


def visible_referrals(scope: Scope):
    """Referrals whose route the viewer sees (every company of a coordinator's list lies in
    their provinces, so the coordinator sees every route there)."""
    if scope.regional:
        return true()
    own = scope.user.organisation_id
    return or_(Referral.from_organisation_id == own, Referral.to_organisation_id == own,
               Referral.company_id.in_(_consented()))


def _intervention_parts(scope: Scope, *columns, organisation_id: int | None = None,
                        company_ids=None) -> list:
    """The visible interventions as disjoint parts, each read from an index: the viewer's own
    organisation's (``ix_interventions_organisation_company``: organisation, company, day) and,
    at companies that consent, the other organisations' (``ix_interventions_company_monitor``:
    company, day, kind, organisation). One ``OR`` of the two would read every intervention.
    ``organisation_id``: only that organisation's; ``company_ids``: only those companies'."""
    own = scope.user.organisation_id
    consented = _consented()
    if company_ids is not None:
        # The few companies drive the search, not every consent.
        consented = consented.where(Consent.company_id.in_(company_ids))
    parts = []
    if organisation_id in (None, own):
        parts.append(select(*columns).where(Intervention.organisation_id == own))
    if organisation_id != own:
        parts.append(select(*columns).where(
            Intervention.company_id.in_(consented),
            Intervention.organisation_id != own if organisation_id is None
            else Intervention.organisation_id == organisation_id))
    if company_ids is not None:
        parts = [part.where(Intervention.company_id.in_(company_ids)) for part in parts]
    return parts


def visits(scope: Scope, *, organisation_id: int | None = None, company_ids=None):
    """(company_id, organisation_id) of every organisation visited, without duplicates."""
    ints = _intervention_parts(scope, Intervention.company_id, Intervention.organisation_id,
                               organisation_id=organisation_id, company_ids=company_ids)
    refs = select(Referral.company_id, Referral.to_organisation_id).where(
        visible_referrals(scope), Referral.accepted_at.is_not(None))
    if organisation_id is not None:
        refs = refs.where(Referral.to_organisation_id == organisation_id)
    if company_ids is not None:
        refs = refs.where(Referral.company_id.in_(company_ids))
    return union(*ints, refs).subquery("visits")


def _day(column):
    return func.date(column)


def _in_scope(scope: Scope):
    """The companies of a coordinator's provinces, to aggregate over only those (``None`` for
    an organisation's list: the join to its companies restricts that)."""
    if scope.regional:
        return select(Company.id).where(Company.province_id.in_(scope.province_ids))
    return None


def _failed_candidates(scope: Scope):
    """Companies with a visible referral that was rejected or failed: the only ones whose
    last step can be such a step (both end a referral), a small part of the list."""
    stmt = select(Referral.company_id).where(visible_referrals(scope),
                                             Referral.status.in_(FAILED))
    if scope.regional:
        stmt = stmt.where(Referral.company_id.in_(_in_scope(scope)))
    return stmt


def _summary(scope: Scope, *, last: bool, orgs: bool, opened: bool, within=None,
             name: str = "summary"):
    """One row per company with what the sort and filters need — ``orgs`` (organisations
    visited), ``day`` (last visible intervention), ``at`` / ``failed_at`` (last visible referral
    step / last one that rejected or failed a referral), ``opened`` (open referrals) — from one
    ``GROUP BY`` over a ``UNION ALL`` of parts that are each read from an index (pre-aggregated
    per company where they can be), instead of several aggregates joined or a subquery per
    company. ``within``: only these companies (a coordinator's provinces, or candidates)."""
    own = scope.user.organisation_id
    null_int, null_day, null_at = (cast(null(), Integer), cast(null(), Date),
                                   cast(null(), UTCDateTime()))

    def row(company, org=null_int, day=null_day, at=null_at, failed=null_at, count=null_int):
        return (company.label("company_id"), org.label("org"), day.label("day"),
                at.label("at"), failed.label("failed_at"), count.label("opened"))

    day = func.max(Intervention.occurred_on) if last else null_day
    parts = []
    mine, shared = _intervention_parts(scope, Intervention.company_id, company_ids=within)
    if last or orgs:
        parts.append(mine.with_only_columns(*row(Intervention.company_id,
                                                 literal(own, Integer), day))
                     .group_by(Intervention.company_id))
        shared = shared.with_only_columns(*row(
            Intervention.company_id, Intervention.organisation_id if orgs else null_int, day))
        parts.append(shared.group_by(Intervention.company_id, Intervention.organisation_id)
                     if orgs else shared.group_by(Intervention.company_id))
    referrals = select().where(visible_referrals(scope))
    if within is not None:
        referrals = referrals.where(Referral.company_id.in_(within))
    if last:
        parts.append(referrals.with_only_columns(*row(
            Referral.company_id, at=func.max(ReferralStep.at),
            failed=func.max(case((ReferralStep.to_status.in_(FAILED), ReferralStep.at)))))
            .select_from(ReferralStep).join(Referral, Referral.id == ReferralStep.referral_id)
            .group_by(Referral.company_id))
    if orgs:
        parts.append(referrals.with_only_columns(*row(Referral.company_id,
                                                      Referral.to_organisation_id))
                     .where(Referral.accepted_at.is_not(None)))
    if opened:
        parts.append(referrals.with_only_columns(*row(Referral.company_id, count=func.count()))
                     .where(Referral.status.in_(OPEN_REFERRAL_STATUSES))
                     .group_by(Referral.company_id))
    u = union_all(*parts).subquery(name + "_parts")
    return (select(u.c.company_id, func.count(u.c.org.distinct()).label("orgs"),
                   func.max(u.c.day).label("day"), func.max(u.c.at).label("at"),
                   func.max(u.c.failed_at).label("failed_at"),
                   func.sum(u.c.opened).label("opened"))
            .group_by(u.c.company_id).subquery(name))


def _base(scope: Scope, f: Filters, *, whole: bool = False):
    """The companies on the list with the filters on their fields. ``whole``: every one of them
    will be looked at (an aggregate sort), rather than the first page by name."""
    stmt = select(Company.id)
    own = scope.user.organisation_id
    if scope.regional:
        stmt = stmt.where(Company.province_id.in_(scope.province_ids))
    elif whole:
        # The organisation's companies once, from the index-only sets of its interventions
        # and referrals.
        stmt = stmt.where(Company.id.in_(union(
            select(Intervention.company_id).where(Intervention.organisation_id == own),
            select(Referral.company_id).where(Referral.from_organisation_id == own),
            select(Referral.company_id).where(Referral.to_organisation_id == own))))
    else:
        # Correlated EXISTS: walking the companies by name, a page needs only as many probes
        # (on the company's own index) as it takes to find its rows.
        stmt = stmt.where(or_(
            exists().where(Intervention.organisation_id == own,
                           Intervention.company_id == Company.id),
            exists().where(Referral.company_id == Company.id,
                           or_(Referral.from_organisation_id == own,
                               Referral.to_organisation_id == own))))
    for column, value in ((Company.province_id, f.province),
                          (Company.municipality_id, f.municipality),
                          (Company.sbi_section, f.sector), (Company.size_class, f.size),
                          (Company.phase, f.phase), (Company.digital_maturity, f.maturity)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.region is not None:
        stmt = stmt.where(Company.municipality_id.in_(
            select(region_municipalities.c.municipality_id)
            .where(region_municipalities.c.region_id == f.region)))
    if f.organisation is not None:
        # The organisation's visits, each part from an index (``visits``); one set to probe.
        v = visits(scope, organisation_id=f.organisation)
        stmt = stmt.where(Company.id.in_(select(v.c.company_id)))
    if f.open_referral:
        stmt = stmt.where(exists().where(
            Referral.company_id == Company.id, visible_referrals(scope),
            Referral.status.in_(OPEN_REFERRAL_STATUSES)))
    return stmt


def _aggregated(scope: Scope, f: Filters) -> bool:
    return f.sort.lstrip("-") != "name" or f.failed_last


#: *Last step failed* with a ``session``: up to this many companies qualify, their ids go into the
#: listing as a list (the planner knows how many; SQLite takes 32,766 parameters at most).
MAX_LISTED_IDS = 20_000


def listing(scope: Scope, f: Filters, session: Session | None = None):
    """The statement selecting the listed companies' ids, in the chosen order. An aggregate
    sort or filter joins the companies to their :func:`_summary` (over the companies in scope,
    or, for *last step failed*, over the few that qualify); by name the list pages straight
    from the name index. With a ``session``, the companies whose last step failed are looked
    up first (a small set: the planner cannot estimate the aggregate condition, and would
    loop over it)."""
    key, descending = f.sort.lstrip("-"), f.sort.startswith("-")
    if not _aggregated(scope, f):
        stmt, sort_column = _base(scope, f), None
    else:
        stmt, sort_column, within = _base(scope, f, whole=True), None, _in_scope(scope)
        if f.failed_last:
            # Only companies with a rejected or failed referral can qualify: summarise those
            # few, and keep the ones whose last step it was. (A set to probe rather than a join:
            # the planner cannot estimate how many pass, and must not loop over it.)
            within = _failed_candidates(scope)
            last = _summary(scope, last=True, orgs=False, opened=False, within=within,
                            name="failed_last")
            within = select(last.c.company_id).where(
                last.c.failed_at.is_not(None), last.c.failed_at == last.c.at,
                or_(last.c.day.is_(None), last.c.day <= _day(last.c.failed_at)))
            if session is not None:
                found = session.scalars(within).all()
                if len(found) <= MAX_LISTED_IDS:
                    within = found
            stmt = stmt.where(Company.id.in_(within))
        if key != "name":
            summary = _summary(scope, last=key == "last_step", orgs=key == "organisations",
                               opened=key == "open_referrals", within=within)
            stmt = stmt.outerjoin(summary, summary.c.company_id == Company.id)
            day, step_day = summary.c.day, _day(summary.c.at)
            sort_column = {"organisations": func.coalesce(summary.c.orgs, 0),
                           "open_referrals": func.coalesce(summary.c.opened, 0),
                           "last_step": case((day.is_(None), step_day),
                                             (summary.c.at.is_(None), day),
                                             (day > step_day, day), else_=step_day)}[key]
    if sort_column is not None:
        sort_column = sort_column.desc() if descending else sort_column.asc()
        stmt = stmt.order_by(sort_column.nulls_last())
    name = Company.sort_name.desc() if key == "name" and descending else Company.sort_name
    return stmt.order_by(name, Company.id)


def page(session: Session, scope: Scope, f: Filters, *, offset: int, limit: int
         ) -> tuple[list[int], int]:
    """The ids of one page of the list and the number of companies on it (at most
    :func:`count_limit` + 1). An aggregate sort or filter looks at every company anyway, so
    the number comes with the page (a window count) rather than from a second pass."""
    if _aggregated(scope, f):
        stmt = (listing(scope, f, session).add_columns(func.count().over())
                .offset(offset).limit(limit))
        found = session.execute(stmt).all()
        if found:
            return [cid for cid, _n in found], min(found[0][1], count_limit(scope) + 1)
        return [], count(session, scope, f, limit=count_limit(scope))
    ids = company_ids(session, scope, f, offset=offset, limit=limit)
    return ids, count(session, scope, f, limit=count_limit(scope))


def company_ids(session: Session, scope: Scope, f: Filters, *, offset: int = 0,
                limit: int | None = None) -> list[int]:
    """The ids of the companies on the list, in the chosen order."""
    stmt = listing(scope, f, session).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


#: Counting stops here: the page says "more than 10.000" rather than count every company
#: (an organisation's own list: "more than 1.000").
COUNT_LIMIT = 10_000
OWN_COUNT_LIMIT = 1_000


def count_limit(scope: Scope) -> int:
    return COUNT_LIMIT if scope.regional else OWN_COUNT_LIMIT


def count(session: Session, scope: Scope, f: Filters, *, limit: int | None = None) -> int:
    """How many companies the list has (the sort does not matter); at most ``limit`` + 1."""
    stmt = listing(scope, Filters(**{**f.__dict__, "sort": "name"}), session).order_by(None)
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    return session.scalar(select(func.count()).select_from(stmt.subquery()))


from .journey_rows import JourneyRow, Step, rows  # noqa: E402,F401  (the page's rows)
