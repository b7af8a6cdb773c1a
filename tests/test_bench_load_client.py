"""The load generator's timing: with an arrival rate, a request sent late (because the one
before took long) counts from the moment it was due, so waiting behind a slow answer is not
hidden (no coordinated omission); without one, from when it is sent."""
import time

from bench.load.client import timed


class Answer:
    status_code = 200


def test_a_late_request_counts_from_when_it_was_due():
    results = []
    due = time.perf_counter() - 0.250  # due a quarter of a second ago
    timed(results, "search", lambda: Answer(), since=due)
    name, status, ms = results[0]
    assert (name, status) == ("search", 200)
    assert ms >= 250


def test_a_request_sent_on_time_counts_from_when_it_is_sent():
    results = []
    timed(results, "search", lambda: Answer(), since=time.perf_counter() + 10)
    timed(results, "search", lambda: Answer())
    assert all(ms < 1000 for _name, _status, ms in results)


def test_a_failed_connection_is_an_error_not_a_crash():
    results = []

    def refused():
        raise ConnectionRefusedError

    timed(results, "company page", refused)
    assert results[0][1] == "error: ConnectionRefusedError"
