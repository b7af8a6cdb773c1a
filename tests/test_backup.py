"""`crm backup PATH` and `crm restore PATH`: a round trip gives back every table's rows exactly;
bad paths and files are refused with one line and a non-zero exit status."""
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.companies import add_contact
from crm.journeys.consent import give_consent
from crm.journeys.interventions import log_intervention
from crm.journeys.referrals import refer
from crm.models import Company, ContactPerson


def _snapshot() -> dict:
    """Every table's rows (sorted), keyed by table name: the whole database's content."""
    inspector = sa.inspect(db.engine)
    tables = {}
    with db.engine.connect() as conn:
        for name in inspector.get_table_names():
            if name.startswith("sqlite_") or "_fts_" in name:  # SQLite/FTS5 internals
                continue
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            rows = conn.execute(sa.select(table)).all()
            tables[name] = sorted((tuple(map(repr, r)) for r in rows))
    return tables


def _data(make_user, make_company, make_org):
    ours, theirs = make_org(name="Eigen EDIH"), make_org(name="Andere Werkplaats")
    me, other = make_user(org=ours), make_user(org=theirs)
    for n in range(5):
        company = make_company(name=f"Rond Reis {n} B.V.")
        add_contact(company, {"name": f"Persoon {n}", "email": f"p{n}@example.nl"}, by=me)
        log_intervention(company, {"kind": "intake", "occurred_on": "2026-03-02",
                                   "summary": f"Gesprek {n} — café"}, by=me)
        refer(company, theirs, f"Vraag {n}", by=me, entrepreneur_agrees=True)
        if n % 2:
            give_consent(company, "mondeling", by=me)
    db.session.commit()


def test_round_trip_restores_every_table(app, tmp_path, make_user, make_company, make_org):
    _data(make_user, make_company, make_org)
    before = _snapshot()
    assert before["companies"] and before["audit_entries"] and before["referrals"]
    runner = app.test_cli_runner()
    target = tmp_path / "crm.backup"
    result = runner.invoke(args=["crm", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output and target.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))

    # Change the database after the backup: new rows, changed rows, deleted rows.
    db.session.execute(sa.delete(ContactPerson))
    db.session.execute(sa.update(Company).values(name="Veranderd"))
    make_company(name="Na de backup B.V.")
    db.session.commit()
    db.session.remove()
    assert _snapshot() != before

    result = runner.invoke(args=["crm", "restore", str(target)])
    assert result.exit_code == 0, result.output
    assert "restored" in result.output
    db.session.remove()
    assert _snapshot() == before
    # The application keeps working on the restored database.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 5


def test_backup_refuses_bad_paths_and_restore_bad_files(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crm", "backup", str(tmp_path / "missing" / "x.backup")])
    assert result.exit_code == 1 and "does not exist" in result.output
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a backup at all" * 100)
    result = runner.invoke(args=["crm", "restore", str(junk)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    result = runner.invoke(args=["crm", "restore", str(tmp_path / "nothing.backup")])
    assert result.exit_code == 1 and "does not exist" in result.output
    assert db.session.execute(sa.text("SELECT count(*) FROM provinces")).scalar() == 12
