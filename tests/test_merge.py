"""Merging a duplicate company into the survivor, and reversing it: nothing is lost."""
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.consent import give_consent
from crm.journeys.errors import StaleEdit
from crm.journeys.interventions import log_intervention
from crm.journeys.merge import (UnmergeRefused, count_rows, default_choices, merge_companies,
                                referencing_columns, unmerge)
from crm.journeys.referrals import refer, transition
from crm.journeys.tasks import add_task
from crm.models import (AuditEntry, Company, CompanyMerge, Consent, Intervention,
                        Notification)

MASTER = ("kvk", "establishment_number", "name", "trade_names", "sort_name", "search_text",
          "sbi_code", "sbi_section", "employees", "size_class", "phase", "non_mailing",
          "municipality_id", "province_id", "website", "digital_maturity", "created_at")


def master(company_id: int) -> dict:
    table = Company.__table__
    row = db.session.execute(sa.select(*[table.c[k] for k in MASTER])
                             .where(table.c.id == company_id)).one()
    return dict(row._mapping)


def all_counts() -> dict[str, int]:
    """Rows per table in every table that refers to companies (the whole database)."""
    return {col.table.name: db.session.scalar(sa.select(sa.func.count()).select_from(col.table))
            for col in referencing_columns()}


@pytest.fixture
def journeys(make_org, make_user, make_company, make_contact):
    """Two records of one bakery, each with a journey of its own, and two organisations."""
    org = make_org(name="Digitale Werkplaats Utrecht")
    partner = make_org(name="EDIH Midden")
    user = make_user(org=org, name="Sanne")
    partner_user = make_user(org=partner, name="Piet")
    admin = make_user(org=make_org(name="Beheer"), role="admin", name="Beheerder")
    survivor = make_company(name="Bakkerij Jansen B.V.", kvk="12345678", employees=4,
                            website="https://jansen.example")
    duplicate = make_company(name="Bakkerij Jansen", kvk=None, employees=None, size_class=None,
                             trade_names="Jansen Brood", phase="starter", website=None)
    for company, who in ((survivor, user), (duplicate, partner_user)):
        log_intervention(company, {"kind": "intake", "bottlenecks": ["weten"],
                                   "summary": f"Intake bij {company.name}"}, by=who)
    intervention = log_intervention(duplicate, {"kind": "telefoon", "bottlenecks": ["kunnen"],
                                                "summary": "Belde over webshop"}, by=user)
    add_task(intervention, {"title": "Terugbellen", "due_on": "2026-01-05"}, by=user)
    referral = refer(duplicate, partner, "Hulp bij webshop", by=user, entrepreneur_agrees=True)
    transition(referral, "accept", by=partner_user)
    give_consent(survivor, "mondeling bij intake", by=user)
    give_consent(duplicate, "getekend formulier", by=partner_user)
    make_contact(duplicate, org, name="Anna de Vries")
    make_contact(survivor, org, name="Bram Bakker")
    db.session.add(Notification(user_id=user.id, company_id=duplicate.id, kind="referral-new",
                                referral_id=referral.id))
    db.session.commit()
    return {"org": org, "user": user, "partner_user": partner_user, "admin": admin,
            "survivor": survivor, "duplicate": duplicate, "referral": referral}


def test_merge_moves_every_row_and_loses_nothing(journeys):
    survivor, duplicate, admin = journeys["survivor"], journeys["duplicate"], journeys["admin"]
    survivor_id, duplicate_id = survivor.id, duplicate.id
    per_company = {name: count_rows(db.session, c.id)
                   for name, c in (("s", survivor), ("d", duplicate))}
    totals_before = all_counts()
    expected = {t: per_company["s"].get(t, 0) + per_company["d"].get(t, 0)
                for t in set(per_company["s"]) | set(per_company["d"])}
    assert expected["interventions"] == 3 and expected["consents"] == 2
    assert expected["follow_up_tasks"] == 1 and expected["referrals"] == 1
    assert expected["contact_persons"] == 2 and expected["notifications"] >= 1

    merge = merge_companies(survivor, duplicate, default_choices(survivor, duplicate), by=admin)
    db.session.commit()

    assert db.session.get(Company, duplicate_id) is None
    after = count_rows(db.session, survivor_id)
    audit_added = after.pop("audit_entries") - expected.pop("audit_entries")
    assert after == expected  # every row of both companies now belongs to the survivor
    assert audit_added == 2  # the merge's own entries: survivor and duplicate
    totals_after = all_counts()
    totals_after["audit_entries"] -= 2
    assert totals_after == totals_before  # nothing deleted anywhere
    assert merge.moved_count == sum(per_company["d"].values())
    assert {e.action for e in db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.record_type == "company", AuditEntry.action == "merge"))} == {"merge"}


