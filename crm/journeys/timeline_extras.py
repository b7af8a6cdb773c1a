"""The timeline's entries besides interventions, referrals and consents — survey answers, the
viewer's unanswered survey links, DMA results — read with one statement.

Most companies have none of them, and each small statement costs a round trip and the driver's
and SQLAlchemy's work per statement (~0.25 ms on PostgreSQL); the three sources share one
column layout in a UNION ALL instead: ``source, id, at, on, organisation_id, organisation,
text_a, text_b, expires_at, average, v1 … v10`` (the answers, or the six DMA scores).
"""
import functools

from sqlalchemy import Date, bindparam, cast, literal, null, select, union_all

from ..models import Organisation, User, utcnow
from ..models.base import UTCDateTime
from ..models.survey import DmaAssessment, SurveyInvitation, SurveyResponse
from ..models.vocabulary import DMA_DIMENSION_NAMES, SURVEY_QUESTION_KEYS

_VALUES = len(SURVEY_QUESTION_KEYS)


def _none(type_):
    return cast(null(), type_)


@functools.cache
def _statement(consent: bool):
    """Built once (parameters ``company_id`` and ``own``). The first branch types the columns."""
    company_id, own = bindparam("company_id"), bindparam("own")
    responses = (select(literal("survey"), SurveyResponse.id, SurveyResponse.answered_at,
                        _none(Date), SurveyResponse.organisation_id, Organisation.name,
                        SurveyResponse.archetype, SurveyResponse.comment,
                        _none(UTCDateTime()), _none(DmaAssessment.average.type),
                        *(getattr(SurveyResponse, k) for k in SURVEY_QUESTION_KEYS))
                 .join(Organisation, Organisation.id == SurveyResponse.organisation_id)
                 .where(SurveyResponse.company_id == company_id))
    if not consent:
        responses = responses.where(SurveyResponse.organisation_id == own)
    # the viewer's own links that were not answered (yet)
    links = (select(literal("survey-sent"), SurveyInvitation.id, SurveyInvitation.created_at,
                    null(), SurveyInvitation.organisation_id, Organisation.name, User.name,
                    null(), SurveyInvitation.expires_at, null(),
                    *(null() for _ in range(_VALUES)))
             .join(Organisation, Organisation.id == SurveyInvitation.organisation_id)
             .outerjoin(User, User.id == SurveyInvitation.created_by_id)
             .where(SurveyInvitation.company_id == company_id,
                    SurveyInvitation.organisation_id == own,
                    SurveyInvitation.used_at.is_(None)))
    scores = [getattr(DmaAssessment, d) for d in DMA_DIMENSION_NAMES]
    results = (select(literal("dma"), DmaAssessment.id, null(), DmaAssessment.assessed_on,
                      DmaAssessment.organisation_id, Organisation.name, DmaAssessment.source,
                      null(), null(), DmaAssessment.average,
                      *scores, *(null() for _ in range(_VALUES - len(scores))))
               .join(Organisation, Organisation.id == DmaAssessment.organisation_id)
               .where(DmaAssessment.company_id == company_id))
    if not consent:
        results = results.where(DmaAssessment.organisation_id == own)
    return union_all(responses, links, results)


def timeline_extras(session, company_id: int, own_organisation_id: int,
                    consent: bool) -> tuple[list, list]:
    """(survey entries — answers, the organisation's own links not answered —, DMA results
    oldest first), as timeline items: others' answers and results only under consent."""
    from .timeline import TimelineItem
    surveys, dma = [], []
    now = utcnow()
    for (source, id_, at, on, org_id, org_name, text_a, text_b, expires, average,
         *values) in session.connection().execute(
            _statement(consent), {"company_id": company_id, "own": own_organisation_id}):
        if source == "survey":
            surveys.append(TimelineItem("survey", at, org_id, org_name, id_, kind=text_a,
                                        summary=text_b or "",
                                        answers=list(zip(SURVEY_QUESTION_KEYS, values))))
        elif source == "survey-sent":
            surveys.append(TimelineItem("survey-sent", at, org_id, org_name, id_,
                                        kind="expired" if expires <= now else "open",
                                        actor=text_a))
        else:
            dma.append(TimelineItem("dma", on, org_id, org_name, id_, kind=text_a,
                                    scores=[*zip(DMA_DIMENSION_NAMES, values),
                                            ("average", average)]))
    dma.sort(key=lambda item: (item.occurred_at, item.id))  # oldest first, as the movement
    return surveys, dma
