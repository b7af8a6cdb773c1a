"""``flask crm import``: exit status, per-row error report, modes, --org and --user."""
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Company, ContactPerson


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["crm", "import", *args])
    return invoke


def _file(tmp_path, text, name="bestand.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def _count(model=Company):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_valid_file_imports_and_exits_zero(run, tmp_path):
    result = run("companies", _file(tmp_path, "kvk;naam;gemeente\n01234567;Eén B.V.;Utrecht\n",
                                    encoding="cp1252"))
    assert result.exit_code == 0, result.output
    assert "1 row read, 1 created, 0 updated" in result.stdout
    assert db.session.scalars(sa.select(Company.name)).one() == "Eén B.V."


def test_invalid_row_exits_non_zero_with_a_per_row_report_and_writes_nothing(run, tmp_path):
    path = _file(tmp_path, "kvk,name,sbi\n01234567,Goed,6201\n1234,Fout,00000\n")
    result = run("companies", path)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == ['Row 3, column "kvk" (value "1234"): A KVK number is exactly 8 digits, '
                     'for example 01234567.',
                     'Row 3, column "sbi" (value "00000"): 00000 is not an SBI code (2 to 5 '
                     'digits, such as 6201).']
    assert "Nothing was imported (all or nothing)." in result.stdout
    assert "Traceback" not in result.output and _count() == 0
    # valid-rows writes the good row, and still exits 1 because a row was invalid.
    result = run("companies", path, "--mode", "valid-rows")
    assert result.exit_code == 1 and _count() == 1


def test_user_language_and_organisation(run, tmp_path, make_user, make_org, make_company):
    make_company(kvk="01234567")
    org = make_org(name="Digitale Werkplaats Zwolle")
    user = make_user(org=org, email="sanne@example.nl", role="staff")
    path = _file(tmp_path, "kvk;naam;e-mail\n01234567;Sanne;sanne@bedrijf.nl\n"
                           "76543210;Piet;piet@bedrijf.nl\n")
    result = run("contacts", path, "--user", "sanne@example.nl", "--mode", "valid-rows")
    assert result.exit_code == 1
    assert result.stderr.startswith('Rij 3, kolom "kvk" (waarde "76543210"): Er is geen bedrijf')
    contact = db.session.scalars(sa.select(ContactPerson)).one()
    assert (contact.organisation_id, contact.created_by_id) == (org.id, user.id)


@pytest.mark.parametrize("args,words", [
    (("contacts",), "--org"),
    (("companies", "--org", "Bestaat Niet"), "unknown organisation"),
    (("companies", "--user", "niemand@example.nl"), "no active user"),
])
def test_refusals_are_one_line(run, tmp_path, args, words):
    path = _file(tmp_path, "kvk;naam\n01234567;A\n")
    result = run(args[0], path, *args[1:])
    assert result.exit_code != 0
    assert words in result.stderr.lower() and "Traceback" not in result.output


def test_unreadable_file_and_missing_column(run, tmp_path, make_org):
    make_org(name="ROM Oost")
    garbage = tmp_path / "foto.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    result = run("companies", str(garbage))
    assert result.exit_code == 1 and "binary data" in result.stderr
    result = run("interventions", _file(tmp_path, "kvk;naam\n01234567;A\n"),
                 "--org", "rom oost")
    assert result.exit_code == 1
    assert "Choose the column that holds the Date" in result.stderr


def test_coordinator_may_not_import(run, tmp_path, make_user):
    make_user(email="coord@example.nl", role="coordinator", provinces=("Utrecht",))
    result = run("companies", _file(tmp_path, "kvk;naam\n01234567;A\n"),
                 "--user", "coord@example.nl")
    assert result.exit_code == 1 and _count() == 0
