"""API fixtures: tokens, a client that sends them, and a small network of three organisations."""
import pytest

from crm.api.tokens import create_token
from crm.extensions import db

PREFIX = "/api/v1"


class Api:
    """The Flask test client with a bearer token and JSON bodies; paths under /api/v1."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def _headers(self, headers):
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        out.update(headers or {})
        return out

    def request(self, method, path, json=None, *, data=None, headers=None, **kwargs):
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        return self.client.open(PREFIX + path, method=method, headers=self._headers(headers),
                                **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json, **kwargs)

    def delete(self, path, json=None, **kwargs):
        return self.request("DELETE", path, json, **kwargs)


@pytest.fixture
def token_for(app):
    def make(user):
        token = create_token(user)
        db.session.commit()
        return token
    return make


@pytest.fixture
def api_as(client, token_for):
    """``api_as(user)``: an API client acting as ``user`` (through a fresh token)."""
    def make(user):
        return Api(client, token_for(user))
    return make


@pytest.fixture
def anonymous(client):
    return Api(client)


@pytest.fixture
def network(make_org, make_user, make_company):
    """Three organisations in Utrecht, a coordinator of Utrecht and one of Groningen, and a
    company in Utrecht."""
    class Network:
        pass
    n = Network()
    n.a = make_org("Digitale Werkplaats Utrecht", kind="werkplaats")
    n.b = make_org("EDIH Midden", kind="edih")
    n.c = make_org("ROM Utrecht", kind="rom")
    n.user_a = make_user(org=n.a, locale="en")
    n.user_b = make_user(org=n.b, locale="en")
    n.user_c = make_user(org=n.c, locale="en")
    n.coordinator = make_user(org=n.c, role="coordinator", provinces=("Utrecht",), locale="en")
    n.other_coordinator = make_user(org=n.c, role="coordinator", provinces=("Groningen",),
                                    locale="en")
    n.company = make_company(kvk="01234567", name="Bakkerij De Korenschoof")
    return n
