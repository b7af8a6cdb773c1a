"""The load generator's timing: with an arrival rate, a request sent late (because the one
before took long) counts from the moment it was due, so waiting behind a slow answer is not
hidden (no coordinated omission); without one, from when it is sent. With a rate, requests
are sent when due even while earlier ones are under way (an open loop)."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

from bench.load import client
from bench.load.client import timed


class Answer:
    status_code = 200


def test_a_late_request_counts_from_when_it_was_due():
    results = []
    due = time.perf_counter() - 0.250  # due a quarter of a second ago
    timed(results, "search", lambda: Answer(), since=due)
    name, status, ms, _began = results[0]
    assert (name, status) == ("search", 200)
    assert ms >= 250


def test_a_request_sent_on_time_counts_from_when_it_is_sent():
    results = []
    timed(results, "search", lambda: Answer(), since=time.perf_counter() + 10)
    timed(results, "search", lambda: Answer())
    assert all(ms < 1000 for _name, _status, ms, _began in results)


def test_a_failed_connection_is_an_error_not_a_crash():
    results = []

    def refused():
        raise ConnectionRefusedError

    timed(results, "company page", refused)
    assert results[0][1] == "error: ConnectionRefusedError"


class _App(BaseHTTPRequestHandler):
    """Just enough of the app for one client: a sign-in form, a company page with a CSRF
    token, and every other page answered after 200 ms, counting how many are under way."""

    lock = threading.Lock()
    under_way = 0
    most = 0
    form = b'<form><input name="csrf_token" value="token"></form>'

    def log_message(self, *args):
        pass

    def _answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith(("/login", "/companies/")):
            return self._answer(200, self.form)
        cls = type(self)
        with cls.lock:
            cls.under_way += 1
            cls.most = max(cls.most, cls.under_way)
        time.sleep(0.2)
        with cls.lock:
            cls.under_way -= 1
        self._answer(200, b"ok")

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(302, headers=[("Location", "/"), ("Set-Cookie", "session=s; Path=/")])


def _most_at_once(rate: float) -> tuple[int, list]:
    _App.under_way = _App.most = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    plan = {"companies": [1], "queries": ["bakker"], "inbox": [], "dashboard": "/monitor",
            "other_orgs": [2], "rate": rate}
    mix = [("search", 1)]
    try:
        with mock.patch.object(client, "MIX", mix):
            results, _started = client.run_mix(
                (f"http://127.0.0.1:{server.server_port}", "a@b.nl", "pw", plan, 1.0, 1))
    finally:
        server.shutdown()
    return _App.most, results


def test_with_a_rate_a_due_request_does_not_wait_for_the_one_before():
    most, results = _most_at_once(rate=20)
    assert most >= 2  # 20 requests/s of 200 ms each: several under way at once
    assert results and all(status == 200 for _name, status, _ms, _began in results)
    # each answered in about the server's 200 ms, not queued behind the client's own
    assert sorted(ms for _n, _s, ms, _b in results)[len(results) // 2] < 400


def test_without_a_rate_one_request_at_a_time():
    most, results = _most_at_once(rate=0)
    assert most == 1
    assert 3 <= len(results) <= 6


def _server(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_dashboards_go_to_their_own_server_signed_in():
    """``--report-workers``: the dashboard is asked of the second server, with the session
    cookie the sign-in at the first one set; the first server gets no dashboard request."""
    seen = {"app": [], "reports": []}

    def recording(name):
        class Recording(_App):
            def do_GET(self):
                seen[name].append((self.path.split("?")[0], self.headers.get("Cookie")))
                if self.path.startswith(("/login", "/companies/")):
                    return self._answer(200, self.form)
                self._answer(200, b"ok")
        return Recording

    app, reports = _server(recording("app")), _server(recording("reports"))
    plan = {"companies": [1], "queries": ["bakker"], "inbox": [], "dashboard": "/monitor",
            "other_orgs": [2], "rate": 0,
            "reports_base": f"http://127.0.0.1:{reports.server_port}"}
    try:
        with mock.patch.object(client, "MIX", [("dashboard", 1)]):
            results, _started = client.run_mix(
                (f"http://127.0.0.1:{app.server_port}", "a@b.nl", "pw", plan, 0.3, 1))
    finally:
        app.shutdown()
        reports.shutdown()
    assert results and all(status == 200 for _name, status, _ms, _began in results)
    assert {path for path, _cookie in seen["reports"]} == {"/monitor"}
    assert all(cookie == "session=s" for _path, cookie in seen["reports"])
    assert "/monitor" not in {path for path, _cookie in seen["app"]}
