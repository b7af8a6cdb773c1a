from tests.conftest import login


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_pages_render(client, make_user, make_company, make_contact):
    user = make_user()
    company = make_company(trade_names="De Bakker\nBakkerij Online")
    make_contact(company, user.organisation)
    login(client, user)
    for url in ["/", "/?q=bedrijf", f"/companies/{company.id}", f"/companies/{company.id}/edit",
                "/companies/new", "/account/", f"/companies/{company.id}/contacts/new"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:3000])
