"""Schemathesis against ``/api/v1/openapi.json``, straight on the WSGI app: for every operation,
generated requests (fitting the schema and violating it), with a valid token, an invalid token
and none. Never a 500, and never a byte of another organisation's private data: organisation B
plants markers in everything only B may see, whatever A does meanwhile (contact persons,
internal notes, a referral's question and context; an intervention's summary is shared once
the company consents, which A may record), and no response to A contains them.
"""
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from crm.api.tokens import create_token
from crm.extensions import db
from crm.journeys.companies import add_contact
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer

MARKER = "GeheimVanB"

SETTINGS = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture
def planted(make_org, make_user, make_company):
    """Org A (the caller) and org B with private data marked ``MARKER``."""
    class P:
        pass
    p = P()
    p.a = make_org("Werkplaats A", kind="werkplaats")
    p.b = make_org("EDIH B", kind="edih")
    p.c = make_org("ROM C", kind="rom")
    p.user_a = make_user(org=p.a, locale="en")
    p.user_b = make_user(org=p.b, locale="en")
    p.company = make_company(kvk="01234567", name="Gedeeld Bedrijf B.V.")
    add_contact(p.company, {"name": f"{MARKER} Persoon", "email": "geheim@example.nl",
                            "phone": "030 111 22 33", "role": MARKER}, by=p.user_b)
    log_intervention(p.company, {"kind": "intake", "occurred_on": date(2026, 3, 2),
                                 "summary": "Kennismaking",  # shared once A records consent
                                 "internal_note": f"{MARKER} notitie"}, by=p.user_b)
    p.referral = refer(p.company, p.c, f"{MARKER} vraag", by=p.user_b,
                       context=f"{MARKER} context", entrepreneur_agrees=True)
    db.session.commit()
    p.token = create_token(p.user_a)
    db.session.commit()
    return p


def strategies(operation, planted):
    """Free generation, plus cases aimed at the planted records (their KVK number and id)."""
    names = {p.name for p in operation.path_parameters} if operation.path_parameters else set()
    aimed = {k: v for k, v in {"kvk": planted.company.kvk, "id": planted.referral.id}.items()
             if k in names}
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    out = [operation.as_strategy(generation_mode=m) for m in modes]
    if aimed:
        out += [operation.as_strategy(generation_mode=m, path_parameters=aimed) for m in modes]
    return st.one_of(out)


@pytest.mark.parametrize("auth", ["valid", "invalid", "none"])
def test_no_500_and_no_leak_on_any_operation(app, planted, auth):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"valid": {"Authorization": f"Bearer {planted.token}"},
               "invalid": {"Authorization": "Bearer vd_not-a-real-token"},
               "none": {}}[auth]
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        @SETTINGS
        @given(case=strategies(operation, planted))
        def run(case):
            response = case.call(headers=headers)
            body = response.content or b""
            text = body.decode("utf-8", "replace")
            if response.status_code >= 500 or MARKER.encode() in body:
                failures.append((case.method, case.formatted_path, case.path_parameters,
                                 case.query, str(case.body)[:300], response.status_code,
                                 text[:500]))
            if auth != "valid":
                assert response.status_code in (200, 401, 404, 405), (
                    case.method, case.formatted_path, response.status_code)
                if response.status_code == 200:  # only the public description
                    assert case.formatted_path.endswith("/openapi.json")

        run()
    assert not failures, failures[:5]


def test_the_markers_are_there_to_be_found(client, planted):
    """The control: B itself sees its markers, so their absence above means something."""
    token_b = create_token(planted.user_b)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token_b}"}
    contacts = client.get("/api/v1/companies/01234567/contacts", headers=headers)
    referral = client.get(f"/api/v1/referrals/{planted.referral.id}", headers=headers)
    assert MARKER in contacts.get_data(as_text=True)
    assert MARKER in referral.get_data(as_text=True)
