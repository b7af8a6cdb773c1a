"""Reads of the impact survey: the figures for the dashboard (its timeline entries are read
with the DMA results, see :mod:`crm.journeys.timeline_extras`)."""

from sqlalchemy import Select, case, func, literal, select

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
