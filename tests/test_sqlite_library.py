"""SQLite's memory statistics are switched off before the app's first connection (connections
working at once then no longer wait for each other's allocations, see crm/sqlite_library.py),
and left alone, with everything still working, when a connection was opened before.

Each case runs in a fresh Python process: the setting belongs to the process's SQLite library,
and this test process has opened connections long before."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="switched off through ctypes on Linux only")


def _run(code: str, tmp_path) -> list[str]:
    script = textwrap.dedent(f"""
        from crm import create_app
        from crm.extensions import db
        from crm.sqlite_library import memory_statistics_kept
        import sqlalchemy as sa
        def app_works():
            app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / 'crm.sqlite'}",
                              "TESTING": True}})
            with app.app_context():
                value = db.session.scalar(sa.text(
                    "SELECT count(DISTINCT value) FROM (SELECT 1 AS value UNION ALL "
                    "SELECT 2 UNION ALL SELECT 2)"))
                db.session.remove()
            return value
        """) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_app_switches_them_off_before_its_first_connection(tmp_path):
    assert _run("""
        print(memory_statistics_kept())
        print(app_works())
        print(memory_statistics_kept())
        """, tmp_path) == ["True", "2", "False"]


def test_with_a_connection_open_they_stay_on_and_the_app_works(tmp_path):
    assert _run("""
        import sqlite3
        held = sqlite3.connect(":memory:")
        held.execute("CREATE TABLE t (x)")
        print(app_works())
        print(memory_statistics_kept())
        print(held.execute("SELECT count(*) FROM t").fetchone()[0])
        """, tmp_path) == ["2", "True", "0"]
