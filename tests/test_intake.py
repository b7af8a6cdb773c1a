"""The intake point's queue and triage of questions from the front door."""
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.intake import (AlreadyTriaged, accept_intake, intake_queue, link_company,
                                 mark_spam)
from crm.journeys.errors import NotAllowed
from crm.models import (AuditEntry, Company, Consent, IntakeRequest, Intervention, Municipality,
                        Offering, Referral, User)


def body(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def point(make_org):
    return make_org("Voordeur Utrecht", provinces=("Utrecht",), intake_point=True)


@pytest.fixture
def make_intake(point):
    def make(org=None, **overrides):
        municipality = db.session.execute(
            sa.select(Municipality).filter_by(name="Utrecht")).scalar_one()
        values = dict(organisation_id=(org or point).id, kvk="12345678",
                      company_name="Bakkerij De Korst", municipality_id=municipality.id,
                      contact_name="Anna de Vries", email="anna@bakkerij.nl", phone="",
                      question="Hoe kan ik mijn bestellingen online laten verlopen?",
                      consent=True)
        values.update(overrides)
        intake = IntakeRequest(**values)
        db.session.add(intake)
        db.session.commit()
        return intake
    return make


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --------------------------------------------------------------------------- who sees what

def test_the_queue_is_visible_only_to_the_intake_points_users(client, point, make_org,
                                                              make_user, make_intake, login_as):
    other = make_org("Andere organisatie")
    mine = make_intake(question="Onze vraag over de webwinkel, graag hulp")
    theirs = make_intake(org=other, company_name="Ander Bedrijf",
                         question="Een vraag die bij de ander hoort")
    response = client.get("/intake")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/intake/{mine.id}").status_code == 302

    signed_in = login_as(make_user(org=point))
    page = body(signed_in.get("/intake"))
    assert "Bakkerij De Korst" in page and "Ander Bedrijf" not in page
    assert signed_in.get(f"/intake/{mine.id}").status_code == 200
    assert signed_in.get(f"/intake/{theirs.id}").status_code == 404
    assert signed_in.post(f"/intake/{theirs.id}", data={"action": "spam"}).status_code == 404
    assert fresh(theirs).status == "new"
    assert signed_in.get("/intake/999999").status_code == 404
    assert signed_in.get("/intake/99999999999").status_code == 404


def test_queue_order_and_status_filter(app, point, make_user, make_intake, login_as):
    user = make_user(org=point)
    old = make_intake(status="handled", company_name="Oud")
    new = make_intake(company_name="Nieuw")
    ids = [i.id for i in db.session.scalars(intake_queue(user))]
    assert ids == [new.id, old.id]
    assert [i.id for i in db.session.scalars(intake_queue(user, "handled"))] == [old.id]
    page = body(login_as(user).get("/intake?status=new"))
    assert "Nieuw" in page and ">Oud<" not in page


def test_an_admin_of_another_organisation_does_not_see_the_queue(app, point, make_user,
                                                                make_intake):
    intake = make_intake()
    admin = make_user(role="admin")
    assert list(db.session.scalars(intake_queue(admin))) == []
    with pytest.raises(NotAllowed):
        mark_spam(intake, by=admin)


# --------------------------------------------------------------------------- triage

def test_accept_and_refer_creates_the_company_consent_intake_and_referral(
        client, point, make_org, make_user, make_intake, login_as):
    receiver = make_org("Werkplaats Utrecht", kind="werkplaats")
    user = make_user(org=point)
    intake = make_intake(phone="06 12345678")
    signed_in = login_as(user)
    page = body(signed_in.get(f"/intake/{intake.id}"))
    assert "Werkplaats Utrecht" in page
    response = signed_in.post(f"/intake/{intake.id}", data={
        "action": "refer", "to_organisation_id": str(receiver.id), "offering_id": "",
        "question": "Wil een webwinkel opzetten."})
    assert response.status_code == 302, body(response)[:2000]

    intake = fresh(intake)
    assert intake.status == "referred" and intake.handled_by_id == user.id
    assert intake.handled_at is not None
    company = db.session.get(Company, intake.company_id)
    assert company.kvk == "12345678" and company.name == "Bakkerij De Korst"
    assert company.municipality.name == "Utrecht" and company.province_id is not None
    consent = db.session.scalars(sa.select(Consent).filter_by(company_id=company.id)).one()
    assert consent.basis == "voordeurformulier" and consent.organisation_id == point.id
    intervention = db.session.scalars(
        sa.select(Intervention).filter_by(company_id=company.id)).one()
    assert intervention.kind == "intake" and intervention.organisation_id == point.id
    assert intervention.summary == "Hoe kan ik mijn bestellingen online laten verlopen?"
    referral = db.session.scalars(sa.select(Referral).filter_by(company_id=company.id)).one()
    assert referral.to_organisation_id == receiver.id
    assert referral.from_organisation_id == point.id
    assert referral.entrepreneur_agrees and referral.question == "Wil een webwinkel opzetten."
    assert "anna@bakkerij.nl" in referral.context and "06 12345678" in referral.context
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.record_type == "intake", AuditEntry.record_id == intake.id)))
    assert actions == {"link", "accept"}

    page = body(signed_in.get(f"/intake/{intake.id}"))
    assert f"/referrals/{referral.id}" in page and f"/companies/{company.id}" in page
    assert 'name="action"' not in page  # triaged: no more buttons


