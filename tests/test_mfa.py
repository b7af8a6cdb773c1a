"""Two-step verification (TOTP, RFC 6238) with recovery codes: the operations with explicit
times, and the pages: enrolment, signing in with a code, replay, the rate limit, recovery
codes, roles that require it, the administrator's reset and turning it off."""
from datetime import datetime, timedelta, timezone
import re

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from crm.config import mfa_required_roles
from crm.extensions import db
from crm.journeys import mfa
from crm.journeys.accounts import TooManyAttempts
from crm.journeys.errors import ValidationFailed
from crm.models import AuditEntry, LoginAttempt
from crm.models.user import MfaRecoveryCode
from tests.conftest import PASSWORD, login

KEY = "test-secret-key-not-for-production"   # the test app's SECRET_KEY
T0 = datetime(2026, 3, 2, 9, 0, 15, tzinfo=timezone.utc)


def enrol(user, now=T0) -> list[str]:
    mfa.start_enrolment(db.session, user, KEY)
    codes = mfa.confirm_enrolment(db.session, user, mfa.code_at(user, KEY, now), KEY, now=now)
    db.session.commit()
    return codes


def actions(user_id=None) -> list[str]:
    query = sa.select(AuditEntry.action).order_by(AuditEntry.id)
    if user_id is not None:
        query = query.where(AuditEntry.record_type == "user", AuditEntry.record_id == user_id)
    return db.session.scalars(query).all()


# ----------------------------------------------------------------------------- operations

def test_the_secret_is_derived_not_stored_and_works_in_any_totp_app(app, make_user):
    user = make_user()
    secret = mfa.start_enrolment(db.session, user, KEY)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert secret not in (user.mfa_seed or "")
    # The same seed with another SECRET_KEY gives another secret.
    assert mfa.secret_for(user, "another-key") != secret
    # A standard TOTP implementation agrees with the codes we check.
    assert pyotp.TOTP(secret).at(T0) == mfa.code_at(user, KEY, T0)
    uri = mfa.provisioning_uri(user, KEY)
    assert uri.startswith("otpauth://totp/") and "issuer=Volgende%20Deur" in uri
    # A second start (a page reload) keeps the secret already scanned.
    assert mfa.start_enrolment(db.session, user, KEY) == secret
    assert actions(user.id) == ["mfa-setup-started"]


def test_enrolment_needs_a_correct_code_and_gives_ten_single_use_recovery_codes(app, make_user):
    user = make_user()
    mfa.start_enrolment(db.session, user, KEY)
    with pytest.raises(ValidationFailed) as refused:
        mfa.confirm_enrolment(db.session, user, "000000" if mfa.code_at(user, KEY, T0)
                              != "000000" else "111111", KEY, now=T0)
    assert "code" in refused.value.errors and not user.mfa_enabled
    codes = mfa.confirm_enrolment(db.session, user, mfa.code_at(user, KEY, T0), KEY, now=T0)
    assert user.mfa_enabled and user.mfa_enabled_at == T0
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(sa.select(MfaRecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(c in h or c.replace("-", "") in h
                                         for c in codes for h in stored)
    assert actions(user.id)[-1] == "mfa-enabled"
    with pytest.raises(mfa.AlreadyEnabled):
        mfa.start_enrolment(db.session, user, KEY)


def test_verify_accepts_one_step_either_side_and_refuses_a_replay(app, make_user):
    user = make_user()
    enrol(user, T0)   # the code of T0's step is used up by the enrolment
    later = T0 + timedelta(minutes=5)
    for drift in (-30, 30):   # the phone's clock one step behind or ahead
        code = mfa.code_at(user, KEY, later + timedelta(seconds=drift))
        assert mfa.verify(db.session, user, code, KEY, address="a", now=later) == "totp"
        later += timedelta(minutes=2)
    # Two steps away: refused.
    code = mfa.code_at(user, KEY, later + timedelta(seconds=61))
    with pytest.raises(mfa.WrongCode):
        mfa.verify(db.session, user, code, KEY, address="a", now=later)
    # The same code twice: the second is a replay.
    code = mfa.code_at(user, KEY, later)
    assert mfa.verify(db.session, user, code, KEY, address="a", now=later) == "totp"
    with pytest.raises(mfa.WrongCode):
        mfa.verify(db.session, user, code, KEY, address="a", now=later + timedelta(seconds=5))
    # And an older step's code after a newer one was used.
    older = mfa.code_at(user, KEY, later - timedelta(seconds=30))
    with pytest.raises(mfa.WrongCode):
        mfa.verify(db.session, user, older, KEY, address="a", now=later)
    db.session.commit()
    assert actions(user.id).count("mfa-failed") == 3


def test_wrong_codes_count_towards_the_sign_in_rate_limit(app, make_user):
    user = make_user()
    enrol(user)
    now = T0 + timedelta(minutes=1)
    wrong = "999999" if mfa.code_at(user, KEY, now) != "999999" else "888888"
    for _ in range(5):
        with pytest.raises(mfa.WrongCode):
            mfa.verify(db.session, user, wrong, KEY, address="b", now=now)
    with pytest.raises(TooManyAttempts):   # even the right code, once blocked
        mfa.verify(db.session, user, mfa.code_at(user, KEY, now), KEY, address="b", now=now)
    failures = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt).where(
        LoginAttempt.email == user.email, LoginAttempt.success.is_(False)))
    assert failures == 5
    # After the window the right code works again.
    later = now + timedelta(minutes=16)
    assert mfa.verify(db.session, user, mfa.code_at(user, KEY, later), KEY, address="b",
                      now=later) == "totp"


