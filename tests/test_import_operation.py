"""The import operation against the database: companies, contacts, interventions, modes,
update-only-given-columns, nothing half-written (also when killed halfway), audit, policy."""
import os
import signal
import subprocess
import sys
import textwrap
from datetime import date

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.imports import FileProblem, MappingProblem, bulk, import_file
from crm.journeys.errors import NotAllowed
from crm.journeys.search import search_companies
from crm.models import AuditEntry, Company, ContactPerson, Intervention, Municipality

HEADER = "kvk;naam;handelsnamen;sbi;werkzame personen;gemeente;website\n"


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _snapshot():
    return {m.__name__: _count(m) for m in (Company, ContactPerson, Intervention, AuditEntry)}


@pytest.fixture
def user(make_user, make_org):
    return make_user(org=make_org(name="EDIH Utrecht"), role="staff")


def _import(kind, text, user, **options):
    data = text.encode(options.pop("encoding", "utf-8"))
    result = import_file(kind, data, by=user, filename=f"{kind}.csv", **options)
    db.session.commit()
    return result


def test_companies_are_created_with_derived_columns_and_are_searchable(user):
    result = _import("companies", HEADER
                     + "01234567;Café Één B.V.;Eén Online|Koffie & Co;62.01;12;Den Bosch;cafe.nl\n"
                     + "7654321;Bakker;;1071;;GM0344;\n", user)
    assert (result.total, result.created, result.updated, result.errors) == (2, 2, 0, [])
    cafe = db.session.scalars(sa.select(Company).filter_by(kvk="01234567")).one()
    bosch = db.session.scalars(sa.select(Municipality).filter_by(name="'s-Hertogenbosch")).one()
    assert (cafe.name, cafe.trade_names, cafe.sbi_code, cafe.sbi_section, cafe.employees,
            cafe.size_class, cafe.municipality_id, cafe.province_id, cafe.website) == (
        "Café Één B.V.", "Eén Online\nKoffie & Co", "6201", "J", 12, "klein", bosch.id,
        bosch.province_id, "https://cafe.nl")
    assert cafe.sort_name == "cafe een b.v." and "koffie & co" in cafe.search_text
    assert cafe.version == 1 and cafe.digital_maturity == "onbekend"
    # The leading zero a spreadsheet dropped is restored.
    assert db.session.scalars(sa.select(Company.name).filter_by(kvk="07654321")).one() == "Bakker"
    # Search (prefix, trade-name substring via FTS5 / trigram index) finds the new rows.
    assert [c.kvk for c in search_companies(db.session, "koffie").items] == ["01234567"]
    assert [c.kvk for c in search_companies(db.session, "cafe").items] == ["01234567"]


def test_existing_companies_are_updated_only_in_given_non_empty_columns(user, make_company):
    company = make_company(kvk="01234567", name="Oude Naam B.V.", sbi_code="6201", employees=5,
                           website="https://oud.nl", trade_names="Oud")
    version = company.version
    result = _import("companies", "KVK;Name;Employees;Website\n01234567;Nieuwe Naam B.V.;;\n",
                     user)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    db.session.expire_all()
    company = db.session.get(Company, company.id)
    assert company.name == "Nieuwe Naam B.V."
    assert (company.employees, company.size_class, company.website, company.sbi_code,
            company.trade_names) == (5, "micro", "https://oud.nl", "6201", "Oud")
    assert company.sort_name == "nieuwe naam b.v." and "oud" in company.search_text
    assert company.version == version + 1 and company.updated_at is not None
    assert [c.kvk for c in search_companies(db.session, "nieuwe naam").items] == ["01234567"]
    assert search_companies(db.session, "oude naam").items == []
    # The same file again changes nothing.
    again = _import("companies", "KVK;Name\n01234567;Nieuwe Naam B.V.\n", user)
    assert (again.updated, again.unchanged) == (0, 1)


def test_size_class_follows_employees_and_conflicts_are_reported(user, make_company):
    make_company(kvk="11111111", employees=30)
    result = _import("companies", "kvk;naam;omvang;werkzame personen\n"
                     "22222222;A;micro;40\n11111111;;zzp;\n33333333;B;middelgroot;\n", user,
                     mode="valid-rows")
    assert result.created == 1 and sorted(result.invalid) == [2, 3]
    assert {(e.row, e.column) for e in result.errors} == {(2, "omvang"), (3, "omvang")}
    assert db.session.scalars(sa.select(Company.size_class).filter_by(kvk="33333333")).one() \
        == "middelgroot"


def test_all_or_nothing_writes_nothing_when_a_row_is_invalid(user):
    before = _snapshot()
    result = _import("companies", HEADER + "01234567;Goed;;;;;\n12;Fout;;;;;\n", user)
    assert not result.written and result.created == 0
    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "kvk", "12")]
    assert _snapshot() == before


def test_valid_rows_mode_writes_the_valid_rows_and_reports_the_rest(user):
    result = _import("companies", HEADER + "01234567;Goed;;;;;\n12;Fout;;;;;\n"
                     "02345678;;;;;;\n", user, mode="valid-rows")
    assert result.written and result.created == 1 and sorted(result.invalid) == [3, 4]
    assert "company name" in result.errors[-1].message
    assert _count(Company) == 1


