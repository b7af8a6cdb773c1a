"""Monitor figures on hand-made journeys: exact numbers, small-cell suppression, scopes and who
may see them, and the list that names companies following the visibility rules."""

import pytest

from crm.extensions import db
from crm.journeys.errors import NotAllowed, ValidationFailed
from crm.journeys.monitor import (dashboard_figures, dma, reach, referrals, scope_from_params,
                                  stalled, suppress, suppress_row, survey, top_paths)
from tests import monitor_data
from tests.monitor_data import TODAY

PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}


@pytest.fixture
def fast_hashing(monkeypatch):
    import werkzeug.security
    real = werkzeug.security.generate_password_hash
    monkeypatch.setattr(werkzeug.security, "generate_password_hash",
                        lambda password: real(password, method="pbkdf2:sha256:1"))


@pytest.fixture
def data(fast_hashing, make_org, make_user, make_company):
    return monitor_data.build(make_org, make_user, make_company)


def scope(user, **params):
    return scope_from_params(db.session, user, {**PERIOD, **params}, today=TODAY)


def by_key(rows):
    return {r["key"]: r for r in rows}


# --- suppression ------------------------------------------------------------------------------

def test_cells_of_one_to_four_companies_are_shown_as_less_than_five():
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == [0, "< 5", "< 5", 5, 12]
    assert suppress(3, applies=False) == 3
    assert suppress(40, companies=2) == "< 5"
    row = {"key": "scans", "name": "Scans", "companies": 3, "contacts": 40}
    assert suppress_row(row, applies=True) == {"key": "scans", "name": "Scans",
                                               "companies": "< 5", "contacts": "< 5"}
    assert suppress_row(row, applies=False) == row


# --- reach ------------------------------------------------------------------------------------

def test_reach_counts_distinct_companies_next_to_contacts_for_a_coordinator(data):
    s = scope(data.users.coordinator)
    assert s.cross_organisation and s.label == "Utrecht"
    r = reach(db.session, s)
    assert (r["contacts"], r["companies_reached"]) == (14, 7)
    kinds = by_key(r["archetype"])
    assert (kinds["scans"]["companies"], kinds["scans"]["contacts"]) == (7, 7)
    assert (kinds["workshops"]["companies"], kinds["workshops"]["contacts"]) == (5, 5)
    assert kinds["advisering"]["companies"] == "< 5" and kinds["telefoon"]["contacts"] == "< 5"
    sizes = by_key(r["size_class"])
    assert (sizes["micro"]["companies"], sizes["micro"]["contacts"]) == (6, 13)
    assert sizes["klein"]["companies"] == "< 5"
    assert by_key(r["sector"])["J"]["companies"] == 6
    assert by_key(r["maturity"])["laag"]["contacts"] == 13
    municipalities = {row["name"]: row for row in r["municipality"]}
    assert municipalities["Utrecht"]["companies"] == 6
    assert municipalities["Amersfoort"]["companies"] == "< 5"
    orgs = by_key(r["organisations"])
    assert (orgs["1"]["companies"], orgs["2"]["companies"], orgs["3+"]["companies"]) == \
        ("< 5", 5, 0)


def test_an_organisation_sees_its_own_work_unsuppressed(data):
    s = scope(data.users.staff_a)
    assert not s.cross_organisation and s.label == "Alfa EDIH"
    r = reach(db.session, s)
    # Alfa's own contacts in the period: 6 scans (Utrecht) + 1 scan (Groningen) + 2 with c1.
    assert (r["contacts"], r["companies_reached"]) == (9, 7)
    kinds = by_key(r["archetype"])
    assert kinds["advisering"]["companies"] == 1 and kinds["telefoon"]["contacts"] == 1


def test_an_organisations_own_figures_follow_the_company_filters(data):
    """Unfiltered, an organisation's own figures read its rows alone (no company looked up);
    with a company filter every figure keeps to the companies that pass it. Alfa's work with the
    one "klein" company (Amersfoort) is a referral it received, cancelled."""
    staff = data.users.staff_a
    everything = dashboard_figures(db.session, scope(staff), staff)
    klein = dashboard_figures(db.session, scope(staff, size_class="klein"), staff)
    assert (everything["contacts"], everything["companies_reached"]) == (9, 7)
    assert (klein["contacts"], klein["companies_reached"]) == (0, 0)
    assert by_key(everything["reach"]["archetype"])["scans"]["contacts"] == 7
    assert klein["reach"]["archetype"] == []
    assert everything["funnel"]["sent"] == 7
    assert {k: v for k, v in klein["referrals"].items() if v} == {"cancelled": 1}
    assert everything["impact"]["survey"]["responses"] == 2
    assert everything["impact"]["survey"]["invitations"] == 3
    assert (klein["impact"]["survey"]["responses"], klein["impact"]["survey"]["invitations"]) \
        == (0, 0)
    assert (everything["impact"]["dma"]["companies"], klein["impact"]["dma"]["companies"]) == \
        (2, 0)
    assert everything["journeys"]["stalled"]["companies"] >= 1
    assert klein["journeys"]["stalled"]["companies"] == 0


