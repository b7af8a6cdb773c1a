"""``python -m bench.load`` stops every gunicorn it started, whatever fails after the first one
starts (here: the dashboard's own gunicorn does not come up), and a gunicorn that ignores
SIGTERM is killed."""
import signal
import subprocess

import pytest

import bench.load.__main__ as load


class FakeGunicorn:
    def __init__(self, hangs=False):
        self.signals, self.killed, self.hangs = [], False, hangs

    def send_signal(self, sig):
        self.signals.append(sig)

    def wait(self, timeout=None):
        if self.hangs and not self.killed:
            raise subprocess.TimeoutExpired("gunicorn", timeout)
        return 0

    def kill(self):
        self.killed = True


def test_the_first_gunicorn_is_stopped_when_the_second_does_not_start(monkeypatch):
    first = FakeGunicorn()
    started = []

    def start(url, workers, threads, port):
        started.append(workers)
        if len(started) == 2:
            raise SystemExit("gunicorn did not start")
        return first

    monkeypatch.setattr(load, "plan", lambda url, clients, seed: ([(1, 1)], {}))
    monkeypatch.setattr(load, "emails", lambda url, ids: {1: "a@example.org"})
    monkeypatch.setattr(load, "start_gunicorn", start)
    with pytest.raises(SystemExit, match="did not start"):
        load.main(["--database-url", "sqlite://", "--skip-build", "--workers", "4",
                   "--report-workers", "1"])
    assert started == [4, 1]
    assert first.signals == [signal.SIGTERM]


def test_a_gunicorn_that_ignores_sigterm_is_killed():
    hanging = FakeGunicorn(hangs=True)
    load.stop_gunicorn(hanging)
    assert hanging.signals == [signal.SIGTERM] and hanging.killed
