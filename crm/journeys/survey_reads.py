"""Reads of the impact survey: the figures for the dashboard and the timeline entries."""
import functools

from sqlalchemy import Select, bindparam, case, func, literal, select
from sqlalchemy.orm import Session

from ..models import User, utcnow
from ..models.survey import SurveyInvitation, SurveyResponse
from ..models.vocabulary import SURVEY_QUESTION_KEYS, SURVEY_SCORED_VALUES


def _mean(column):
    """Mean of the answers that measure an extent (1–4); 'don't know' and 'n/a' left out."""
    return func.avg(case((column.in_(SURVEY_SCORED_VALUES), column), else_=None) * 1.0)


def survey_results_select(group: str = "archetype", *, company_ids=None,
                          organisation_ids=None, answered_from=None,
                          answered_to=None) -> Select:
    """Survey results per ``group`` (``archetype``, ``organisation`` or ``all``).

    Rows: ``key`` (archetype slug / organisation id / None), ``responses`` (count),
    ``companies`` (distinct), and ``mean_answer_1`` … ``mean_answer_10``: the mean answer on
    the 1–4 scale (1 not at all … 4 to a large extent), NULL when nobody gave a scored answer.
    Filters: ``company_ids`` (a select of company ids or a list), ``organisation_ids``,
    ``answered_from``/``answered_to`` (datetimes, inclusive from, exclusive to).
    """
    key = {"archetype": SurveyResponse.archetype,
           "organisation": SurveyResponse.organisation_id,
           "all": literal(None)}[group]
    stmt = select(key.label("key"), func.count().label("responses"),
                  func.count(func.distinct(SurveyResponse.company_id)).label("companies"),
                  *(_mean(getattr(SurveyResponse, k)).label(f"mean_{k}")
                    for k in SURVEY_QUESTION_KEYS))
    if company_ids is not None:
        stmt = stmt.where(SurveyResponse.company_id.in_(company_ids))
    if organisation_ids is not None:
        stmt = stmt.where(SurveyResponse.organisation_id.in_(organisation_ids))
    if answered_from is not None:
        stmt = stmt.where(SurveyResponse.answered_at >= answered_from)
    if answered_to is not None:
        stmt = stmt.where(SurveyResponse.answered_at < answered_to)
    if group != "all":
        stmt = stmt.group_by(key).order_by(key)
    return stmt


def response_rate_select(*, company_ids=None, organisation_ids=None, sent_from=None,
                         sent_to=None) -> Select:
    """Invitations sent and answered per organisation: rows ``organisation_id``,
    ``invitations``, ``responses`` (a response rate is responses / invitations)."""
    stmt = (select(SurveyInvitation.organisation_id.label("organisation_id"),
                   func.count().label("invitations"),
                   func.count(SurveyInvitation.used_at).label("responses"))
            .group_by(SurveyInvitation.organisation_id)
            .order_by(SurveyInvitation.organisation_id))
    if company_ids is not None:
        stmt = stmt.where(SurveyInvitation.company_id.in_(company_ids))
    if organisation_ids is not None:
        stmt = stmt.where(SurveyInvitation.organisation_id.in_(organisation_ids))
    if sent_from is not None:
        stmt = stmt.where(SurveyInvitation.created_at >= sent_from)
    if sent_to is not None:
        stmt = stmt.where(SurveyInvitation.created_at < sent_to)
    return stmt



@functools.cache
def _timeline_statements(consent: bool):
    """Built once (parameters ``company_id``, ``own``, ``now``): see crm.journeys.timeline."""
    from ..models import Organisation
    company_id, own = bindparam("company_id"), bindparam("own")
    responses = (select(SurveyResponse.id, SurveyResponse.answered_at,
                        SurveyResponse.organisation_id, Organisation.name,
                        SurveyResponse.archetype, SurveyResponse.comment,
                        *(getattr(SurveyResponse, k) for k in SURVEY_QUESTION_KEYS))
                 .join(Organisation, Organisation.id == SurveyResponse.organisation_id)
                 .where(SurveyResponse.company_id == company_id))
    if not consent:
        responses = responses.where(SurveyResponse.organisation_id == own)
    unanswered = (select(SurveyInvitation.id, SurveyInvitation.created_at,
                         SurveyInvitation.expires_at, SurveyInvitation.organisation_id,
                         Organisation.name, User.name)
                  .join(Organisation, Organisation.id == SurveyInvitation.organisation_id)
                  .outerjoin(User, User.id == SurveyInvitation.created_by_id)
                  .where(SurveyInvitation.company_id == company_id,
                         SurveyInvitation.organisation_id == own,
                         SurveyInvitation.used_at.is_(None)))
    return responses, unanswered


def survey_timeline_items(session: Session, company_id: int, own_organisation_id: int,
                          consent: bool) -> list:
    """Timeline entries: survey answers (the organisation's own, others' under consent) and
    the organisation's own links that were not answered (yet)."""
    from .timeline import TimelineItem
    params = {"company_id": company_id, "own": own_organisation_id}
    responses, unanswered = _timeline_statements(consent)
    items = []
    run = session.connection().execute
    for rid, at, org_id, org_name, archetype, comment, *values in run(
            responses, params).all():
        items.append(TimelineItem(
            "survey", at, org_id, org_name, rid, kind=archetype, summary=comment or "",
            answers=list(zip(SURVEY_QUESTION_KEYS, values))))
    now = utcnow()
    for iid, at, expires, org_id, org_name, actor in run(unanswered, params).all():
        items.append(TimelineItem("survey-sent", at, org_id, org_name, iid,
                                  kind="expired" if expires <= now else "open", actor=actor))
    return items