def test_survivor_has_one_current_consent_and_the_other_is_closed_with_a_note(journeys):
    survivor, duplicate = journeys["survivor"], journeys["duplicate"]
    merge_companies(survivor, duplicate, {}, by=journeys["admin"])
    db.session.commit()
    consents = db.session.scalars(sa.select(Consent).where(
        Consent.company_id == survivor.id).order_by(Consent.id)).all()
    assert len(consents) == 2
    current = [c for c in consents if c.withdrawn_at is None]
    assert [c.basis for c in current] == ["mondeling bij intake"]
    closed = [c for c in consents if c.withdrawn_at is not None][0]
    assert "Samengevoegd" in closed.withdrawal_note


def test_a_duplicate_s_consent_becomes_the_survivor_s_when_it_had_none(journeys):
    survivor, duplicate = journeys["survivor"], journeys["duplicate"]
    own = db.session.scalars(sa.select(Consent).where(Consent.company_id == survivor.id)).one()
    db.session.delete(own)
    db.session.commit()
    merge_companies(survivor, duplicate, {}, by=journeys["admin"])
    db.session.commit()
    current = db.session.scalars(sa.select(Consent).where(
        Consent.company_id == survivor.id, Consent.withdrawn_at.is_(None))).all()
    assert [c.basis for c in current] == ["getekend formulier"]


def test_chosen_fields_survive_and_the_survivor_takes_a_missing_kvk(make_company, make_user,
                                                                   make_org):
    admin = make_user(role="admin", org=make_org())
    survivor = make_company(name="Jansen Bakkerij", kvk=None, employees=None, size_class=None)
    duplicate = make_company(name="Bakkerij Jansen B.V.", kvk="87654321", employees=12,
                             municipality="Utrecht", phase="scale-up")
    choices = default_choices(survivor, duplicate)
    assert choices["kvk"] == "duplicate" and choices["employees"] == "duplicate"
    choices["name"] = "duplicate"
    merge_companies(survivor, duplicate, choices, by=admin)
    db.session.commit()
    company = db.session.get(Company, survivor.id)
    assert (company.kvk, company.name, company.employees, company.size_class) == (
        "87654321", "Bakkerij Jansen B.V.", 12, "klein")
    assert company.sort_name == "bakkerij jansen b.v."
    assert company.search_text.startswith(company.sort_name)
    from crm.journeys.search import search_companies
    assert [c.id for c in search_companies(db.session, "87654321").items] == [company.id]


def test_timeline_of_the_survivor_shows_both_journeys(journeys, login_as):
    survivor, duplicate = journeys["survivor"], journeys["duplicate"]
    duplicate_id = duplicate.id
    merge_companies(survivor, duplicate, {}, by=journeys["admin"])
    db.session.commit()
    client = login_as(journeys["user"])
    page = client.get(f"/companies/{survivor.id}").get_data(as_text=True)
    assert "Intake bij Bakkerij Jansen B.V." in page  # the survivor's own
    assert page.count("Intake bij Bakkerij Jansen") == 2  # and the duplicate's
    assert "Belde over webshop" in page
    # The duplicate's old address leads to the survivor.
    response = client.get(f"/companies/{duplicate_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/companies/{survivor.id}")
    response = client.get(f"/companies/{duplicate_id}/klantreis.pdf?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/companies/{survivor.id}/klantreis.pdf?lang=en")
    # A company that never existed is simply not found.
    missing = client.get(f"/companies/{duplicate_id + 1000}")
    assert missing.status_code == 404
    assert "Pagina niet gevonden" in missing.get_data(as_text=True)


