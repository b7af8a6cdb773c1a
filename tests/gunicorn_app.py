"""The app as the gunicorn-based tests run it: ``gunicorn tests.gunicorn_app:app``.

Test-only additions (never in production code): every response names the worker process that
served it (``X-Worker-PID``), and with ``CRM_TEST_FAULT_DIR`` set two deterministic fault points:

- a request with the header ``X-Test-Arrival: NAME`` writes ``arrived-NAME`` (with the worker's
  pid) into that directory before it touches the database, so a test knows the request is being
  served (and by which process);
- a worker about to write an audit entry while the file ``block`` exists there writes its pid
  to ``reached`` and hangs until it is killed or ``block`` disappears: "mid-request", with
  the request's first writes already sent to the database but not committed.
"""
import os
import time
from pathlib import Path

from flask import request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from crm import create_app

app = create_app()
FAULT_DIR = os.environ.get("CRM_TEST_FAULT_DIR")


def _write(name: str, text: str) -> None:
    tmp = Path(FAULT_DIR) / (name + ".tmp")
    tmp.write_text(text)
    tmp.replace(Path(FAULT_DIR) / name)


@app.after_request
def _worker_pid(response):
    response.headers["X-Worker-PID"] = str(os.getpid())
    return response


if FAULT_DIR:
    def _arrival():
        name = request.headers.get("X-Test-Arrival")
        if name and name.isalnum():
            _write(f"arrived-{name}", str(os.getpid()))

    app.before_request_funcs.setdefault(None, []).insert(0, _arrival)

    @event.listens_for(Engine, "before_cursor_execute")
    def _hang_mid_request(conn, cursor, statement, parameters, context, executemany):
        block = Path(FAULT_DIR) / "block"
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES") and block.exists():
            _write("reached", str(os.getpid()))
            while block.exists():
                time.sleep(0.05)
