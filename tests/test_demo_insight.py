"""The demo's impact data: answered surveys, DMA movement, near-duplicates and saved views, all
in the past, written through the operations (audit trail), and visible to a coordinator."""
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from crm import demo
from crm.extensions import db
from crm.journeys.clock import today
from crm.journeys.maturity import maturity_movement
from crm.journeys.monitor import impact
from crm.journeys.monitor.scope import scope_from_params
from crm.models import (AuditEntry, Company, DuplicatePair, Intervention, Organisation,
                        SavedView, User, utcnow)
from crm.models.survey import DmaAssessment, SurveyInvitation, SurveyResponse
from crm.models.vocabulary import SURVEY_QUESTION_KEYS
from tests.conftest import PASSWORD, login


def _audit_at(record_type, record_id):
    return db.session.scalar(sa.select(AuditEntry.at).where(
        AuditEntry.record_type == record_type, AuditEntry.record_id == record_id))


def test_demo_shows_surveys_maturity_duplicates_and_saved_views(app, client):
    demo.seed(db.session)
    db.session.commit()
    now, day = utcnow(), today()

    # Survey: links after interventions and completed referrals, about 60% answered, the rest
    # expired or still open; all made in the past and valid for 30 days.
    invitations = db.session.scalars(sa.select(SurveyInvitation)).all()
    assert len(invitations) >= 50
    assert any(i.referral_id for i in invitations) and any(i.intervention_id for i in invitations)
    answered = [i for i in invitations if i.used_at is not None]
    assert 0.5 <= len(answered) / len(invitations) <= 0.7
    assert any(i.used_at is None and i.expires_at < now for i in invitations)  # expired
    for i in invitations:
        assert i.created_at < now and i.expires_at == i.created_at + timedelta(days=30)
        assert i.used_at is None or i.created_at < i.used_at < min(i.expires_at, now)
        assert _audit_at("survey_invitation", i.id) == i.created_at
    responses = db.session.scalars(sa.select(SurveyResponse)).all()
    assert len(responses) == len(answered)
    values = [r.answers()[k] for r in responses for k in SURVEY_QUESTION_KEYS]
    assert set(values) - {None} == {1, 2, 3, 4, 5, 6}  # the whole scale is used
    assert sum(v in (3, 4) for v in values) > sum(v in (1, 2) for v in values)  # mostly content
    assert any(r.comment for r in responses)
    for r in responses:
        assert r.answered_at == r.invitation.used_at
        assert _audit_at("survey_response", r.id) == r.answered_at

    # DMA: only for companies an EDIH helped, first result and mostly a later, higher one.
    results = db.session.scalars(sa.select(DmaAssessment)).all()
    assessed = {r.company_id for r in results}
    edih_helped = set(db.session.scalars(
        sa.select(Intervention.company_id).join(Organisation)
        .where(Organisation.kind == "edih")))
    assert assessed and assessed <= edih_helped
    assert 0.2 <= len(assessed) / len(edih_helped) <= 0.5
    for r in results:
        assert r.assessed_on < day
        assert all(0 <= v <= 100 for v in r.scores().values())
        assert _audit_at("dma_assessment", r.id) == r.created_at
    moved = [maturity_movement(db.session.get(Company, c)) for c in sorted(assessed)]
    moved = [m for m in moved if m.count > 1]
    assert len(moved) >= len(assessed) * 0.6
    assert all(m.latest.assessed_on > m.first.assessed_on for m in moved)
    up = [m for m in moved if m.dimensions[-1].change > 0]
    assert len(up) >= len(moved) * 0.7
    assert any(d.change < 0 for m in moved for d in m.dimensions[:-1])  # now and then a dip

    # Near-duplicates without KVK number in one place, stored as open pairs.
    pairs = db.session.scalars(sa.select(DuplicatePair).where(
        DuplicatePair.status == "open")).all()
    named = {frozenset((db.session.get(Company, p.company_a_id).name,
                        db.session.get(Company, p.company_b_id).name)) for p in pairs}
    assert frozenset(("Bakkerij Jansen", "Bakkerij Jansen B.V.")) in named
    for p in pairs:
        a, b = db.session.get(Company, p.company_a_id), db.session.get(Company, p.company_b_id)
        assert a.municipality_id == b.municipality_id and p.score >= 85
    bakeries = db.session.scalars(sa.select(Company).where(
        Company.name.in_(("Bakkerij Jansen", "Bakkerij Jansen B.V.")))).all()
    assert all(c.kvk is None for c in bakeries)
    assert len({c.created_by_id for c in bakeries}) == 2  # entered by two organisations

    # Saved views: every coordinator has one of the journey list and one of the dashboard.
    coordinators = db.session.scalars(sa.select(User).where(User.role == "coordinator")).all()
    for user in coordinators:
        kinds = {v.kind for v in db.session.scalars(sa.select(SavedView).filter_by(
            user_id=user.id))}
        assert kinds == {"journeys", "dashboard"}

    # Each coordinator's monitor shows the response rate, answers and the DMA change (five or
    # more companies: not suppressed).
    for user in coordinators:
        scope = scope_from_params(db.session, user, {})
        survey = impact.survey(db.session, scope)
        assert survey["response_rate"] and isinstance(survey["responses"], int)
        assert isinstance(survey["questions"][0]["mean"], float)
        change = impact.dma(db.session, scope)
        assert isinstance(change["companies"], int) and change["companies"] >= 5
        assert change["dimensions"][-1]["change"] > 0
    coordinator = coordinators[0]
    coordinator.password_hash = generate_password_hash(PASSWORD)
    db.session.commit()
    login(client, coordinator)
    assert client.get("/monitor").status_code == 200
    page = client.get("/saved-views").get_data(as_text=True)
    assert all(v.name in page for v in db.session.scalars(
        sa.select(SavedView).filter_by(user_id=coordinator.id)))
    for view in db.session.scalars(sa.select(SavedView).filter_by(user_id=coordinator.id)):
        path = "/journeys" if view.kind == "journeys" else "/monitor"
        assert client.get(f"{path}?{view.query}").status_code == 200
