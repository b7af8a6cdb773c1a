"""The one front door: the public question form (no login) and where its questions land."""
import contextvars
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.journeys.intake import TooManySubmissions, route, submit_question
from crm.models import FormSubmission, IntakeRequest, Municipality, utcnow

from .conftest import make_test_app

HYPOTHESIS = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


def body(response) -> str:
    return response.get_data(as_text=True)


def municipality(name: str) -> Municipality:
    return db.session.execute(sa.select(Municipality).filter_by(name=name)).scalar_one()


def form(**overrides) -> dict:
    values = {"kvk": "12345678", "company_name": "Bakkerij De Korst",
              "municipality_id": "@Utrecht",  # resolved to the id when posted
              "contact_name": "Anna de Vries", "email": "anna@bakkerij.nl",
              "phone": "030 123 45 67",
              "question": "Hoe kan ik mijn bestellingen online laten verlopen?", "consent": "y",
              "website": ""}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


_address = iter(range(1, 1_000_000))


def resolve(data: dict) -> dict:
    place = data.get("municipality_id")
    if isinstance(place, str) and place.startswith("@"):
        data = {**data, "municipality_id": str(municipality(place[1:]).id)}
    return data


def post(client, data, address=None):
    data = resolve(data)
    if address is None:
        n = next(_address)
        address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    return client.post("/voordeur", data=data, environ_base={"REMOTE_ADDR": address})


def intakes() -> list[IntakeRequest]:
    db.session.expire_all()
    return db.session.scalars(sa.select(IntakeRequest).order_by(IntakeRequest.id)).all()


# --------------------------------------------------------------------------- the page

def test_the_form_is_public_and_in_plain_dutch(client):
    response = client.get("/voordeur")
    assert response.status_code == 200
    text = body(response)
    assert "Heeft u een vraag over digitalisering? Wij zoeken de juiste deur voor u." in text
    assert 'class="hp-field"' in text and 'tabindex="-1"' in text
    assert 'aria-hidden="true"' in text and 'autocomplete="off"' in text
    assert "Switch to English" in text
    assert "style=" not in text and "<script>" not in text


