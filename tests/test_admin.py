"""The admin area: administrators only; every list, create and edit page renders."""
import re

import pytest
import sqlalchemy as sa
from flask import g
from werkzeug.security import check_password_hash

from crm.extensions import db
from crm.models import Municipality, Organisation, Province, Region, SbiSection, User

ROLES_WITHOUT_ADMIN = ["account_manager", "staff", "coordinator"]


def sign_in(client, user):
    """Sign ``user`` in by setting the Flask-Login session directly (no password round trip)."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    # Test requests share the app context the fixtures pushed, so Flask-Login's per-context
    # cache of the current user would otherwise outlive a change of identity.
    g.pop("_login_user", None)
    return client


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", email="beheer@example.nl")


@pytest.fixture
def admin_client(client, admin):
    return sign_in(client, admin)


def _first(model, order):
    return db.session.scalars(sa.select(model).order_by(order)).first()


def _pages():
    """(list, create, edit) URLs of every model view, with a record to edit."""
    views = [
        ("organisations", Organisation, Organisation.id),
        ("users", User, User.id),
        ("provinces", Province, Province.id),
        ("municipalities", Municipality, Municipality.id),
        ("regions", Region, Region.id),
        ("sbi-sections", SbiSection, SbiSection.letter),
    ]
    for url, model, key in views:
        record = _first(model, key)
        ident = record.letter if model is SbiSection else record.id
        yield url, [f"/admin/{url}/", f"/admin/{url}/new/", f"/admin/{url}/edit/?id={ident}"]


def test_anonymous_is_sent_to_sign_in(client):
    for url in ("/admin/", "/admin/organisations/", "/admin/users/new/"):
        response = client.get(url)
        assert response.status_code == 302, url
        location = response.headers["Location"]
        assert location.startswith("/login?") and "next=" in location, location
        assert "admin" in location


@pytest.mark.parametrize("role", ROLES_WITHOUT_ADMIN)
def test_other_roles_get_403(client, make_user, role):
    make_user(role="admin")  # so that there is a record to try to edit
    sign_in(client, make_user(role=role, provinces=("Utrecht",) if role == "coordinator"
                              else ()))
    urls = ["/admin/"] + [u for _, urls in _pages() for u in urls]
    for url in urls:
        assert client.get(url).status_code == 403, url
    response = client.post("/admin/organisations/new/", data={"name": "Inbreker", "kind": "edih"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(Organisation).filter_by(name="Inbreker")) is None


def test_inactive_admin_is_treated_as_signed_out(client, make_user):
    sign_in(client, make_user(role="admin", active=False))
    assert client.get("/admin/").status_code == 302


def test_admin_sees_every_page(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<html lang="(nl|en)"', html)
    for _, urls in _pages():
        for url in urls:
            response = admin_client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert "<html lang=" in html
            assert "<script>" not in html and " style=" not in html, url


def test_pages_never_show_password_hashes(admin_client, admin):
    for url in ("/admin/users/", f"/admin/users/edit/?id={admin.id}", "/admin/users/new/"):
        html = admin_client.get(url).get_data(as_text=True)
        assert admin.password_hash not in html
        assert "password_hash" not in html


def test_admin_creates_an_organisation(admin_client):
    utrecht = db.session.scalar(sa.select(Province).filter_by(name="Utrecht"))
    response = admin_client.post("/admin/organisations/new/", data={
        "name": "  Digitale Werkplaats  Amersfoort ", "kind": "werkplaats",
        "provinces": [str(utrecht.id)], "website": "werkplaats-amersfoort.example.nl",
        "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    org = db.session.scalar(sa.select(Organisation).filter_by(
        name="Digitale Werkplaats Amersfoort"))
    assert org is not None and org.kind == "werkplaats"
    assert [p.name for p in org.provinces] == ["Utrecht"]
    assert org.website == "https://werkplaats-amersfoort.example.nl"
    listing = admin_client.get("/admin/organisations/").get_data(as_text=True)
    assert "Digitale Werkplaats Amersfoort" in listing
    assert "Digitale mkb-werkplaats" in listing  # the Dutch label of the kind


def test_admin_refuses_unknown_kind_and_duplicate_name(admin_client, make_org):
    make_org(name="Oost NL", kind="rom")
    admin_client.post("/admin/organisations/new/", data={"name": "Nieuw", "kind": "sekte"})
    admin_client.post("/admin/organisations/new/", data={"name": "oost nl", "kind": "rom"})
    names = db.session.scalars(sa.select(Organisation.name)).all()
    assert "Nieuw" not in names and "oost nl" not in names


def test_admin_creates_a_user_with_a_hashed_password(admin_client, admin):
    response = admin_client.post("/admin/users/new/", data={
        "email": "Nieuwe.Collega@Example.NL", "name": "Nieuwe Collega",
        "organisation": str(admin.organisation_id), "role": "staff", "locale": "nl",
        "active": "y", "new_password": "een-sterk-wachtwoord"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    user = db.session.scalar(sa.select(User).filter_by(email="nieuwe.collega@example.nl"))
    assert user is not None and user.role == "staff"
    assert user.password_hash != "een-sterk-wachtwoord"
    assert check_password_hash(user.password_hash, "een-sterk-wachtwoord")


def test_admin_user_form_requires_a_good_password_for_a_new_user(admin_client, admin):
    base = {"email": "x@example.nl", "name": "X", "organisation": str(admin.organisation_id),
            "role": "staff", "locale": "nl", "active": "y"}
    admin_client.post("/admin/users/new/", data=base)
    admin_client.post("/admin/users/new/", data={**base, "new_password": "kort"})
    admin_client.post("/admin/users/new/", data={**base, "email": "BEHEER@example.nl",
                                                  "new_password": "lang-genoeg-123"})
    assert db.session.scalars(sa.select(User.email)).all() == ["beheer@example.nl"]


def test_admin_sets_a_new_password_and_keeps_it_when_left_empty(admin_client, make_user):
    user = make_user(role="staff")
    data = {"email": user.email, "name": user.name, "organisation": str(user.organisation_id),
            "role": "staff", "locale": "en", "active": "y"}
    response = admin_client.post(f"/admin/users/edit/?id={user.id}",
                                 data={**data, "new_password": "nog-een-wachtwoord"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "nog-een-wachtwoord")
    assert user.locale == "en"
    old_hash = user.password_hash
    admin_client.post(f"/admin/users/edit/?id={user.id}", data={**data, "new_password": ""})
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_admin_cannot_remove_own_admin_role(admin_client, admin):
    admin_client.post(f"/admin/users/edit/?id={admin.id}", data={
        "email": admin.email, "name": admin.name, "organisation": str(admin.organisation_id),
        "role": "staff", "locale": "nl", "active": "y"})
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_admin_edits_reference_data(admin_client):
    # Reference rows outlive a test (only business tables are emptied): put it back after.
    municipality = db.session.scalar(sa.select(Municipality).filter_by(name="Utrecht"))
    original = (municipality.name, municipality.search_name)
    try:
        response = admin_client.post(f"/admin/municipalities/edit/?id={municipality.id}",
                                     data={"code": municipality.code, "name": "Utrecht (stad)",
                                           "province": str(municipality.province_id)})
        assert response.status_code == 302
        db.session.refresh(municipality)
        assert municipality.name == "Utrecht (stad)"
        assert municipality.search_name == "utrecht (stad)"
    finally:
        municipality.name, municipality.search_name = original
        db.session.commit()


def test_admin_forms_carry_and_need_a_csrf_token(app, admin_client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = admin_client.get("/admin/organisations/new/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token, "the admin form has no CSRF token"
    data = {"name": "Met token", "kind": "overig", "active": "y"}
    refused = admin_client.post("/admin/organisations/new/", data={**data, "name": "Zonder"})
    assert refused.status_code == 400
    accepted = admin_client.post("/admin/organisations/new/",
                                 data={**data, "csrf_token": token.group(1)})
    assert accepted.status_code == 302
    names = db.session.scalars(sa.select(Organisation.name)).all()
    assert "Met token" in names and "Zonder" not in names
