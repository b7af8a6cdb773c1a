"""Saved views: save from the journey list (or the dashboard), list, open, rename, delete; a view
is its owner's alone."""
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.errors import NotAllowed, ValidationFailed
from crm.journeys.saved_views import clean_query, delete_view, rename_view, save_view
from crm.models import AuditEntry, SavedView


@pytest.fixture
def coordinator(make_org, make_user):
    return make_user(org=make_org(name="Provincie Utrecht", kind="provincie"),
                     role="coordinator", provinces=("Utrecht",), name="Rik")


def views():
    return db.session.scalars(sa.select(SavedView).order_by(SavedView.id)).all()


def test_save_from_the_journey_list_and_open_it(coordinator, login_as):
    client = login_as(coordinator)
    html = client.get("/journeys?size=micro&open_referral=1").get_data(as_text=True)
    assert 'name="query" value="size=micro&amp;open_referral=1"' in html
    response = client.post("/saved-views", data={
        "kind": "journeys", "name": "  Micro met  open doorverwijzing ",
        "query": "size=micro&open_referral=1&page=3"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/journeys?size=micro&open_referral=1"
    (view,) = views()
    assert (view.name, view.kind, view.query, view.user_id) == (
        "Micro met open doorverwijzing", "journeys", "size=micro&open_referral=1",
        coordinator.id)
    assert db.session.scalars(sa.select(AuditEntry.record_type).where(
        AuditEntry.record_type == "saved_view")).all() == ["saved_view"]
    # listed on the journey list and on "my saved views", and it opens with its filters
    assert "Micro met open doorverwijzing" in client.get("/journeys").get_data(as_text=True)
    assert "Micro met open doorverwijzing" in client.get("/saved-views").get_data(as_text=True)
    opened = client.get(f"/saved-views/{view.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/journeys?size=micro&open_referral=1"


def test_a_dashboard_view_opens_the_dashboard(coordinator, login_as):
    client = login_as(coordinator)
    client.post("/saved-views", data={"kind": "dashboard", "name": "Utrecht 2026",
                                      "query": "from=2026-01-01&to=2026-12-31"})
    (view,) = views()
    location = client.get(f"/saved-views/{view.id}").headers["Location"]
    assert location.endswith("/monitor?from=2026-01-01&to=2026-12-31")


def test_bad_input_gets_a_message_and_loses_nothing(coordinator, login_as):
    client = login_as(coordinator)
    client.post("/saved-views", data={"kind": "journeys", "name": "Mijn lijst",
                                      "query": "sector=C"})
    again = client.post("/saved-views", data={"kind": "journeys", "name": "Mijn lijst",
                                              "query": "sector=F"})
    assert again.status_code == 422
    html = again.get_data(as_text=True)
    assert "Mijn lijst" in html and "sector=F" in html  # what was typed is still there
    assert 'aria-invalid="true"' in html
    assert client.post("/saved-views", data={"kind": "journeys", "name": "  ",
                                             "query": ""}).status_code == 422
    assert client.post("/saved-views", data={"kind": "geheim", "name": "X",
                                             "query": ""}).status_code == 422
    assert client.post("/saved-views", data={"kind": "journeys", "name": "x" * 101,
                                             "query": ""}).status_code == 422
    assert [v.query for v in views()] == ["sector=C"]
    # the same name for another page is fine
    client.post("/saved-views", data={"kind": "dashboard", "name": "Mijn lijst", "query": ""})
    assert len(views()) == 2


def test_rename_and_delete(coordinator, login_as):
    client = login_as(coordinator)
    for name in ("Eerste", "Tweede"):
        client.post("/saved-views", data={"kind": "journeys", "name": name, "query": "a=1"})
    first, second = views()
    assert client.post(f"/saved-views/{first.id}/rename",
                       data={"name": "Tweede"}).status_code == 422  # taken
    response = client.post(f"/saved-views/{first.id}/rename", data={"name": "Hernoemd"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [v.name for v in views()] == ["Hernoemd", "Tweede"]
    assert client.post(f"/saved-views/{second.id}/delete").status_code == 302
    assert [v.name for v in views()] == ["Hernoemd"]
    assert client.post("/saved-views/999999/delete").status_code == 404


def test_a_view_is_its_owners_alone(coordinator, make_user, login_as):
    view = save_view("journeys", "Privé", "size=micro", by=coordinator)
    db.session.commit()
    other = make_user(name="Nieuwsgierig")
    client = login_as(other)
    assert client.get(f"/saved-views/{view.id}").status_code == 404
    assert client.post(f"/saved-views/{view.id}/rename", data={"name": "Van mij"}
                       ).status_code == 404
    assert client.post(f"/saved-views/{view.id}/delete").status_code == 404
    assert "Privé" not in client.get("/saved-views").get_data(as_text=True)
    assert "Privé" not in client.get("/journeys").get_data(as_text=True)
    with pytest.raises(NotAllowed):
        rename_view(view, "Van mij", by=other)
    with pytest.raises(NotAllowed):
        delete_view(view, by=other)
    db.session.rollback()
    assert views()[0].name == "Privé"


def test_operations_validate(coordinator):
    with pytest.raises(ValidationFailed) as failed:
        save_view("journeys", "", "x=1", by=coordinator)
    assert "name" in failed.value.errors
    with pytest.raises(ValidationFailed) as failed:
        save_view("journeys", "Lang", "q=" + "x" * 2100, by=coordinator)
    assert "query" in failed.value.errors
    assert clean_query("?page=2&size=micro&sector=&csrf_token=abc&sort=-name") == \
        "size=micro&sort=-name"