def test_unmerge_restores_both_companies_exactly(journeys):
    survivor, duplicate, admin = journeys["survivor"], journeys["duplicate"], journeys["admin"]
    survivor_id, duplicate_id = survivor.id, duplicate.id
    before = {i: (master(i), count_rows(db.session, i)) for i in (survivor_id, duplicate_id)}
    consents_before = {c.id: (c.company_id, c.withdrawn_at) for c in
                       db.session.scalars(sa.select(Consent))}
    choices = {**default_choices(survivor, duplicate), "name": "duplicate", "phase": "duplicate",
               "trade_names": "both"}
    merge = merge_companies(survivor, duplicate, choices, by=admin)
    db.session.commit()
    assert db.session.get(Company, survivor_id).name == "Bakkerij Jansen"
    merge_id = merge.id
    from crm.journeys.search import search_companies
    assert [c.id for c in search_companies(db.session, "jansen brood").items] == [survivor_id]

    unmerge(db.session.get(CompanyMerge, merge_id), by=admin)
    db.session.commit()
    db.session.expire_all()
    for company_id, (fields, counts) in before.items():
        assert master(company_id) == fields
        now = count_rows(db.session, company_id)
        audit_added = now.pop("audit_entries", 0) - counts.pop("audit_entries", 0)
        assert now == counts
        assert audit_added == 2  # the merge's and the unmerge's entry about each
    assert {c.id: (c.company_id, c.withdrawn_at) for c in
            db.session.scalars(sa.select(Consent))} == consents_before
    assert db.session.get(CompanyMerge, merge_id).reverted_at is not None
    assert {c.id for c in search_companies(db.session, "bakkerij jansen").items} == {
        survivor_id, duplicate_id}
    assert [c.id for c in search_companies(db.session, "jansen brood").items] == [duplicate_id]
    with pytest.raises(UnmergeRefused):
        unmerge(db.session.get(CompanyMerge, merge_id), by=admin)


def test_unmerge_refuses_when_a_moved_row_was_deleted_and_changes_nothing(journeys):
    survivor, duplicate, admin = journeys["survivor"], journeys["duplicate"], journeys["admin"]
    duplicate_id = duplicate.id
    merge = merge_companies(survivor, duplicate, {}, by=admin)
    db.session.commit()
    moved_id = merge.moved["interventions.company_id"][0]
    db.session.execute(sa.delete(Intervention.__table__).where(Intervention.id == moved_id))
    db.session.commit()
    counts = count_rows(db.session, survivor.id)
    with pytest.raises(UnmergeRefused) as refused:
        unmerge(merge, by=admin)
    assert "interventions: 1" in str(refused.value)
    db.session.rollback()
    assert db.session.get(Company, duplicate_id) is None
    assert count_rows(db.session, survivor.id) == counts
    assert db.session.get(CompanyMerge, merge.id).reverted_at is None


def test_unmerge_waits_for_a_later_merge_of_the_survivor(journeys, make_company):
    survivor, duplicate, admin = journeys["survivor"], journeys["duplicate"], journeys["admin"]
    first = merge_companies(survivor, duplicate, {}, by=admin)
    db.session.commit()
    third = make_company(name="Bakkerij Jansen Utrecht", kvk=None)
    second = merge_companies(third, db.session.get(Company, survivor.id), {}, by=admin)
    db.session.commit()
    with pytest.raises(UnmergeRefused) as refused:
        unmerge(first, by=admin)
    assert "reverse that merge first" in str(refused.value)
    db.session.rollback()
    unmerge(db.session.get(CompanyMerge, second.id), by=admin)
    restored = unmerge(db.session.get(CompanyMerge, first.id), by=admin)
    db.session.commit()
    # On SQLite the third company may have been given the duplicate's number after the merge
    # (it re-uses the highest): the duplicate then comes back under a new one.
    assert db.session.get(Company, restored.restored_id).name == "Bakkerij Jansen"
    assert db.session.get(Company, third.id).name == "Bakkerij Jansen Utrecht"
    assert count_rows(db.session, restored.restored_id)["interventions"] == 2