def test_a_recovery_code_works_once_in_any_case_and_spacing(app, make_user):
    user = make_user()
    codes = enrol(user)
    typed = " " + codes[3].upper().replace("-", " ") + " "
    assert mfa.verify(db.session, user, typed, KEY, address="c", now=T0) == "recovery code"
    assert mfa.recovery_codes_left(db.session, user) == 9
    with pytest.raises(mfa.WrongCode):
        mfa.verify(db.session, user, codes[3], KEY, address="c", now=T0)
    new = mfa.regenerate_recovery_codes(db.session, user)
    with pytest.raises(mfa.WrongCode):   # the old ones stop working
        mfa.verify(db.session, user, codes[4], KEY, address="c", now=T0)
    assert mfa.verify(db.session, user, new[0], KEY, address="c", now=T0) == "recovery code"
    db.session.commit()
    assert "mfa-codes-renewed" in actions(user.id)


def test_disable_needs_the_password_and_a_code(app, make_user):
    user = make_user()
    enrol(user)
    now = T0 + timedelta(minutes=3)
    with pytest.raises(ValidationFailed) as refused:
        mfa.disable(db.session, user, "niet-mijn-wachtwoord", mfa.code_at(user, KEY, now), KEY,
                    now=now)
    assert list(refused.value.errors) == ["password"]
    with pytest.raises(ValidationFailed) as refused:
        mfa.disable(db.session, user, PASSWORD, "12345", KEY, now=now)
    assert list(refused.value.errors) == ["code"]
    mfa.disable(db.session, user, PASSWORD, mfa.code_at(user, KEY, now), KEY, now=now)
    db.session.commit()
    assert not user.mfa_enabled and user.mfa_seed is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MfaRecoveryCode)) == 0
    assert actions(user.id)[-1] == "mfa-disabled"


def test_required_roles_come_from_the_configuration():
    assert mfa_required_roles({"MFA_REQUIRED_ROLES": None}) == {"admin", "coordinator"}
    assert mfa_required_roles({"MFA_REQUIRED_ROLES": None, "TESTING": True}) == set()
    assert mfa_required_roles({"MFA_REQUIRED_ROLES": ""}) == set()
    assert mfa_required_roles({"MFA_REQUIRED_ROLES": " Admin, staff ,"}) == {"admin", "staff"}
    assert mfa_required_roles({"MFA_REQUIRED_ROLES": ["coordinator"]}) == {"coordinator"}


# ----------------------------------------------------------------------------- pages

