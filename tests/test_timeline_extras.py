"""The timeline's survey answers, unanswered survey links and DMA results, read in one
statement: each source keeps its own rule (answers and results of another organisation only
under consent, links only the viewer's own), links show as open or expired, and the values come
back with their types on both databases."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.consent import give_consent
from crm.journeys.interventions import log_intervention
from crm.journeys.maturity import record_assessment
from crm.journeys.survey import answer, invite
from crm.journeys.timeline import timeline_for
from crm.models import utcnow
from crm.models.survey import SurveyInvitation
from crm.models.vocabulary import DMA_DIMENSION_NAMES


@pytest.fixture
def world(make_org, make_user, make_company):
    ours, theirs = make_org(name="Digitale Werkplaats Utrecht"), make_org(name="EDIH Noord")
    staff, partner = make_user(org=ours), make_user(org=theirs, name="Piet Partner")
    company = make_company()
    contact = log_intervention(company, {"kind": "scans", "summary": "Scan"}, by=staff)
    theirs_contact = log_intervention(company, {"kind": "workshops"}, by=partner)
    answered = invite(contact, by=staff)
    answer(answered, {"answer_1": 4, "answer_2": 6}, "Nuttig")
    invite(log_intervention(company, {"kind": "intake"}, by=staff), by=staff)  # open
    expired = invite(log_intervention(company, {"kind": "bezoek"}, by=staff), by=staff)
    invite(theirs_contact, by=partner)  # the partner's own open link
    record_assessment(company, dict.fromkeys(DMA_DIMENSION_NAMES, 60), "2026-02-01", by=partner)
    record_assessment(company, dict.fromkeys(DMA_DIMENSION_NAMES, 40), "2025-02-01", by=staff)
    db.session.flush()
    db.session.execute(sa.update(SurveyInvitation).where(SurveyInvitation.id == expired.id)
                       .values(created_at=utcnow() - timedelta(days=30),
                               expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    return {"staff": staff, "partner": partner, "company": company}


def _extras(company, viewer):
    return [i for i in timeline_for(company, viewer).items
            if i.type in ("survey", "survey-sent", "dma")]


def test_own_answers_links_and_results_with_their_values(world):
    timeline = timeline_for(world["company"], world["staff"])
    items = [i for i in timeline.items if i.type in ("survey", "survey-sent", "dma")]
    answered = [i for i in items if i.type == "survey"]
    assert len(answered) == 1 and answered[0].summary == "Nuttig" and answered[0].kind == "scans"
    assert answered[0].answers[:2] == [("answer_1", 4), ("answer_2", 6)]
    assert isinstance(answered[0].occurred_at, datetime) and answered[0].occurred_at.tzinfo
    links = sorted(i.kind for i in items if i.type == "survey-sent")
    assert links == ["expired", "open"]  # our two unanswered links; never the partner's
    # without consent only our own result; as dates, oldest first
    assert [(i.occurred_at, i.organisation) for i in timeline.dma] == [
        (date(2025, 2, 1), "Digitale Werkplaats Utrecht")]
    assert timeline.dma[0].scores[-1] == ("average", Decimal("40.00"))
    assert timeline.dma[0].scores[0] == (DMA_DIMENSION_NAMES[0], 40)


def test_another_organisation_sees_answers_and_results_only_under_consent(world):
    partner, company = world["partner"], world["company"]
    before = _extras(company, partner)
    assert sorted((i.type, i.kind, i.organisation) for i in before) == [
        ("dma", "entered", "EDIH Noord"), ("survey-sent", "open", "EDIH Noord")]
    give_consent(company, "mondeling", by=world["staff"])
    db.session.commit()
    timeline = timeline_for(company, partner)
    kinds = sorted((i.type, i.organisation) for i in timeline.items
                   if i.type in ("survey", "survey-sent", "dma"))
    assert kinds == [("dma", "Digitale Werkplaats Utrecht"), ("dma", "EDIH Noord"),
                     ("survey", "Digitale Werkplaats Utrecht"), ("survey-sent", "EDIH Noord")]
    assert [i.occurred_at for i in timeline.dma] == [date(2025, 2, 1), date(2026, 2, 1)]