def test_stale_versions_are_refused(journeys):
    survivor, duplicate = journeys["survivor"], journeys["duplicate"]
    with pytest.raises(StaleEdit):
        merge_companies(survivor, duplicate, {}, by=journeys["admin"],
                        survivor_version=survivor.version,
                        duplicate_version=duplicate.version - 1 or 99)


# --- the screens ------------------------------------------------------------------------------

def _form(survivor, duplicate, **choices):
    data = {"survivor_version": survivor.version, "duplicate_version": duplicate.version}
    data.update({f"choice-{k}": v for k, v in default_choices(survivor, duplicate).items()})
    data.update({f"choice-{k}": v for k, v in choices.items()})
    return data


def test_merge_screen_shows_both_records_and_counts(journeys, login_as):
    survivor, duplicate = journeys["survivor"], journeys["duplicate"]
    client = login_as(journeys["admin"])
    page = client.get(f"/companies/{survivor.id}/merge/{duplicate.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Bakkerij Jansen B.V." in html and "Jansen Brood" in html
    assert 'id="choice-name-duplicate"' in html and 'id="choice-trade_names-both"' in html
    assert "merge-counts" in html


def test_merging_in_the_browser_form_and_a_version_conflict(journeys, login_as):
    survivor, duplicate = journeys["survivor"], journeys["duplicate"]
    survivor_id, duplicate_id = survivor.id, duplicate.id
    client = login_as(journeys["admin"])
    stale = _form(survivor, duplicate, name="duplicate")
    # Someone edits the duplicate after the merge screen was opened.
    db.session.get(Company, duplicate_id).website = "https://brood.example"
    db.session.commit()
    response = client.post(f"/companies/{survivor_id}/merge/{duplicate_id}", data=stale)
    assert response.status_code == 409
    assert db.session.get(Company, duplicate_id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CompanyMerge)) == 0
    fresh = _form(db.session.get(Company, survivor_id), db.session.get(Company, duplicate_id),
                  name="duplicate")
    response = client.post(f"/companies/{survivor_id}/merge/{duplicate_id}", data=fresh)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/companies/{survivor_id}")
    db.session.expire_all()
    assert db.session.get(Company, survivor_id).name == "Bakkerij Jansen"
    assert db.session.get(Company, duplicate_id) is None
    listing = client.get("/merges").get_data(as_text=True)
    assert "Bakkerij Jansen" in listing and "/undo" in listing


def test_bad_choices_get_a_message(journeys, login_as):
    survivor, duplicate = journeys["survivor"], journeys["duplicate"]
    client = login_as(journeys["admin"])
    response = client.post(f"/companies/{survivor.id}/merge/{duplicate.id}",
                           data=_form(survivor, duplicate, name="both"))
    assert response.status_code == 422
    assert db.session.get(Company, duplicate.id) is not None


def test_who_may_merge_and_reverse(journeys, make_user, make_company, login_as, client):
    survivor, duplicate = journeys["survivor"], journeys["duplicate"]
    path = f"/companies/{survivor.id}/merge/{duplicate.id}"
    login_as(journeys["user"])  # an account manager
    assert client.get(path).status_code == 403
    assert client.post(path, data=_form(survivor, duplicate)).status_code == 403
    client.post("/logout")
    elsewhere = make_user(role="coordinator", provinces=("Groningen",))
    login_as(elsewhere)
    assert client.get(path).status_code == 403
    client.post("/logout")
    coordinator = make_user(role="coordinator", provinces=("Utrecht",))
    login_as(coordinator)
    assert client.get(path).status_code == 200
    assert client.post(path, data=_form(survivor, duplicate)).status_code == 302
    merge_id = db.session.scalar(sa.select(CompanyMerge.id))
    assert client.get("/merges").status_code == 403
    assert client.post(f"/merges/{merge_id}/undo").status_code == 403
    client.post("/logout")
    login_as(journeys["admin"])
    response = client.post(f"/merges/{merge_id}/undo")
    assert response.status_code == 302
    assert db.session.get(Company, duplicate.id) is not None