def sign_in_with_password(client, user, next_=None):
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"email": user.email, "password": PASSWORD})


def test_enrolling_on_the_account_page(client, make_user):
    user = make_user(locale="en")
    login(client, user)
    with time_machine.travel(T0, tick=False):
        page = client.get("/account/two-step")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert '<svg role="img"' in html and "<title>" in html   # inline: the CSP allows it
        assert "data:image" not in html and "style=" not in html
        secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
        assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
        wrong = client.post("/account/two-step", data={"mfa-code": "12345x"})
        assert wrong.status_code == 422
        shown = client.post("/account/two-step",
                            data={"mfa-code": pyotp.TOTP(secret).at(T0)})
    assert shown.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</li>",
                       shown.get_data(as_text=True))
    assert len(codes) == 10
    db.session.refresh(user)
    assert user.mfa_enabled
    # Once on, the secret and the QR code are not shown again.
    html = client.get("/account/two-step").get_data(as_text=True)
    assert secret not in html.replace(" ", "") and "<svg" not in html
    assert "10 unused recovery codes" in html
    assert "two-step verification" in client.get("/account/").get_data(as_text=True).lower()


def test_signing_in_with_a_code_after_the_password(client, make_user):
    user = make_user(locale="en")
    enrol(user)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        response = sign_in_with_password(client, user, next_="/tasks")
        assert response.status_code == 302
        assert response.headers["Location"] == "/login/code"
        # Not signed in yet: pages still send to the sign-in page.
        assert client.get("/tasks").headers["Location"].startswith("/login")
        page = client.get("/login/code").get_data(as_text=True)
        assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
        assert 'for="mfa-code"' in page and 'for="rc-recovery_code"' in page
        code = mfa.code_at(user, KEY, T0 + timedelta(minutes=10))
        done = client.post("/login/code", data={"mfa-code": code})
        assert done.status_code == 302 and done.headers["Location"] == "/tasks"
        assert client.get("/tasks").status_code == 200
        client.post("/logout")
        # The same code again (a replay): refused, and not signed in.
        sign_in_with_password(client, user)
        again = client.post("/login/code", data={"mfa-code": code})
        assert again.status_code == 401
        assert "al gebruikt" in again.get_data(as_text=True)   # before sign-in: Dutch
        assert client.get("/tasks").status_code == 302
    entries = actions(user.id)
    assert "mfa-verified" in entries and "sign-in" in entries and "mfa-failed" in entries


def test_wrong_codes_are_rate_limited_and_audited(client, make_user):
    user = make_user(locale="en")
    enrol(user)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        sign_in_with_password(client, user)
        now_code = mfa.code_at(user, KEY, T0 + timedelta(minutes=10))
        wrong = "000000" if now_code != "000000" else "111111"
        for _ in range(5):
            assert client.post("/login/code", data={"mfa-code": wrong}).status_code == 401
        blocked = client.post("/login/code", data={"mfa-code": now_code})
        assert blocked.status_code == 429
        # The pending sign-in is gone, and the password is blocked too for now.
        assert client.get("/login/code").headers["Location"] == "/login"
        assert sign_in_with_password(client, user).status_code == 429
    assert actions(user.id).count("mfa-failed") == 5
    assert "sign-in-blocked" in actions(user.id)


def test_the_code_page_expires_after_five_minutes(client, make_user):
    user = make_user(locale="en")
    enrol(user)
    start = T0 + timedelta(minutes=10)
    with time_machine.travel(start, tick=False):
        sign_in_with_password(client, user)
    later = start + timedelta(minutes=6)
    with time_machine.travel(later, tick=False):
        response = client.post("/login/code", data={"mfa-code": mfa.code_at(user, KEY, later)})
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        assert client.get("/tasks").status_code == 302


def test_signing_in_with_a_recovery_code_once(client, make_user):
    user = make_user(locale="en")
    codes = enrol(user)
    sign_in_with_password(client, user)
    done = client.post("/login/code", data={"rc-recovery_code": codes[0]})
    assert done.status_code == 302
    assert "9 left" in client.get("/tasks").get_data(as_text=True)
    client.post("/logout")
    sign_in_with_password(client, user)
    assert client.post("/login/code", data={"rc-recovery_code": codes[0]}).status_code == 401
    assert client.post("/login/code", data={"rc-recovery_code": ""}).status_code == 422