def test_unreadable_file_and_missing_columns_raise_clear_problems(user):
    with pytest.raises(FileProblem):
        import_file("companies", b"\x00\xff" * 100, by=user)
    with pytest.raises(MappingProblem) as caught:
        import_file("contacts", b"naam;email\nJan;jan@example.nl\n", by=user)
    assert any("KVK" in p["field"] for _, p in caught.value.problems)
    assert _count(Company) == 0


def test_contacts_are_matched_on_email_or_name_within_the_organisation(user, make_company,
                                                                      make_contact, make_org):
    company = make_company(kvk="01234567")
    mine = make_contact(company, user.organisation, name="Anna de Vries",
                        email="anna@example.nl", phone="030 1234567", role="eigenaar")
    theirs = make_contact(company, make_org(), name="Anna de Vries", email="anna@example.nl")
    result = _import("contacts", "kvk,naam,e-mail,telefoon,rol\n"
                     "01234567,Anna de Vries,ANNA@example.nl,,directeur\n"
                     "01234567,Bram Bakker,,06-12345678,\n"
                     "99999999,Onbekend,x@example.nl,,\n", user, mode="valid-rows")
    assert (result.created, result.updated) == (1, 1)
    unknown = result.errors[0]
    assert (unknown.row, unknown.column, unknown.value) == (4, "kvk", "99999999")
    assert "No company has KVK number" in unknown.message
    db.session.expire_all()
    assert (mine.role, mine.phone) == ("directeur", "030 1234567")  # empty cell: kept
    assert theirs.role == "eigenaar"  # another organisation's record is never touched
    bram = db.session.scalars(sa.select(ContactPerson).filter_by(name="Bram Bakker")).one()
    assert bram.organisation_id == user.organisation_id and bram.created_by_id == user.id


def test_interventions_with_labels_dates_and_unknown_kvk(user, make_company):
    company = make_company(kvk="01234567")
    text = ("KvK;Datum;Soort;Knelpunten;Onderwerpen;Samenvatting\n"
            "01234567;31-03-2026;Scans & assessments;weten, kunnen;AI;Quickscan gedaan\n"
            "01234567;2026-04-01;telefoongesprek;;;Nagebeld\n"
            "76543210;01-04-2026;telefoon;;;Onbekend bedrijf\n"
            "01234567;31-02-2026;raar;hoop;;\n")
    before = _snapshot()
    result = _import("interventions", text, user)
    assert not result.written and _snapshot() == before  # all or nothing
    assert {(e.row, e.column) for e in result.errors} == {
        (4, "KvK"), (5, "Datum"), (5, "Soort"), (5, "Knelpunten")}
    result = _import("interventions", text, user, mode="valid-rows")
    assert result.created == 2
    scan = db.session.scalars(sa.select(Intervention).filter_by(kind="scans")).one()
    assert (scan.company_id, scan.occurred_on, scan.bottlenecks, scan.topics,
            scan.organisation_id, scan.user_id) == (
        company.id, date(2026, 3, 31), ["kunnen", "weten"], ["ai"], user.organisation_id,
        user.id)
    # Importing the same file again does not log the same contacts twice.
    again = _import("interventions", text, user, mode="valid-rows")
    assert (again.created, again.unchanged) == (0, 2)


def test_one_audit_entry_summarises_the_import(user):
    _import("companies", HEADER + "01234567;Goed;;;;;\n", user)
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.user_id, entry.organisation_id) == (
        "import", user.id, user.organisation_id)
    assert entry.changes["created"] == [None, 1] and entry.changes["kind"] == [None, "companies"]


def test_only_staff_of_the_organisation_and_admins_may_import(make_user, make_org):
    org = make_org()
    other = make_org()
    for role, target, allowed in [("staff", org, True), ("account_manager", org, True),
                                  ("coordinator", org, False), ("staff", other, False),
                                  ("admin", other, True)]:
        user = make_user(org=org, role=role, provinces=("Utrecht",) if role == "coordinator"
                         else ())
        data = (HEADER + "01234567;A;;;;;\n").encode()
        call = lambda: import_file("companies", data, by=user, organisation=target)  # noqa
        if allowed:
            call()
            db.session.rollback()
        else:
            with pytest.raises(NotAllowed):
                call()


