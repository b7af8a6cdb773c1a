"""Gunicorn against the test database, and browser-like HTTP users for it (the tests of
production shape, concurrency and faults).

``running_gunicorn(database_url, workers=2, threads=4)`` starts ``gunicorn
tests.gunicorn_app:app`` on a free port of 127.0.0.1 with the test database and waits until
``/healthz`` answers; ``HttpUser`` signs in through the real form (with its CSRF token) and
posts forms the way a browser does.
"""
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def worker_pids(self) -> set[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                             text=True).stdout
        return {int(p) for p in out.split()}

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log.read_text()[-3000:])
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not become healthy:\n" + self.log.read_text()[-3000:])


@contextlib.contextmanager
def running_gunicorn(database_url: str, tmp_path: Path, *, workers: int = 2, threads: int = 4,
                     env: dict | None = None):
    port = free_port()
    log = tmp_path / f"gunicorn-{port}.log"
    environment = {**os.environ, "CRM_DATABASE_URL": database_url,
                   "CRM_SECRET_KEY": "live-test-secret-key", "CRM_REQUEST_LOG": "0",
                   "PYTHONPATH": str(ROOT), **(env or {})}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads",
             str(threads), "--bind", f"127.0.0.1:{port}", "--timeout", "60",
             "--graceful-timeout", "5", "tests.gunicorn_app:app"],
            cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
    server = Gunicorn(process, port, log)
    try:
        server.wait_healthy()
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class HttpUser:
    """A signed-in browser session against a live server."""

    def __init__(self, base_url: str, email: str, password: str):
        self.base = base_url
        self.http = requests.Session()
        response = self.post_form("/login", {"email": email, "password": password},
                                  form_page="/login")
        assert response.status_code == 302, response.text[:500]

    def csrf(self, page: str) -> str:
        response = self.http.get(self.base + page, allow_redirects=False, timeout=30)
        match = _CSRF.search(response.text)
        assert match, (page, response.status_code, response.text[:500])
        return match.group(1)

    def get(self, path: str, **kwargs):
        return self.http.get(self.base + path, allow_redirects=False, timeout=60, **kwargs)

    def post_form(self, path: str, data: dict, *, form_page: str | None = None,
                  token: str | None = None):
        token = token or self.csrf(form_page or path)
        return self.http.post(self.base + path, data={**data, "csrf_token": token},
                              allow_redirects=False, timeout=60)
