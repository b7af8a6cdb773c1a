"""The journey list: the statement picking the listed companies' ids in the chosen order,
one page of them, and how many there are (capped)."""
from sqlalchemy import case, exists, func, or_, select, union
from sqlalchemy.orm import Session

from ...models import Company, Intervention, Referral
from ...models.reference import region_municipalities
from ...models.vocabulary import OPEN_REFERRAL_STATUSES
from .filters import Filters, Scope
from .visibility import (_day, _failed_candidates, _in_scope, _summary, visible_referrals,
                         visits)


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
