"""The ecosystem map's pages: map, detail, form, withdraw, coverage and network."""
from datetime import timedelta

import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.clock import today
from crm.journeys.offerings import create_offering
from crm.models import Offering
from tests.conftest import login, province


def make(user, **data):
    offering = create_offering({"name": "Aanbod", "archetype": "advisering", **data}, by=user)
    db.session.commit()
    return offering


def form_data(**overrides):
    data = {"name": "Digitale Werkplaats Zeeland", "archetype": "werken-met-studenten",
            "description": "Studenten helpen met online marketing.", "cost_kind": "gratis",
            "cost_note": "", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "contact_name": "Loket", "contact_email": "loket@example.nl",
            "contact_phone": "0118 123 456", "url": "www.example.nl", "takes_referrals": "y",
            "province_ids": [str(province("Zeeland").id)], "size": ["micro", "zzp"],
            "maturity": ["laag"], "technology": ["online-marketing"],
            "bottleneck": ["kunnen"], "providers-0-name": "Hogeschool Zeeland",
            "providers-0-role": "uitvoerder", "providers-0-organisation_id": "",
            "providers-1-name": "", "providers-1-role": "", "providers-1-organisation_id": ""}
    data.update(overrides)
    return data


def test_pages_render(client, make_user, make_org):
    user = make_user()
    offering = make(user, size=["micro"], maturity=["laag"],
                    province_ids=[province("Zeeland").id],
                    providers=[{"name": "Rabobank", "role": "financier"}])
    login(client, user)
    for url in ["/offerings", "/offerings?size=micro&province=%d" % province("Zeeland").id,
                f"/offerings/{offering.id}", f"/offerings/{offering.id}/edit", "/offerings/new",
                "/offerings/coverage", "/offerings/network",
                "/offerings/network?province=%d" % province("Zeeland").id,
                "/offerings?q=aanbod&archetype=advisering&expired=1&withdrawn=1&page=2",
                "/offerings?size=reus&province=abc&sector=ZZ&page=x"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:2000])
    assert "Rabobank" in client.get("/offerings/network").get_data(as_text=True)


def test_create_through_the_form(client, make_user):
    user = make_user()
    login(client, user)
    response = client.post("/offerings/new", data=form_data())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    offering = db.session.scalars(sa.select(Offering)).one()
    assert offering.organisation_id == user.organisation_id
    assert offering.values("size") == ["micro", "zzp"]
    assert [(p.name, p.role) for p in offering.providers] == [("Hogeschool Zeeland",
                                                               "uitvoerder")]
    assert offering.url == "https://www.example.nl"
    page = client.get(f"/offerings/{offering.id}").get_data(as_text=True)
    assert "Digitale Werkplaats Zeeland" in page and "Hogeschool Zeeland" in page


def test_invalid_input_is_422_with_messages_next_to_fields(client, make_user):
    user = make_user()
    login(client, user)
    response = client.post("/offerings/new", data=form_data(
        archetype="", ends_on="2025-01-01", contact_email="nee", **{"providers-0-role": ""}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="archetype-error"' in page
    assert 'id="ends_on-error"' in page
    assert 'id="contact_email-error"' in page
    assert 'id="providers-0-role-error"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0
    response = client.post("/offerings/new", data=form_data(name="", starts_on="gisteren"))
    assert response.status_code == 422


def test_edit_permissions(client, make_user, make_org):
    owner = make_user(role="staff")
    offering = make(owner, name="Oud")
    stranger = make_user(org=make_org())
    login(client, stranger)
    assert client.get(f"/offerings/{offering.id}").status_code == 200
    assert client.get(f"/offerings/{offering.id}/edit").status_code == 403
    assert client.post(f"/offerings/{offering.id}/edit",
                       data=form_data(name="Gekaapt")).status_code == 403
    assert client.post(f"/offerings/{offering.id}/withdraw").status_code == 403
    assert client.get("/offerings/999999").status_code == 404
    assert client.get("/offerings/999999/edit").status_code == 404
    assert "Gekaapt" not in {o.name for o in db.session.scalars(sa.select(Offering))}

    for user in (make_user(org=owner.organisation),
                 make_user(org=make_org(), role="coordinator"),
                 make_user(org=make_org(), role="admin")):
        client.post("/logout")
        login(client, user)
        assert client.get(f"/offerings/{offering.id}/edit").status_code == 200
        response = client.post(f"/offerings/{offering.id}/edit",
                               data=form_data(name=f"Door {user.name}"))
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        db.session.refresh(offering)
        assert offering.name == f"Door {user.name}"
        assert offering.organisation_id == owner.organisation_id


def test_coordinator_chooses_organisation(client, make_user, make_org):
    partner = make_org(name="ROM Zeeland")
    coordinator = make_user(role="coordinator")
    login(client, coordinator)
    assert 'name="organisation_id"' in client.get("/offerings/new").get_data(as_text=True)
    response = client.post("/offerings/new", data=form_data(organisation_id=str(partner.id)))
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Offering)).one().organisation_id == partner.id