def test_a_required_role_must_enrol_before_anything_else(app, client, make_user,
                                                         monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "admin,coordinator")
    coordinator = make_user(role="coordinator", provinces=("Utrecht",), locale="en")
    staff = make_user(role="staff", org=coordinator.organisation, locale="en")
    # Another role is not affected.
    login(client, staff)
    assert client.get("/tasks").status_code == 200
    client.post("/logout")

    login(client, coordinator)
    for url in ("/tasks", "/companies", "/admin/", "/account/", "/monitor/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == "/account/two-step", url
    assert client.post("/companies/new", data={"name": "X"}).status_code == 302
    page = client.get("/account/two-step")
    assert page.status_code == 200 and "role requires" in page.get_data(as_text=True)
    assert client.post("/language/nl", data={"next": "/account/two-step"}).status_code == 302
    with time_machine.travel(T0, tick=False):
        db.session.refresh(coordinator)
        client.post("/account/two-step",
                    data={"mfa-code": mfa.code_at(coordinator, KEY, T0)})
    assert client.get("/tasks").status_code == 200
    # Signing out is always possible.
    assert client.post("/logout").status_code == 302


def test_the_api_is_not_affected_by_required_roles(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "coordinator")
    coordinator = make_user(role="coordinator", provinces=("Utrecht",))
    login(client, coordinator)
    response = client.get("/api/v1/companies")
    assert response.status_code != 302   # the API answers for itself (token or 401)


def test_an_administrator_resets_a_users_two_step_verification(client, make_user):
    admin = make_user(role="admin", locale="en")
    user = make_user(org=admin.organisation)
    enrol(user)
    login(client, admin)
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert f"/admin/users/reset-two-step/{user.id}" in listing
    response = client.post(f"/admin/users/reset-two-step/{user.id}")
    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.mfa_enabled and user.mfa_seed is None
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "mfa-reset")).one()
    assert entry.user_id == admin.id and entry.record_id == user.id
    # The user signs in with the password alone again.
    other = client.application.test_client()
    assert sign_in_with_password(other, user).headers["Location"] != "/login/code"
    # Others may not reset.
    staff_client = client.application.test_client()
    login(staff_client, make_user(org=admin.organisation, role="staff"))
    assert staff_client.post(f"/admin/users/reset-two-step/{admin.id}").status_code == 403


def test_turning_it_off_on_the_account_page(client, make_user):
    user = make_user(locale="en")
    enrol(user)
    login_at = T0 + timedelta(minutes=10)
    with time_machine.travel(login_at, tick=False):
        sign_in_with_password(client, user)
        client.post("/login/code", data={"mfa-code": mfa.code_at(user, KEY, login_at)})
    off_at = login_at + timedelta(minutes=1)
    with time_machine.travel(off_at, tick=False):
        code = mfa.code_at(user, KEY, off_at)
        refused = client.post("/account/two-step/off",
                              data={"off-password": "verkeerd-wachtwoord", "off-code": code})
        assert refused.status_code == 422
        assert "not your current password" in refused.get_data(as_text=True)
        done = client.post("/account/two-step/off",
                           data={"off-password": PASSWORD, "off-code": code})
        assert done.status_code == 302
    db.session.refresh(user)
    assert not user.mfa_enabled


def test_new_recovery_codes_on_the_account_page(client, make_user):
    user = make_user(locale="en")
    old = enrol(user)
    login_at = T0 + timedelta(minutes=10)
    with time_machine.travel(login_at, tick=False):
        sign_in_with_password(client, user)
        client.post("/login/code", data={"mfa-code": mfa.code_at(user, KEY, login_at)})
        page = client.post("/account/two-step/recovery-codes")
    assert page.status_code == 200
    new = re.findall(r"<li>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</li>",
                     page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