def test_filters_narrow_every_figure(data):
    r = reach(db.session, scope(data.users.coordinator, size_class="klein"))
    assert (r["contacts"], r["companies_reached"]) == ("< 5", "< 5")
    r = reach(db.session, scope(data.users.coordinator, archetype="workshops"))
    assert (r["contacts"], r["companies_reached"]) == (5, 5)
    r = reach(db.session, scope(data.users.coordinator, **{"from": "2026-03-01"}))
    assert r["companies_reached"] == 5
    r = reach(db.session, scope(data.users.coordinator, partner=str(data.orgs.a.id)))
    assert (r["contacts"], r["companies_reached"]) == (8, 6)


# --- referrals --------------------------------------------------------------------------------

def test_referral_states_funnel_and_medians_for_an_organisation(data):
    ref = referrals(db.session, scope(data.users.staff_a))
    assert ref["states"] == {"requested": 2, "accepted": 0, "rejected": 1, "in_progress": 1,
                             "on_hold": 0, "completed": 1, "failed": 1, "cancelled": 1,
                             "overdue": 1}
    f = ref["funnel"]
    assert (f["sent"], f["accepted"], f["completed"], f["closed_without_follow_up"]) == \
        (7, 3, 1, 1)
    assert f["closed_without_follow_up_share"] == 14.3
    assert f["median_days_to_accept"] == 2.0  # 1, 2 and 4 days
    assert f["median_days_to_complete"] == 10.0
    senders = {r["name"]: r for r in ref["by_sender"]}
    assert senders["Alfa EDIH"]["referrals"] == 5 and senders["Bravo Werkplaats"]["referrals"] == 2
    flows = {(r["from_name"], r["to_name"]): r for r in ref["flows"]}
    ab = flows[("Alfa EDIH", "Bravo Werkplaats")]
    assert (ab["referrals"], ab["accepted"], ab["completed"], ab["rejected"], ab["overdue"]) == \
        (4, 2, 1, 1, 1)
    assert ab["acceptance_rate"] == 50.0 and ab["completion_rate"] == 25.0


def test_the_median_of_an_even_number_of_durations_is_the_mean_of_the_middle_two(data):
    # Accepted after 1, 2 and 4 days (above); a fourth after 5 days: (2 + 4) / 2.
    monitor_data.referral(data.companies[5], data.orgs.a, data.orgs.c, "in-progress",
                          monitor_data.at(2026, 4, 1, 10), accepted=monitor_data.at(2026, 4, 6, 10))
    f = referrals(db.session, scope(data.users.staff_a))["funnel"]
    assert f["median_days_to_accept"] == 3.0


def test_small_referral_cells_are_suppressed_across_organisations(data):
    ref = referrals(db.session, scope(data.users.coordinator))
    assert ref["states"]["completed"] == "< 5" and ref["states"]["accepted"] == 0
    assert ref["funnel"]["sent"] == 7
    assert ref["funnel"]["completed"] == "< 5"
    assert {r["name"]: r["referrals"] for r in ref["by_sender"]} == {
        "Alfa EDIH": 5, "Bravo Werkplaats": "< 5"}


# --- journeys ---------------------------------------------------------------------------------

def test_most_common_paths_in_order_of_first_occurrence(data):
    paths = top_paths(db.session, scope(data.users.staff_b, organisation_id=None))
    assert paths == [{"steps": ["workshops"], "companies": 5}]
    paths = top_paths(db.session, scope(data.users.admin, province="Utrecht"))
    assert paths[0] == {"steps": ["scans", "workshops"], "companies": "< 5"}
    assert {tuple(p["steps"]) for p in paths} == {
        ("scans", "workshops"), ("scans",), ("scans", "workshops", "advisering")}


def test_stalled_referrals_are_counted_for_all_and_listed_as_far_as_visible(data):
    s = stalled(db.session, scope(data.users.coordinator), data.users.coordinator)
    assert s["companies"] == "< 5"
    assert sorted(r["name"] for r in s["rows"]) == [
        "Utrechts Bedrijf 3", "Utrechts Bedrijf 4", "Utrechts Bedrijf 5"]
    assert {r["status"] for r in s["rows"]} == {"rejected", "failed", "overdue"}
    # Charlie is party to one of them only; the others need the company's consent.
    s = stalled(db.session, scope(data.users.staff_c), data.users.staff_c)
    assert [r["name"] for r in s["rows"]] == ["Utrechts Bedrijf 4"] and s["companies"] == 1
    admin_scope = scope(data.users.admin, province="Utrecht")
    assert stalled(db.session, admin_scope, data.users.admin)["rows"] == []
    monitor_data.give_consent(data.companies[2], data.orgs.a)
    rows = stalled(db.session, admin_scope, data.users.admin)["rows"]
    assert [r["name"] for r in rows] == ["Utrechts Bedrijf 3"]