def test_staff_cannot_pick_another_organisation(client, make_user, make_org):
    partner = make_org(name="ROM Zeeland")
    user = make_user()
    login(client, user)
    assert 'name="organisation_id"' not in client.get("/offerings/new").get_data(as_text=True)
    client.post("/offerings/new", data=form_data(organisation_id=str(partner.id)))
    assert db.session.scalars(sa.select(Offering)).one().organisation_id == user.organisation_id


def test_withdraw_and_reactivate(client, make_user):
    user = make_user()
    offering = make(user, name="Tijdelijke regeling")
    login(client, user)
    assert client.post(f"/offerings/{offering.id}/withdraw").status_code == 302
    db.session.refresh(offering)
    assert offering.active is False
    assert "Tijdelijke regeling" not in client.get("/offerings").get_data(as_text=True)
    page = client.get("/offerings?withdrawn=1").get_data(as_text=True)
    assert "Tijdelijke regeling" in page
    assert client.post(f"/offerings/{offering.id}/reactivate").status_code == 302
    db.session.refresh(offering)
    assert offering.active is True


def test_expired_hidden_by_default_and_marked(client, make_user):
    user = make_user()
    make(user, name="Lopende regeling", ends_on=today())
    make(user, name="Afgelopen regeling", ends_on=today() - timedelta(days=1))
    login(client, user)
    page = client.get("/offerings").get_data(as_text=True)
    assert "Lopende regeling" in page and "Afgelopen regeling" not in page
    page = client.get("/offerings?expired=1").get_data(as_text=True)
    assert "Afgelopen regeling" in page
    row = page[page.index("Afgelopen regeling"):]
    row = row[:row.index("</tr>")]
    assert "offering-state" in row  # the EXPIRED badge, in text, on that row
    lopend = page[page.index("Lopende regeling"):]
    assert "offering-state" not in lopend[:lopend.index("</tr>")]


def test_free_text_search_on_the_map(client, make_user, make_org):
    user = make_user(org=make_org(name="Provincie Fryslân"))
    make(user, name="Mkb-deal", description="Subsidie voor digitalisering")
    other = make_user(org=make_org(name="KVK"))
    make(other, name="Webinar")
    login(client, user)
    page = client.get("/offerings?q=FRYSLAN").get_data(as_text=True)
    assert "Mkb-deal" in page and "Webinar" not in page
    page = client.get("/offerings?q=subsidie").get_data(as_text=True)
    assert "Mkb-deal" in page and "Webinar" not in page


def test_coverage_page_marks_white_spots_in_text(client, make_user):
    user = make_user()
    make(user, archetype="scans", size=["micro"], maturity=["laag"],
         province_ids=[province("Zeeland").id])
    login(client, user)
    page = client.get("/offerings/coverage").get_data(as_text=True)
    assert "<caption" in page and 'scope="row"' in page and 'scope="col"' in page
    assert page.count('class="white-spot"') == 12 * 12 + 12 * 12 - 1 - 1


def test_pages_need_login(client):
    for url in ["/offerings", "/offerings/coverage", "/offerings/network", "/offerings/new"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_map_pages_through_the_offerings_with_one_total(client, make_user, monkeypatch):
    """The map counts every match and pages through them; past the last page it still says
    how many there are."""
    from crm.views import offerings as offering_views
    monkeypatch.setattr(offering_views, "PER_PAGE", 2)
    user = make_user()
    for name in ("Aanbod A", "Aanbod B", "Aanbod C"):
        make(user, name=name)
    login(client, user)
    first = client.get("/offerings?archetype=advisering").get_data(as_text=True)
    assert "3 aanbiedingen gevonden" in first
    assert "Aanbod A" in first and "Aanbod B" in first and "Aanbod C" not in first
    assert 'rel="next"' in first
    second = client.get("/offerings?archetype=advisering&page=2").get_data(as_text=True)
    assert "Aanbod C" in second and "Aanbod A" not in second and 'rel="next"' not in second
    beyond = client.get("/offerings?archetype=advisering&page=9").get_data(as_text=True)
    assert "3 aanbiedingen gevonden" in beyond and "Aanbod A" not in beyond