def test_the_language_switch_works_without_signing_in(client):
    response = client.post("/language/en", data={"next": "/voordeur"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/voordeur")
    text = body(client.get("/voordeur"))
    assert "Do you have a question about digitalisation? We will find the right door" in text


def test_submit_without_login_lands_in_the_intake_point_of_the_province(client, make_org):
    utrecht = make_org("Voordeur Utrecht", provinces=("Utrecht",), intake_point=True)
    wide = make_org("Voordeur Midden", provinces=("Utrecht", "Flevoland"), intake_point=True)
    groningen = make_org("Voordeur Noord", provinces=("Groningen",), intake_point=True)
    make_org("Geen voordeur", provinces=("Utrecht",))
    response = post(client, form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/voordeur/bedankt")
    response = post(client, form(municipality_id="@Groningen"))
    assert response.status_code == 302
    response = post(client, form(municipality_id="@Almere"))
    first, second, third = intakes()
    assert first.organisation_id == utrecht.id  # the fewest provinces wins
    assert second.organisation_id == groningen.id
    assert third.organisation_id == wide.id  # the only one serving Flevoland
    assert first.status == "new" and first.consent and first.company_id is None
    assert first.kvk == "12345678" and first.question.startswith("Hoe kan ik")
    page = client.get("/voordeur/bedankt")
    assert page.status_code == 200 and "Wat gebeurt er nu?" in body(page)


def test_ties_go_to_the_lowest_id_and_inactive_points_are_skipped(app, make_org):
    inactive = make_org("Slapende voordeur", provinces=("Utrecht",), intake_point=True,
                        active=False)
    first = make_org("Voordeur A", provinces=("Utrecht",), intake_point=True)
    make_org("Voordeur B", provinces=("Utrecht",), intake_point=True)
    assert first.id > inactive.id
    assert route(db.session, municipality("Utrecht")).id == first.id


def test_fallback_routing(client, make_org):
    edih_first = make_org("EDIH Eerst", kind="edih", provinces=("Limburg",))
    make_org("ROM", kind="rom", provinces=())
    # No intake point at all: the lowest-id active EDIH still gets the question.
    make_org("Oude EDIH", kind="edih", provinces=(), active=False)
    assert post(client, form(municipality_id="@Maastricht")).status_code == 302
    assert intakes()[-1].organisation_id == edih_first.id
    # An intake point that does not serve the province still beats a non-intake point; a
    # national one (no provinces) is preferred.
    make_org("Voordeur Noord", provinces=("Groningen",), intake_point=True)
    national = make_org("Landelijke voordeur", provinces=(), intake_point=True)
    assert post(client, form(municipality_id="@Maastricht")).status_code == 302
    assert intakes()[-1].organisation_id == national.id


def test_no_organisation_at_all_is_a_clear_503(client):
    response = post(client, form())
    assert response.status_code == 503
    assert "kan op dit moment niet worden gebruikt" in body(response)
    assert intakes() == []


# --------------------------------------------------------------------------- hostile territory

def test_a_filled_honeypot_gets_the_same_confirmation_and_stores_nothing(client, make_org):
    make_org(intake_point=True)
    bot = post(client, form(website="http://spam.example"))
    assert bot.status_code == 302
    assert bot.headers["Location"].endswith("/voordeur/bedankt")
    assert intakes() == []
    # Even an otherwise invalid bot submission gets the confirmation.
    bot = post(client, form(website="x", kvk="nonsense", consent=None))
    assert bot.status_code == 302 and intakes() == []
    human = post(client, form())
    assert human.status_code == 302 and human.headers["Location"] == bot.headers["Location"]
    assert len(intakes()) == 1


def test_rate_limit_per_address(client, make_org):
    make_org(intake_point=True)
    for _ in range(5):
        assert post(client, form(), address="192.0.2.7").status_code == 302
    blocked = post(client, form(), address="192.0.2.7")
    assert blocked.status_code == 429
    assert "Probeer het later opnieuw" in body(blocked)
    assert 'value="Bakkerij De Korst"' in body(blocked)  # the input is not lost
    assert len(intakes()) == 5
    assert post(client, form(), address="192.0.2.8").status_code == 302
    assert len(intakes()) == 6


def test_honeypot_submissions_count_towards_the_limit(client, make_org):
    make_org(intake_point=True)
    for _ in range(5):
        assert post(client, form(website="spam"), address="192.0.2.9").status_code == 302
    assert post(client, form(), address="192.0.2.9").status_code == 429


def test_daily_limit_and_old_rows_expire(app, make_org):
    make_org(intake_point=True)
    data = resolve(form())
    start = utcnow() - timedelta(days=1, hours=23)
    # 20 spread over the day (4 an hour, under the hourly limit) fill the daily limit.
    day = utcnow() - timedelta(hours=20)
    for i in range(20):
        submit_question(db.session, data, address="198.51.100.1",
                        now=day + timedelta(minutes=15 * i))
    with pytest.raises(TooManySubmissions):
        submit_question(db.session, data, address="198.51.100.1")
    db.session.rollback()
    # Submissions from the day before yesterday no longer count.
    for i in range(5):
        submit_question(db.session, data, address="198.51.100.2",
                        now=start - timedelta(hours=3) + timedelta(minutes=i))
    assert submit_question(db.session, data, address="198.51.100.2") is not None
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FormSubmission).where(
        FormSubmission.address == "198.51.100.2")) == 1  # the old rows were cleared


@pytest.fixture
def csrf_client(app, database_url, tmp_path):
    csrf_app = contextvars.Context().run(make_test_app, database_url, tmp_path,
                                         WTF_CSRF_ENABLED=True)
    yield csrf_app.test_client()
    with csrf_app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_csrf_is_enforced(csrf_client, make_org):
    make_org(intake_point=True)
    refused = csrf_client.post("/voordeur", data=resolve(form()),
                               environ_base={"REMOTE_ADDR": "203.0.113.1"})
    assert refused.status_code == 400
    assert intakes() == []
    page = body(csrf_client.get("/voordeur"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    accepted = csrf_client.post("/voordeur", data={**resolve(form()), "csrf_token": token},
                                environ_base={"REMOTE_ADDR": "203.0.113.1"})
    assert accepted.status_code == 302
    assert len(intakes()) == 1


BAD = {
    "kvk-short": (form(kvk="1234567"), "kvk", "precies 8 cijfers"),
    "kvk-letters": (form(kvk="1234567a"), "kvk", "precies 8 cijfers"),
    "kvk-arabic-digits": (form(kvk="١٢٣٤٥٦٧٨"), "kvk", "precies 8 cijfers"),
    "kvk-fullwidth": (form(kvk="１２３４５６７８"), "kvk", "precies 8 cijfers"),
    "kvk-empty": (form(kvk=""), "kvk", None),
    "kvk-nul": (form(kvk="1234\x005678"), "kvk", None),
    "name-blank": (form(company_name="   "), "company_name", None),
    "name-control": (form(company_name="Bakkerij\x07"), "company_name", None),
    "name-overlong": (form(company_name="x" * 201), "company_name", None),
    "municipality-missing": (form(municipality_id=""), "municipality_id", None),
    "municipality-unknown": (form(municipality_id="999999"), "municipality_id", None),
    "municipality-huge": (form(municipality_id="9" * 40), "municipality_id", None),
    "municipality-text": (form(municipality_id="Utrecht"), "municipality_id", None),
    "contact-blank": (form(contact_name=""), "contact_name", None),
    "email-bad": (form(email="anna@"), "email", "naam@bedrijf.nl"),
    "email-spaces": (form(email="anna de vries@bakkerij.nl"), "email", None),
    "email-newline": (form(email="anna@bakkerij.nl\nBcc: x@y.nl"), "email", None),
    "phone-bad": (form(phone="bel me"), "phone", None),
    "question-short": (form(question="Help!"), "question", "minstens 10 tekens"),
    "question-long": (form(question="x" * 4001), "question", None),
    "question-nul": (form(question="Hoe werkt dit?\x00 echt"), "question", None),
    "consent-missing": (form(consent=None), "consent", None),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_strict_validation_is_422_with_messages_next_to_the_fields(client, make_org, case):
    make_org(intake_point=True)
    data, field, text = BAD[case]
    response = post(client, data)
    assert response.status_code == 422, case
    page = body(response)
    assert f'id="{field}-error"' in page, page[:3000]
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    if text:
        assert text in page
    assert intakes() == []


def test_the_same_answer_whether_or_not_the_company_is_known(client, make_org, make_company):
    make_org(intake_point=True)
    known = make_company(kvk="87654321", name="Bekend B.V.")
    answers = []
    for kvk in ("87654321", "11223344"):
        response = post(client, form(kvk=kvk), address="192.0.2.50")
        answers.append((response.status_code, response.headers.get("Location"), body(response)))
        followed = client.get(response.headers["Location"])
        answers.append((followed.status_code, body(followed)))
    assert answers[0] == answers[2]
    assert answers[1] == answers[3]
    # Neither is linked at submit time; the known company's name does not appear.
    assert [i.company_id for i in intakes()] == [None, None]
    assert known.name not in answers[1][1]


def test_the_confirmation_says_what_happens_next_without_details(client, make_org):
    make_org(intake_point=True)
    response = post(client, form(company_name="Uniek Bedrijfje"))
    page = body(client.get(response.headers["Location"]))
    assert "Uniek Bedrijfje" not in page and "anna@bakkerij.nl" not in page
    assert "werkdagen" in page


@given(data=st.fixed_dictionaries(
    {"kvk": st.text(max_size=30), "company_name": st.text(), "contact_name": st.text(),
     "email": st.text(), "phone": st.text(), "question": st.text(),
     "municipality_id": st.one_of(st.text(), st.integers().map(str)),
     "consent": st.sampled_from(["", "y", "on", "false", "\x00"]),
     "website": st.sampled_from(["", "", "", "x"])}))
@HYPOTHESIS
def test_any_input_is_handled_never_500(client, make_org, data):
    if db.session.scalar(sa.text("SELECT count(*) FROM organisations")) == 0:
        make_org(intake_point=True)
    response = client.post("/voordeur", data=data, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code in (302, 422, 429), (response.status_code, body(response)[:500])