def test_reversal_refused_in_the_browser_says_why(journeys, login_as):
    survivor, duplicate, admin = journeys["survivor"], journeys["duplicate"], journeys["admin"]
    merge = merge_companies(survivor, duplicate, {}, by=admin)
    db.session.commit()
    db.session.execute(sa.delete(Intervention.__table__).where(
        Intervention.id == merge.moved["interventions.company_id"][0]))
    db.session.commit()
    response = login_as(admin).post(f"/merges/{merge.id}/undo",
                                    headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert "cannot be reversed exactly" in response.get_data(as_text=True) \
        or "niet precies" in response.get_data(as_text=True)


# --- tables added later (by other areas): found through their foreign keys ----------------

@pytest.fixture
def extra_tables(app):
    """A link table (company, label) and a one-per-company table, as another area might add."""
    from crm.models import Base
    links = sa.Table("merge_test_links", Base.metadata,
                     sa.Column("company_id", sa.ForeignKey("companies.id", ondelete="CASCADE"),
                               primary_key=True),
                     sa.Column("label", sa.String(20), primary_key=True))
    profiles = sa.Table("merge_test_profiles", Base.metadata,
                        sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("company_id", sa.ForeignKey("companies.id", ondelete="CASCADE"),
                                  unique=True),
                        sa.Column("note", sa.String(20)))
    for table in (links, profiles):
        table.create(db.engine)
    try:
        yield links, profiles
    finally:
        db.session.rollback()
        for table in (profiles, links):
            table.drop(db.engine)
            Base.metadata.remove(table)


def test_new_tables_are_moved_and_put_back_and_one_per_company_is_refused(
        extra_tables, make_company, make_user):
    links, profiles = extra_tables
    admin = make_user(role="admin")
    survivor, duplicate = make_company(name="Smit Kaas"), make_company(name="Kaas Smit", kvk=None)
    db.session.execute(links.insert(), [
        {"company_id": survivor.id, "label": "kaas"}, {"company_id": duplicate.id, "label": "kaas"},
        {"company_id": duplicate.id, "label": "markt"}])
    db.session.commit()
    merge = merge_companies(survivor, duplicate, {}, by=admin)
    db.session.commit()
    rows = set(db.session.execute(sa.select(links.c.company_id, links.c.label)))
    assert rows == {(survivor.id, "kaas"), (survivor.id, "markt")}  # the same link once
    unmerge(merge, by=admin)
    db.session.commit()
    rows = set(db.session.execute(sa.select(links.c.company_id, links.c.label)))
    assert rows == {(survivor.id, "kaas"), (duplicate.id, "kaas"), (duplicate.id, "markt")}

    db.session.execute(profiles.insert(), [{"company_id": survivor.id, "note": "a"},
                                           {"company_id": duplicate.id, "note": "b"}])
    db.session.commit()
    from crm.journeys.merge import MergeRefused
    with pytest.raises(MergeRefused) as refused:
        merge_companies(db.session.get(Company, survivor.id),
                        db.session.get(Company, duplicate.id), {}, by=admin)
    assert "merge_test_profiles" in str(refused.value)
    db.session.rollback()
    assert db.session.get(Company, duplicate.id) is not None


def test_unmerge_after_the_registering_user_was_removed(make_company, make_user, make_org):
    from crm.models import User
    admin = make_user(role="admin", org=make_org())
    clerk = make_user()
    survivor = make_company(name="Smederij Bos")
    duplicate = make_company(name="Bos Smederij", kvk=None, created_by_id=clerk.id)
    merge = merge_companies(survivor, duplicate, {}, by=admin)
    db.session.commit()
    db.session.execute(sa.delete(User.__table__).where(User.id == clerk.id))
    db.session.commit()
    restored = unmerge(db.session.get(CompanyMerge, merge.id), by=admin)
    db.session.commit()
    company = db.session.get(Company, restored.restored_id)
    assert company.name == "Bos Smederij" and company.created_by_id is None
