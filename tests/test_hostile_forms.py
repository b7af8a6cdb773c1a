"""Hostile input on every form: Hypothesis sends arbitrary unicode (with NUL bytes and lone
control characters), huge strings, repeated fields, missing fields and values of the wrong
shape through the test client. Whatever it sends: never a 500, and a refused form changes
nothing (every business table keeps its row count), so nothing is ever half written.

tests/test_bad_input.py has hand-picked cases for the company, contact, account and login
forms; this module sweeps all forms with generated ones.
"""
from datetime import date
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.journeys.referrals import refer
from crm.journeys.interventions import log_intervention
from crm.models import Municipality, Offering, Organisation
from tests.conftest import login

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

#: Tables a refused request may still write to: the sign-in and front-door rate-limit
#: counters and the audit of failed sign-ins (counting refusals is their job).
COUNTERS = {"login_attempts", "form_submissions", "audit_entries", "alembic_version"}

huge = st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "\x00", "💥", "<", "'"]),
                 st.integers(4_000, 60_000))
nasty = st.sampled_from(["", " ", "\x00", "a\x00b", "0", "-1", "99999999999999999999",
                         "1e309", "NaN", "None", "null", "[]", "{}", "<script>x</script>",
                         "' OR 1=1 --", "\u202e", "\ufeff", "\r\n", "%00", "../../etc/passwd",
                         "2026-02-30", "0000-00-00", "9999-12-31", "y", "on", "true"])
value = st.one_of(st.text(max_size=300), nasty, huge, st.integers().map(str))
#: A field's values: absent, one, or several (a repeated field).
values = st.one_of(st.none(), value, st.lists(value, min_size=2, max_size=3))


def form_data(fields, extra=()):
    return st.fixed_dictionaries({f: values for f in fields}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})