def test_accept_links_an_existing_company_and_keeps_its_consent(
        app, point, make_user, make_intake, make_company):
    user = make_user(org=point)
    company = make_company(kvk="12345678", name="Bakkerij De Korst B.V.")
    db.session.add(Consent(company_id=company.id, organisation_id=point.id,
                           recorded_by_id=user.id, basis="mondeling"))
    db.session.commit()
    result = accept_intake(make_intake(), by=user)
    db.session.commit()
    assert result.company.id == company.id and result.consent is None
    assert result.referral is None and result.intake.status == "handled"
    assert db.session.scalar(sa.select(sa.func.count(Company.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Consent.id))) == 1
    assert result.intervention.kind == "intake"


def test_refer_to_a_suggested_offering_goes_to_its_organisation(
        app, point, make_org, make_user, make_intake):
    receiver = make_org("Hogeschool", kind="kennisinstelling")
    offering = Offering(organisation_id=receiver.id, name="Studenten helpen mkb",
                        archetype="signaleren")
    db.session.add(offering)
    db.session.commit()
    result = accept_intake(make_intake(), by=make_user(org=point), offering=offering)
    db.session.commit()
    assert result.referral.to_organisation_id == receiver.id
    assert result.referral.offering_id == offering.id
    assert result.intake.status == "referred"


def test_mark_handled_and_spam_through_the_page(client, point, make_user, make_intake,
                                                login_as):
    signed_in = login_as(make_user(org=point))
    handled, spam = make_intake(), make_intake(kvk="87654321", company_name="Spam B.V.")
    assert signed_in.post(f"/intake/{handled.id}",
                          data={"action": "handled"}).status_code == 302
    assert signed_in.post(f"/intake/{spam.id}", data={"action": "spam"}).status_code == 302
    assert fresh(handled).status == "handled" and fresh(handled).company_id is not None
    spam = fresh(spam)
    assert spam.status == "spam" and spam.company_id is None and spam.handled_at is not None
    assert db.session.scalar(sa.select(sa.func.count(Company.id)).where(
        Company.kvk == "87654321")) == 0
    assert db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.record_type == "intake", AuditEntry.record_id == spam.id)).all() == ["spam"]
    # A question that was dealt with cannot be triaged again.
    response = signed_in.post(f"/intake/{spam.id}", data={"action": "handled"},
                              follow_redirects=True)
    assert response.status_code == 200 and fresh(spam).status == "spam"


def test_refer_needs_a_choice_and_not_the_own_organisation(client, point, make_user,
                                                           make_intake, login_as):
    signed_in = login_as(make_user(org=point))
    intake = make_intake()
    response = signed_in.post(f"/intake/{intake.id}", data={"action": "refer"})
    assert response.status_code == 422
    response = signed_in.post(f"/intake/{intake.id}", data={
        "action": "refer", "to_organisation_id": str(point.id)})
    assert response.status_code == 422
    response = signed_in.post(f"/intake/{intake.id}", data={"action": "bogus"})
    assert response.status_code == 422
    assert fresh(intake).status == "new" and fresh(intake).company_id is None
    assert db.session.scalar(sa.select(sa.func.count(Company.id))) == 0


def test_triage_twice_raises_already_triaged(app, point, make_user, make_intake):
    user = make_user(org=point)
    intake = make_intake()
    mark_spam(intake, by=user)
    db.session.commit()
    with pytest.raises(AlreadyTriaged):
        accept_intake(intake, by=user)
    db.session.rollback()
    with pytest.raises(AlreadyTriaged):
        link_company(fresh(intake), by=db.session.get(User, user.id))


def test_the_detail_page_shows_suggestions_for_a_company_not_registered_yet(
        client, point, make_org, make_user, make_intake, login_as):
    receiver = make_org("Hogeschool Utrecht", kind="kennisinstelling")
    offering = Offering(organisation_id=receiver.id, name="Webwinkel-spreekuur",
                        description="Hulp bij bestellingen online en een webwinkel",
                        archetype="advisering")
    db.session.add(offering)
    db.session.commit()
    intake = make_intake()
    signed_in = login_as(make_user(org=point))
    response = signed_in.get(f"/intake/{intake.id}")
    assert response.status_code == 200
    page = body(response)
    try:
        import crm.journeys.suggestions  # noqa: F401
    except ImportError:
        assert "Geen voorstellen" in page
    else:
        assert "Webwinkel-spreekuur" in page
        assert f'value="{offering.id}"' in page
    # Nothing was registered just by looking.
    assert db.session.scalar(sa.select(sa.func.count(Company.id))) == 0
