"""The journey list: what each row says, sorting, filters, visibility without consent, CSV."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm.extensions import db
from crm.journeys import journey_list as jl
from crm.journeys.consent import give_consent
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer, transition

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, tzinfo=AMSTERDAM)


def log(company, user, on, kind="intake", summary=""):
    return log_intervention(company, {"kind": kind, "occurred_on": on, "summary": summary},
                            by=user)


@pytest.fixture
def world(make_org, make_user, make_company):
    """Alfa, Bravo and Charlie work in Utrecht; a coordinator coordinates Utrecht.

    * Appelboom (consent): Alfa scan, Bravo workshop, Alfa → Bravo completed.
    * Beukenhout (no consent): Bravo advice ("Geheim advies"), Bravo → Charlie rejected last.
    * Cederhout (no consent): Alfa intake, Alfa → Charlie still requested (open).
    * Dennenhout (Amsterdam, outside Utrecht): Alfa intake.
    """
    a, b, c = (make_org(name=n) for n in ("Alfa", "Bravo", "Charlie"))
    regio = make_org(name="Provincie Utrecht", kind="provincie")
    users = {"A": make_user(org=a, role="staff", name="Anna"),
             "B": make_user(org=b, role="staff", name="Bert"),
             "C": make_user(org=c, role="staff", name="Carla"),
             "R": make_user(org=regio, role="coordinator", provinces=("Utrecht",),
                            name="Rik")}
    appel = make_company(name="Appelboom B.V.", employees=3, sbi_code="1071")
    beuk = make_company(name="Beukenhout B.V.", employees=20, sbi_code="6201")
    ceder = make_company(name="Cederhout B.V.", employees=3, sbi_code="6201",
                         municipality="Amersfoort")
    den = make_company(name="Dennenhout B.V.", municipality="Amsterdam")
    A, B, C = users["A"], users["B"], users["C"]
    with time_machine.travel(at(2026, 3, 1), tick=False):
        give_consent(appel, "mondeling", by=A)
        log(appel, A, date(2026, 3, 2), "scans")
        log(appel, B, date(2026, 3, 9), "workshops")
        log(beuk, B, date(2026, 3, 3), "advisering", "Geheim advies")
        log(ceder, A, date(2026, 3, 4), "intake")
        log(den, A, date(2026, 3, 5), "intake")
    with time_machine.travel(at(2026, 3, 5), tick=False):
        r1 = refer(appel, b, "Webshop?", by=A, entrepreneur_agrees=True)
        transition(r1, "accept", by=B)
        transition(r1, "complete", by=B, outcome="Webshop live")
        r2 = refer(beuk, c, "Robot?", by=B, entrepreneur_agrees=True)
    with time_machine.travel(at(2026, 3, 6), tick=False):
        transition(r2, "reject", by=C, reason="past-niet")
        refer(ceder, c, "Subsidie?", by=A, entrepreneur_agrees=True)
    db.session.commit()
    return {**users, "appel": appel, "beuk": beuk, "ceder": ceder, "den": den}


def listing(user, **args):
    scope = jl.scope_for(user)
    opts = jl.options(db.session, scope)
    filters, problems = jl.parse_filters({k: str(v) for k, v in args.items()}, opts)
    assert not problems, problems
    ids = jl.company_ids(db.session, scope, filters)
    assert jl.count(db.session, scope, filters) == len(ids)
    return jl.rows(db.session, scope, ids)


def names(rows):
    return [r.name for r in rows]


def test_coordinator_sees_the_companies_of_their_province_with_the_journey_at_a_glance(world):
    rows = {r.name: r for r in listing(world["R"])}
    assert list(rows) == ["Appelboom B.V.", "Beukenhout B.V.", "Cederhout B.V."]
    appel = rows["Appelboom B.V."]
    assert appel.organisations == ["Alfa", "Bravo"] and appel.has_consent
    assert appel.last.type == "intervention" and appel.last.kind == "workshops"
    assert appel.last.organisation == "Bravo" and appel.last.at == date(2026, 3, 9)
    assert appel.open_referrals == 0
    ceder = rows["Cederhout B.V."]
    assert ceder.open_referrals == 1 and ceder.municipality == "Amersfoort"
    # without consent the coordinator sees routes, not another organisation's interventions
    assert rows["Beukenhout B.V."].organisations == []
    beuk_last = rows["Beukenhout B.V."].last
    assert (beuk_last.type, beuk_last.status, beuk_last.organisation) == (
        "referral-step", "rejected", "Charlie")
    assert beuk_last.actor is None  # not a party: the person is not named
    assert ceder.organisations == []  # Alfa's intake is not shared without consent


def test_staff_see_their_own_organisations_companies(world):
    assert names(listing(world["A"])) == ["Appelboom B.V.", "Cederhout B.V.",
                                          "Dennenhout B.V."]
    rows = {r.name: r for r in listing(world["C"])}
    assert list(rows) == ["Beukenhout B.V.", "Cederhout B.V."]
    # Charlie may not see Bravo's advice at Beukenhout (no consent) ...
    assert rows["Beukenhout B.V."].organisations == []
    assert rows["Beukenhout B.V."].last.kind == "reject"
    assert rows["Beukenhout B.V."].last.actor == "Carla"  # own step: named
    # ... and Bravo sees its own advice
    beuk = listing(world["B"])[1]
    assert beuk.name == "Beukenhout B.V." and beuk.organisations == ["Bravo"]


def test_sorting(world):
    r = world["R"]
    assert names(listing(r, sort="-name")) == ["Cederhout B.V.", "Beukenhout B.V.",
                                               "Appelboom B.V."]
    assert names(listing(r, sort="-organisations"))[0] == "Appelboom B.V."
    assert names(listing(r, sort="-open_referrals"))[0] == "Cederhout B.V."
    # newest last step first: Appelboom 9 March, Beukenhout 6 March, Cederhout 6 March
    assert names(listing(r, sort="-last_step")) == ["Appelboom B.V.", "Beukenhout B.V.",
                                                    "Cederhout B.V."]
    assert names(listing(r, sort="last_step"))[-1] == "Appelboom B.V."


def test_filters(world):
    r = world["R"]
    assert names(listing(r, open_referral=1)) == ["Cederhout B.V."]
    assert names(listing(r, failed_last=1)) == ["Beukenhout B.V."]
    assert names(listing(r, size="micro")) == ["Appelboom B.V.", "Cederhout B.V."]
    assert names(listing(r, sector="C")) == ["Appelboom B.V."]
    amersfoort = db.session.execute(db.text(
        "SELECT id FROM municipalities WHERE name = 'Amersfoort'")).scalar()
    assert names(listing(r, municipality=amersfoort)) == ["Cederhout B.V."]
    bravo = world["B"].organisation_id
    # Bravo visited Appelboom (shared) and Beukenhout (not shared: not revealed)
    assert names(listing(r, organisation=bravo)) == ["Appelboom B.V."]
    assert names(listing(world["B"], organisation=bravo)) == ["Appelboom B.V.",
                                                              "Beukenhout B.V."]


def test_a_later_intervention_means_the_failed_referral_was_not_the_last_step(world):
    log(world["beuk"], world["R"], date(2026, 3, 20), "telefoon")  # the coordinator's own call
    db.session.commit()
    assert names(listing(world["R"], failed_last=1)) == []


def test_unknown_filter_values_are_reported_not_fatal(world, login_as):
    client = login_as(world["R"])
    response = client.get("/journeys?size=reus&province=99999&sort=kvk")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("alert-warning") == 3
    assert "Beukenhout B.V." in html  # the list itself is shown unfiltered


def test_page_shows_rows_linking_to_the_timeline_and_pages(world, login_as, monkeypatch):
    monkeypatch.setattr("crm.views.journeys.PER_PAGE", 2)
    client = login_as(world["R"])
    html = client.get("/journeys").get_data(as_text=True)
    assert f'href="/companies/{world["appel"].id}#timeline"' in html
    assert "3 bedrijven" in html and 'rel="next"' in html
    assert "Cederhout" not in html
    second = client.get("/journeys?page=2").get_data(as_text=True)
    assert "Cederhout B.V." in second and "Appelboom" not in second


def test_page_of_a_company_without_consent_hides_other_organisations_steps(world, login_as):
    html = login_as(world["C"]).get("/journeys").get_data(as_text=True)
    assert "Beukenhout B.V." in html
    assert "Bravo" in html  # the route of the referral Charlie received names the sender ...
    assert "Advies" not in html and "Geheim" not in html  # ... but not Bravo's advice


def test_csv_export_of_the_filtered_list(world, login_as):
    response = login_as(world["R"]).get("/journeys.csv?size=micro&sort=-name")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:2] == ["KVK-nummer", "Naam"]
    assert [line.split(";")[1] for line in lines[1:]] == ["Cederhout B.V.", "Appelboom B.V."]
    appel = lines[2].split(";")
    assert appel[8:10] == ["2", "Alfa, Bravo"] and appel[10] == "2026-03-09"


def test_aggregate_sorts_and_filters_agree_with_the_rows_for_every_viewer(world):
    """The aggregate sorts and filters are computed apart from the rows (per company in one
    GROUP BY); for staff and coordinator alike they must list exactly the companies the rows
    describe, in the order the rows' figures give, with the page's count."""
    for who in ("A", "B", "C", "R"):
        everyone = {r.name: r for r in listing(world[who])}
        key = {"organisations": lambda r: len(r.organisations),
               "open_referrals": lambda r: r.open_referrals,
               "last_step": lambda r: r.last.moment.date() if r.last else date.min}
        for sort, figure in key.items():
            rows = listing(world[who], sort="-" + sort)
            assert sorted(names(rows)) == sorted(everyone), (who, sort)
            figures = [figure(r) for r in rows]
            assert figures == sorted(figures, reverse=True), (who, sort, names(rows))
        failed = [n for n, r in everyone.items() if r.last and r.last.failed]
        assert names(listing(world[who], failed_last=1)) == failed, who
        assert names(listing(world[who], open_referral=1)) == [
            n for n, r in everyone.items() if r.open_referrals], who
        scope = jl.scope_for(world[who])
        for sort in ("-last_step", "organisations"):
            f = jl.Filters(sort=sort)
            ids, total = jl.page(db.session, scope, f, offset=0, limit=2)
            assert ids == jl.company_ids(db.session, scope, f)[:2]
            assert total == len(everyone), (who, sort)
        f = jl.Filters(sort="-last_step", failed_last=True)
        assert jl.page(db.session, scope, f, offset=5, limit=2) == ([], len(failed))