def row_counts() -> dict[str, int]:
    db.session.expire_all()
    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name not in COUNTERS:
            counts[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    return counts


def check(response, before):
    """No server error; a refusal (4xx) left every table as it was."""
    text = response.get_data(as_text=True)
    assert response.status_code < 500, (response.status_code, text[:2000])
    assert "Traceback" not in text
    if response.status_code >= 400:
        after = row_counts()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, (response.status_code, changed)


# --------------------------------------------------------------------------- the world

@pytest.fixture
def world(client, make_org, make_user, make_company):
    class W:
        pass
    w = W()
    w.org = make_org("Digitale Werkplaats Hostiel", kind="werkplaats", intake_point=True)
    w.other = make_org("EDIH Hostiel", kind="edih")
    w.user = make_user(org=w.org, role="staff")
    w.receiver = make_user(org=w.other, role="staff")
    w.company = make_company(name="Doelwit B.V.", kvk="12312312")
    w.referral = refer(w.company, w.other, "Webshop koppelen", by=w.user,
                       entrepreneur_agrees=True)
    #: One sent to the user's organisation, so the user is the receiver (accept, reject …).
    w.incoming = refer(w.company, w.org, "Subsidie aanvragen", by=w.receiver,
                       entrepreneur_agrees=True)
    w.intervention = log_intervention(w.company, {
        "kind": "intake", "occurred_on": date(2026, 3, 2), "summary": "Kennismaking"},
        by=w.user)
    from crm.journeys.intake import submit_question
    utrecht = db.session.execute(sa.select(Municipality.id).filter_by(name="Utrecht")).scalar()
    w.intake = submit_question(db.session, {
        "kvk": "45645645", "company_name": "Vrager B.V.", "municipality_id": str(utrecht),
        "contact_name": "Anna", "email": "anna@example.nl", "phone": "",
        "question": "Hoe begin ik met een webshop?", "consent": True, "website": ""},
        address="203.0.113.77")
    db.session.commit()
    login(client, w.user)
    w.client = client
    return w


# --------------------------------------------------------------------------- the forms

COMPANY = ["kvk", "establishment_number", "name", "trade_names", "sbi_code", "employees",
           "size_class", "phase", "municipality_id", "website", "digital_maturity",
           "non_mailing", "version"]


@SETTINGS
@given(data=form_data(COMPANY))
def test_company_create_and_edit(world, data):
    before = row_counts()
    check(world.client.post("/companies/new", data=data), before)
    before = row_counts()
    check(world.client.post(f"/companies/{world.company.id}/edit", data=data), before)


@SETTINGS
@given(data=form_data(["name", "role", "email", "phone"]))
def test_contact(world, data):
    before = row_counts()
    check(world.client.post(f"/companies/{world.company.id}/contacts/new", data=data), before)


INTERVENTION = ["kind", "occurred_on", "bottlenecks", "topics", "summary", "internal_note"]


@SETTINGS
@given(data=form_data(INTERVENTION))
def test_intervention_quick_log_and_edit(world, data):
    before = row_counts()
    check(world.client.post(f"/companies/{world.company.id}/interventions/new", data=data),
          before)
    before = row_counts()
    check(world.client.post(f"/interventions/{world.intervention.id}/edit", data=data), before)


@SETTINGS
@given(data=form_data(["title", "kind", "occurred_on", "bottlenecks", "topics", "summary",
                       "kvk_numbers", "confirmed"]),
       upload=st.one_of(st.none(), st.binary(max_size=3000)))
def test_event_with_attendees(world, data, upload):
    import io
    if upload is not None:
        data = {**data, "attendee_file": (io.BytesIO(upload), "lijst.csv")}
    before = row_counts()
    check(world.client.post("/events/new", data=data, content_type="multipart/form-data"),
          before)


@SETTINGS
@given(data=form_data(["to_organisation_id", "offering_id", "question", "context",
                       "entrepreneur_agrees"]))
def test_referral_create(world, data):
    before = row_counts()
    check(world.client.post(f"/companies/{world.company.id}/refer", data=data), before)


@SETTINGS
@given(action=st.sampled_from(["accept", "reject", "start", "hold", "complete", "fail",
                               "cancel", "nonsense", "\x00"]),
       data=form_data(["reason", "reason_text", "outcome"]))
def test_referral_transition(world, action, data):
    for referral in (world.incoming, world.referral):  # as the receiver, then as the sender
        before = row_counts()
        check(world.client.post(f"/referrals/{referral.id}/{quote(action)}", data=data),
              before)


@SETTINGS
@given(basis=values, note=values)
def test_consent_give_and_withdraw(world, basis, note):
    before = row_counts()
    data = {} if basis is None else {"basis": basis}
    check(world.client.post(f"/companies/{world.company.id}/consent", data=data), before)
    before = row_counts()
    data = {} if note is None else {"note": note}
    check(world.client.post(f"/companies/{world.company.id}/consent/withdraw", data=data),
          before)


@SETTINGS
@given(data=form_data(["kind", "title", "due_on", "owner_id", "note"]))
def test_task(world, data):
    for url in (f"/interventions/{world.intervention.id}/tasks/new",
                f"/referrals/{world.referral.id}/tasks/new"):
        before = row_counts()
        check(world.client.post(url, data=data), before)


OFFERING = ["organisation_id", "name", "description", "archetype", "cost_kind", "cost_note",
            "starts_on", "ends_on", "contact_name", "contact_email", "contact_phone", "url",
            "takes_referrals", "province_ids", "region_ids", "sector", "size", "phase",
            "maturity", "form", "technology", "bottleneck", "market_failure",
            "providers-0-name", "providers-0-role", "providers-1-organisation_id"]


@SETTINGS
@given(data=form_data(OFFERING))
def test_offering_create_and_edit(world, data):
    before = row_counts()
    response = world.client.post("/offerings/new", data=data)
    check(response, before)
    offering = db.session.scalars(sa.select(Offering.id).limit(1)).first()
    if offering is not None:
        before = row_counts()
        check(world.client.post(f"/offerings/{offering}/edit", data=data), before)


FRONT_DOOR = ["kvk", "company_name", "municipality_id", "contact_name", "email", "phone",
              "question", "consent", "website"]


@SETTINGS
@given(data=form_data(FRONT_DOOR), n=st.integers(1, 250))
def test_front_door(app, make_org, data, n):
    client = app.test_client()
    if not db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)):
        make_org(intake_point=True)
    before = row_counts()
    response = client.post("/voordeur", data=data,
                           environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
    check(response, before)


@SETTINGS
@given(data=form_data(["email", "password", "next"]))
def test_login(app, data):
    before = row_counts()
    check(app.test_client().post("/login", data=data), before)


@SETTINGS
@given(q=values, sector=values, size=values, province=values, page=values)
def test_search(world, q, sector, size, province, page):
    params = {k: v for k, v in dict(q=q, sector=sector, size=size, province=province,
                                    page=page).items() if v is not None}
    response = world.client.get("/", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]


@SETTINGS
@given(data=form_data(["id", "ids", "page", "all"]))
def test_notifications_read(world, data):
    before = row_counts()
    check(world.client.post("/notifications/read", data=data), before)


@SETTINGS
@given(data=form_data(["action", "to_organisation_id", "offering_id", "question", "note"]))
def test_intake_triage(world, data):
    before = row_counts()
    check(world.client.post(f"/intake/{world.intake.id}", data=data), before)


# --------------------------------------------------------------------------- the import

cell = st.one_of(st.text(max_size=40), nasty, st.integers().map(str))
csv_text = st.lists(st.lists(cell, min_size=1, max_size=6), min_size=0, max_size=6).map(
    lambda rows: "\n".join(";".join(c.replace("\n", " ") for c in row) for row in rows))
upload = st.one_of(
    st.binary(max_size=2000),
    csv_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    csv_text.map(lambda t: ("kvk;naam;sbi;gemeente\n" + t).encode("utf-8", "surrogatepass")),
    st.just(b"PK\x03\x04" + b"\x00" * 200))  # a broken .xlsx


@SETTINGS
@given(kind=st.sampled_from(["companies", "contacts", "interventions", "dma", "x", ""]),
       content=upload, filename=st.sampled_from(["lijst.csv", "lijst.xlsx", "lijst.txt", ""]),
       mapping=st.lists(values, max_size=6), mode=values)
def test_import_upload_columns_and_run(world, kind, content, filename, mapping, mode):
    import io
    client = world.client
    before = row_counts()
    response = client.post("/import/", content_type="multipart/form-data", data={
        "kind": kind, "organisation": str(world.org.id),
        "file": (io.BytesIO(content), filename)})
    check(response, before)
    if response.status_code != 302 or "/columns" not in response.headers["Location"]:
        return
    columns = response.headers["Location"]
    data = {f"column-{i}": v for i, v in enumerate(mapping) if v is not None}
    before = row_counts()
    response = client.post(columns, data=data)
    check(response, before)
    base = columns.rsplit("/", 1)[0]
    check(client.get(base + "/check"), row_counts())
    before = row_counts()
    check(client.post(base + "/run", data={} if mode is None else {"mode": mode}), before)


# --------------------------------------------------------------------------- two-step verification

@pytest.fixture
def enrolled(world):
    """The world's user with two-step verification on."""
    from crm.journeys import mfa
    from crm.models import utcnow
    key = world.client.application.config["SECRET_KEY"]
    mfa.start_enrolment(db.session, world.user, key)
    mfa.confirm_enrolment(db.session, world.user, mfa.code_at(world.user, key, utcnow()), key)
    db.session.commit()
    return world


@SETTINGS
@given(data=form_data(["mfa-code"]))
def test_two_step_enrolment(world, data):
    before = row_counts()
    check(world.client.post("/account/two-step", data=data), before)


@SETTINGS
@given(off=form_data(["off-password", "off-code"]), codes=form_data(["rc-x"]))
def test_two_step_off_and_new_recovery_codes(enrolled, off, codes):
    before = row_counts()
    check(enrolled.client.post("/account/two-step/off", data=off), before)
    before = row_counts()
    check(enrolled.client.post("/account/two-step/recovery-codes", data=codes), before)


@SETTINGS
@given(data=form_data(["mfa-code", "rc-recovery_code"]))
def test_sign_in_second_step(enrolled, data):
    import time
    client = enrolled.client.application.test_client()
    with client.session_transaction() as session:
        session["mfa_pending"] = {"user": enrolled.user.id, "until": time.time() + 300,
                                  "next": "/"}
    before = row_counts()
    check(client.post("/login/code", data=data), before)
