"""The HTTP publisher against a real HTTP server in the test (no mocks): a portal that
fails the first N times, one that is down, one that already has the change."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dancu.db import utcnow
from dancu.procedures.npsp import outbound
from dancu.procedures.npsp.publishers import HttpPublisher, PublishFailed
from tests.procedures.test_npsp import change


@dataclass
class Portal:
    """What the fake portal does: fail ``failures`` more requests, then take each key once."""

    failures: int = 0
    status_when_failing: int = 503
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # key, auth, body
    taken: dict[str, dict] = field(default_factory=dict)
    url: str = ""


@pytest.fixture
def portal() -> Iterator[Portal]:
    state = Portal()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers.get("Idempotency-Key", "")
            state.requests.append((key, self.headers.get("Authorization", ""), body))
            if state.failures > 0:
                state.failures -= 1
                self.send_response(state.status_when_failing)
            elif key in state.taken:
                self.send_response(409)  # "I already have this one"
            else:
                state.taken[key] = body
                self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/api/dossier-status"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


class Waits(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def publisher(url: str, waits: Waits, **options) -> HttpPublisher:
    return HttpPublisher(url, token="t0ken", sleep=waits, timeout_seconds=2, **options)


def test_a_portal_failing_twice_gets_the_change_on_the_third_try(portal):
    portal.failures = 2
    waits = Waits()
    publisher(portal.url, waits).publish("A:v2", {"status": "submitted"})
    assert [r[0] for r in portal.requests] == ["A:v2"] * 3
    assert waits == [0.5, 1.0]  # doubling waits between tries
    assert portal.taken == {"A:v2": {"status": "submitted"}}
    assert portal.requests[0][1] == "Bearer t0ken"


def test_a_portal_failing_more_than_the_tries_raises(portal):
    portal.failures = 5
    with pytest.raises(PublishFailed, match="HTTP 503"):
        publisher(portal.url, Waits()).publish("A:v2", {"status": "submitted"})
    assert len(portal.requests) == 3 and portal.taken == {}


def test_a_refusal_that_retrying_cannot_fix_is_not_retried_at_once(portal):
    portal.failures, portal.status_when_failing = 1, 400
    with pytest.raises(PublishFailed, match="HTTP 400"):
        publisher(portal.url, Waits()).publish("A:v2", {"status": "submitted"})
    assert len(portal.requests) == 1


def test_a_portal_that_already_has_the_change_counts_as_delivered(portal):
    portal.taken["A:v2"] = {"status": "submitted"}
    publisher(portal.url, Waits()).publish("A:v2", {"status": "submitted"})
    assert len(portal.taken) == 1


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nothing_is_lost_or_doubled_while_the_portal_is_down_then_flaky(session, factory, portal):
    for version, status in ((2, "submitted"), (3, "processing")):
        outbound.enqueue(session, change("A", version, status))
    outbound.enqueue(session, change("B", 2, "submitted"))
    session.commit()
    down = publisher(f"http://127.0.0.1:{closed_port()}/x", Waits())
    now = utcnow() + timedelta(seconds=1)
    assert outbound.deliver_pending(factory, down, now=now) == 0
    assert [r.attempts for r in outbound.waiting(session)] == [1, 0, 1]  # A:v3 waited behind
    assert "ConnectionError" in (outbound.waiting(session)[0].last_error or "")

    portal.failures = 4  # back up, but failing: A:v2 needs two rounds of three tries
    flaky = publisher(portal.url, Waits())
    later: datetime = now + timedelta(minutes=5)
    assert outbound.deliver_pending(factory, flaky, now=later) == 1  # B:v2 (after 1 failure)
    assert outbound.deliver_pending(factory, flaky, now=later + timedelta(minutes=5)) == 2
    assert outbound.waiting(session) == []
    assert list(portal.taken) == ["B:v2", "A:v2", "A:v3"]
    successes = [key for key, _, _ in portal.requests]
    assert successes.count("A:v2") == 4 and successes.count("A:v3") == 1  # retried, kept once
    assert portal.taken["A:v3"]["status"] == "processing"