def test_the_stalled_list_shows_the_latest_up_to_its_limit_and_counts_all_visible(data):
    user = data.users.coordinator
    whole = stalled(db.session, scope(user), user)
    assert whole["visible"] == 3
    newest_first = [r["referral_id"] for r in sorted(
        whole["rows"], key=lambda r: (r["sent_at"], r["referral_id"]), reverse=True)]
    assert [r["referral_id"] for r in whole["rows"]] == newest_first
    first = stalled(db.session, scope(user), user, limit=2)
    assert first["visible"] == 3 and first["companies"] == whole["companies"]
    assert first["rows"] == whole["rows"][:2]
    assert all(r["from_name"] and r["to_name"] and r["kvk"] for r in first["rows"])


# --- impact -----------------------------------------------------------------------------------

def test_survey_means_distribution_and_response_rate(data):
    s = survey(db.session, scope(data.users.staff_a))
    assert (s["responses"], s["invitations"], s["response_rate"]) == (2, 3, 66.7)
    q = by_key(s["questions"])
    assert q["answer_1"]["mean"] == 3.5 and q["answer_1"]["n4"] == 1
    assert q["answer_2"]["mean"] == 2.0 and q["answer_2"]["n6"] == 1  # 6: not applicable
    assert q["answer_3"]["mean"] is None and q["answer_3"]["n5"] == 1  # 5: don't know
    arche = by_key(s["by_archetype"])["scans"]
    assert arche["responses"] == 2 and arche["mean"] == 3.0  # (4 + 2 + 3) / 3


def test_dma_mean_change_per_dimension(data):
    d = dma(db.session, scope(data.users.staff_a))
    dims = by_key(d["dimensions"])
    assert d["companies"] == 2
    assert dims["green"]["change"] == 17.5 and dims["average"]["first"] == 35.0
    assert dims["average"]["last"] == 52.5
    # per kind of activity of the organisation between the two assessments: scans at both
    # companies (+20 and +15), advice only at the first (+20); a phone call is no archetype
    kinds = by_key(d["by_archetype"])
    assert set(kinds) == {"scans", "advisering"}
    assert kinds["scans"]["companies"] == 2 and kinds["scans"]["change"] == 17.5
    assert kinds["advisering"]["companies"] == 1 and kinds["advisering"]["change"] == 20.0
    d = dma(db.session, scope(data.users.coordinator))
    assert d["companies"] == "< 5" and by_key(d["dimensions"])["green"]["change"] == "< 5"


def test_dashboard_figures_bring_everything_together(data):
    f = dashboard_figures(db.session, scope(data.users.staff_a), data.users.staff_a)
    assert f["contacts"] == 9 and f["referrals"]["overdue"] == 1
    assert set(f) >= {"reach", "funnel", "by_sender", "by_receiver", "flows", "journeys",
                      "impact"}


# --- scopes and authorization -----------------------------------------------------------------

def test_staff_cannot_see_another_organisations_or_a_provinces_figures(data):
    with pytest.raises(NotAllowed):
        scope(data.users.staff_a, organisation_id=str(data.orgs.b.id))
    with pytest.raises(NotAllowed):
        scope(data.users.staff_a, province="Utrecht")


def test_a_coordinator_sees_only_their_provinces(data):
    with pytest.raises(NotAllowed):
        scope(data.users.coordinator, province="Groningen")
    with pytest.raises(NotAllowed):
        scope(data.users.coordinator, organisation_id=str(data.orgs.a.id), province="Groningen")
    s = scope(data.users.coordinator, region="Regio Amersfoort")
    assert s.region_id is not None and s.label == "Regio Amersfoort"
    r = reach(db.session, s)
    assert r["companies_reached"] == "< 5"
    s = scope(data.users.coordinator_elsewhere)
    assert reach(db.session, s)["companies_reached"] == "< 5"  # the Groningen company


def test_bad_parameters_are_refused_with_field_messages(data):
    with pytest.raises(ValidationFailed) as e:
        scope(data.users.coordinator, **{"from": "2026-13-01", "to": "gisteren",
                                          "size_class": "reus", "province": "Atlantis",
                                          "partner": "abc"})
    assert set(e.value.errors) == {"from", "to", "size_class", "province", "partner"}
    with pytest.raises(ValidationFailed) as e:
        scope(data.users.coordinator, **{"from": "2026-05-01", "to": "2026-04-01"})
    assert set(e.value.errors) == {"to"}


def test_the_dashboards_paths_equal_the_standalone_paths(data):
    for user, params in ((data.users.staff_a, {}), (data.users.admin, {"province": "Utrecht"}),
                         (data.users.staff_b, {})):
        s = scope(user, **params)
        assert reach(db.session, s)["paths"] == top_paths(db.session, s)
