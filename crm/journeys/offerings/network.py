"""Offerings: the provider network (who takes part in which offerings)."""
from datetime import date

from sqlalchemy import Select, and_, func, or_, select

from ...models import Offering, OfferingProvider, Organisation
from ..clock import today
from .filters import in_province, is_current


def provider_name():
    """SQL: a provider's display name: its organisation's name, else the name given."""
    return func.coalesce(Organisation.name, OfferingProvider.name)


def provider_network(*, province_id: int | None = None, on: date | None = None,
                     current_only: bool = True) -> Select:
    """One row per provider (an organisation in the CRM, or a free name): ``name``,
    ``organisation_id``, ``offerings`` (how many it takes part in), ordered by name.
    Use :func:`provider_memberships` for the offerings and roles of a page of them."""
    on = on or today()
    name = provider_name().label("name")
    stmt = (select(name, OfferingProvider.organisation_id,
                   func.count(func.distinct(OfferingProvider.offering_id)).label("offerings"))
            .select_from(OfferingProvider)
            .join(Offering, Offering.id == OfferingProvider.offering_id)
            .outerjoin(Organisation, Organisation.id == OfferingProvider.organisation_id)
            .group_by(provider_name(), OfferingProvider.organisation_id)
            .order_by(func.lower(provider_name()), OfferingProvider.organisation_id))
    if current_only:
        stmt = stmt.where(is_current(on))
    if province_id:
        stmt = stmt.where(in_province(province_id))
    return stmt


def provider_memberships(providers, *, province_id: int | None = None, on: date | None = None,
                         current_only: bool = True) -> Select:
    """``(provider name, organisation_id, OfferingProvider, Offering)`` rows for the given
    provider rows of :func:`provider_network`, ordered by provider and offering name."""
    on = on or today()
    org_ids = [p.organisation_id for p in providers if p.organisation_id is not None]
    names = [p.name for p in providers if p.organisation_id is None]
    stmt = (select(provider_name().label("name"), OfferingProvider.organisation_id,
                   OfferingProvider, Offering)
            .select_from(OfferingProvider)
            .join(Offering, Offering.id == OfferingProvider.offering_id)
            .outerjoin(Organisation, Organisation.id == OfferingProvider.organisation_id)
            .where(or_(OfferingProvider.organisation_id.in_(org_ids),
                       and_(OfferingProvider.organisation_id.is_(None),
                            OfferingProvider.name.in_(names))))
            .order_by(func.lower(provider_name()), OfferingProvider.organisation_id,
                      func.lower(Offering.name), Offering.id, OfferingProvider.role))
    if current_only:
        stmt = stmt.where(is_current(on))
    if province_id:
        stmt = stmt.where(in_province(province_id))
    return stmt