@pytest.mark.parametrize("bulk_path", [False, True], ids=["per-row-index", "bulk-index"])
def test_a_failure_halfway_through_writing_leaves_the_database_as_before(user, monkeypatch,
                                                                        make_company, bulk_path):
    make_company(kvk="00000001", name="Blijft B.V.")
    db.session.commit()
    before = _snapshot()
    monkeypatch.setattr(bulk, "BATCH", 10)
    # The bulk paths: SQLite's one-statement search index, PostgreSQL's COPY.
    monkeypatch.setattr(bulk, "BULK_INDEX_MIN", 0 if bulk_path else 10**9)
    calls = []
    real = bulk._execute

    def failing(session, statement, rows):
        calls.append(len(rows))
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(session, statement, rows)

    monkeypatch.setattr(bulk, "_execute", failing)
    rows = "".join(f"{n:08d};Bedrijf {n};;;;;\n" for n in range(10, 60))
    with pytest.raises(RuntimeError):
        import_file("companies", (HEADER + "00000001;Nieuwe naam;;;;;\n" + rows).encode(),
                    by=user)
    db.session.rollback()
    assert calls == [10, 10, 10]  # two batches were written before the crash
    assert _snapshot() == before
    assert db.session.scalars(sa.select(Company.name).filter_by(kvk="00000001")).one() \
        == "Blijft B.V."
    assert search_companies(db.session, "bedrijf 1").items == []
    _assert_search_index_maintained(make_company)


def _assert_search_index_maintained(make_company):
    """The search index still follows new companies (the SQLite trigger is back)."""
    make_company(kvk="00000002", name="Nieuwkomer Zonnebloem B.V.")
    assert [c.kvk for c in search_companies(db.session, "zonnebloem").items] == ["00000002"]


KILLER = textwrap.dedent("""
    import os, signal, sys
    from crm import create_app
    from crm.extensions import db
    from crm.imports import bulk, import_file
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x"})
    bulk.BATCH, bulk.BULK_INDEX_MIN = 100, 0
    real, calls = bulk._execute, []
    def killing(session, statement, rows):
        calls.append(1)
        if len(calls) == 3:
            sys.stdout.write("killing\\n"); sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(session, statement, rows)
    bulk._execute = killing
    with app.app_context():
        rows = "".join(f"{n:08d};Bedrijf {n}\\n" for n in range(10, 1000))
        import_file("companies", ("kvk;naam\\n" + rows).encode(), by=None,
                    session=db.session)
        db.session.commit()
""")


def test_an_import_killed_halfway_leaves_the_database_as_before(app, user, make_company):
    make_company(kvk="00000001", name="Blijft B.V.")
    db.session.commit()
    before = _snapshot()
    db.session.close()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    process = subprocess.run([sys.executable, "-c", KILLER, url], capture_output=True,
                             text=True, timeout=120, cwd=os.getcwd())
    assert process.returncode == -signal.SIGKILL, process.stderr[-2000:]
    assert "killing" in process.stdout
    assert _snapshot() == before
    assert search_companies(db.session, "bedrijf").items == []
    _assert_search_index_maintained(make_company)


def test_bulk_paths_index_the_new_companies_for_search(user, monkeypatch, make_company):
    monkeypatch.setattr(bulk, "BULK_INDEX_MIN", 0)  # SQLite: one-statement index; PG: COPY
    monkeypatch.setattr(bulk, "BATCH", 7)
    rows = "".join(f"{n:08d};Zaak {n} Één;Koffie {n};;;;\n" for n in range(10, 30))
    result = _import("companies", HEADER + rows, user)
    assert result.created == 20
    assert len(search_companies(db.session, "zaak").items) == 20
    assert [c.kvk for c in search_companies(db.session, "koffie 17").items] == ["00000017"]
    assert [c.kvk for c in search_companies(db.session, "een").items][:1] == ["00000010"]
    _assert_search_index_maintained(make_company)


@pytest.mark.parametrize("name,trade", [("Bakkerij  De Zon B.V.", "Zon\nZonnig"),
                                        ("Café Ünal", ""), ("ÆRØ ApS", "ﬁne"), ("X", "")])
def test_fast_search_fields_equal_the_companies_helper(name, trade):
    from crm.imports.write import fast_search_fields
    from crm.journeys.companies import search_fields
    assert fast_search_fields(name, trade) == search_fields(name, trade)


DMA = ("KvK;Datum;Digitale bedrijfsstrategie;Digitale paraatheid;Mensgerichte digitalisering;"
       "Databeheer;Automatisering & AI;Groene digitalisering\n")


def test_dma_results_are_imported_with_their_average(user, make_company):
    from decimal import Decimal

    from crm.models.survey import DmaAssessment
    company = make_company(kvk="01234567")
    text = DMA + ("01234567;15-01-2026;40;50;60;70;80;91\n"
                  "01234567;15-01-2026;1;1;1;1;1;1\n"
                  "01234567;2026-06-01;101;50;;70;80;90\n"
                  "76543210;2026-06-01;1;2;3;4;5;6\n")
    result = _import("dma", text, user, mode="valid-rows")
    assert result.created == 1
    assert {(e.row, e.column) for e in result.errors} == {
        (3, "Datum"), (4, "Digitale bedrijfsstrategie"), (4, "Mensgerichte digitalisering"),
        (5, "KvK")}
    result_row = db.session.scalars(sa.select(DmaAssessment)).one()
    assert (result_row.company_id, result_row.organisation_id, result_row.source,
            result_row.average, result_row.green) == (
        company.id, user.organisation_id, "imported", Decimal("65.17"), 91)
    again = _import("dma", DMA + "01234567;15-01-2026;40;50;60;70;80;91\n", user)
    assert (again.created, again.unchanged, again.errors) == (0, 1, [])
