"""A company import checked and written part by part (crm/imports/pipeline.py): the same
outcome as in one piece, the writing overlapping the checking, all-or-nothing kept."""
import random
import threading

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.imports import bulk, import_file, pipeline, validate
from crm.models import AuditEntry, Company

HEADER = "kvk;naam;handelsnamen;werkzame personen;omvang;gemeente\n"


@pytest.fixture
def user(make_user, make_org):
    return make_user(org=make_org(name="EDIH Utrecht"), role="staff")


def _file(seed: int) -> str:
    """Rows in random name order: new companies, companies on record (changed or not),
    repeated KVK numbers, invalid cells and a size class that contradicts the employees."""
    rng = random.Random(seed)
    lines = []
    for n in range(60):
        kvk = f"{20000000 + rng.randrange(45):08d}" if rng.random() < 0.9 else "12"
        name = rng.choice(["Bakkerij", "Zeilmakerij", "Atelier", "Café", ""]) + f" {n}"
        employees = rng.choice(["", "3", "40", "veel"])
        size = rng.choice(["", "", "micro", "groot"])
        place = rng.choice(["", "Utrecht", "Nergenshuizen"])
        lines.append(f"{kvk};{name.strip()};{rng.choice(['', 'Handel'])};{employees};{size};"
                     f"{place}\n")
    return HEADER + "".join(lines)


def _on_record(make_company):
    for n in range(0, 45, 3):
        make_company(kvk=f"{20000000 + n:08d}", name=f"Bekend {n}", employees=None)
    db.session.commit()


def _outcome(result):
    companies = db.session.execute(sa.select(
        Company.kvk, Company.name, Company.sort_name, Company.search_text, Company.employees,
        Company.size_class, Company.municipality_id, Company.version)).all()
    return ((result.total, result.created, result.updated, result.unchanged, result.written,
             sorted(result.invalid)),
            [(e.row, e.column, e.value, e.message, e.params) for e in result.errors],
            sorted(companies, key=lambda c: c.kvk))


@pytest.mark.parametrize("mode", ["valid-rows", "all-or-nothing"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_in_parts_the_outcome_is_that_of_one_piece(user, make_company, monkeypatch, mode,
                                                    seed):
    _on_record(make_company)
    data = _file(seed).encode()
    outcomes = []
    for part in (10**6, 7):
        monkeypatch.setattr(pipeline, "PART", part)
        outcomes.append(_outcome(import_file("companies", data, by=user, mode=mode)))
        db.session.rollback()  # the import never commits: this undoes it
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1]  # the file has errors to report (else the test shows little)
    assert _outcome_count() == 15


def _outcome_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Company))


def test_a_repeated_kvk_number_names_its_first_row_whatever_the_order(user, monkeypatch):
    monkeypatch.setattr(pipeline, "PART", 1)
    # Written in name order, "Aardewerk" (row 3) comes before "Zeilmakerij" (row 2).
    result = import_file("companies", (HEADER + "01234567;Zeilmakerij;;;;\n"
                                       "01234567;Aardewerk;;;;\n").encode(),
                         by=user, mode="valid-rows")
    assert [(e.row, e.params) for e in result.errors] == [(3, {"row": 2})]
    assert db.session.scalars(sa.select(Company.name)).all() == ["Zeilmakerij"]


def test_all_or_nothing_undoes_the_parts_written_before_an_invalid_row(user, monkeypatch):
    monkeypatch.setattr(pipeline, "PART", 5)
    written = []
    real = bulk._execute

    def counting(session, statement, rows):
        written.append(len(rows))
        return real(session, statement, rows)

    monkeypatch.setattr(bulk, "_execute", counting)
    rows = "".join(f"{n:08d};Bedrijf {n:02d};;;;\n" for n in range(10, 40))
    rows += "99999999;Zzz laatste;;veel;;\n"  # last in name order: refused in the last part
    result = import_file("companies", (HEADER + rows).encode(), by=user)
    assert sum(written) == 30  # six parts were written before the invalid row was checked
    assert not result.written and result.created == 0
    assert [(e.row, e.value) for e in result.errors] == [(32, "veel")]
    db.session.commit()
    assert _outcome_count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "import")) == 0


def test_the_next_part_is_checked_while_the_last_one_is_written(user, monkeypatch):
    """The first part's writing and the second part's checking wait for each other to
    begin: they only both go on if they run at the same time. A pipeline that checked
    everything before writing, or wrote each part before checking the next, would time out."""
    monkeypatch.setattr(pipeline, "PART", 5)
    second_part_checked, first_part_written = threading.Event(), threading.Event()
    parts, waited = [], []
    real_check, real_execute = validate.check_rows, bulk._execute

    def check_rows(*args, **kwargs):
        parts.append(1)
        if len(parts) == 2:
            second_part_checked.set()
            waited.append(first_part_written.wait(timeout=5))
        return real_check(*args, **kwargs)

    def execute(session, statement, rows):
        if not first_part_written.is_set():
            first_part_written.set()
            waited.append(second_part_checked.wait(timeout=5))
            waited.append(threading.current_thread().name)
        return real_execute(session, statement, rows)

    monkeypatch.setattr(pipeline, "check_rows", check_rows)
    monkeypatch.setattr(bulk, "_execute", execute)
    rows = "".join(f"{n:08d};Bedrijf {n:02d};;;;\n" for n in range(10, 25))
    result = import_file("companies", (HEADER + rows).encode(), by=user)
    assert result.created == 15 and len(parts) == 3
    assert sorted(waited, key=str) == [True, True, "import-writer"]
    db.session.commit()
    assert _outcome_count() == 15


def test_an_error_while_checking_stops_the_writer_and_leaves_nothing(user, monkeypatch):
    monkeypatch.setattr(pipeline, "PART", 5)
    real_check = validate.check_rows
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("out of memory while checking")
        return real_check(*args, **kwargs)

    monkeypatch.setattr(pipeline, "check_rows", failing)
    rows = "".join(f"{n:08d};Bedrijf {n:02d};;;;\n" for n in range(10, 40))
    with pytest.raises(MemoryError):
        import_file("companies", (HEADER + rows).encode(), by=user)
    assert not any(t.name == "import-writer" for t in threading.enumerate())
    db.session.rollback()
    assert _outcome_count() == 0
