"""The national portal both ways: inbound dossiers once each, outbound changes in order,
retried until delivered, never twice (the file publisher; HTTP in test_npsp_http.py)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dancu.db import utcnow
from dancu.procedures.npsp import inbound, outbound
from dancu.procedures.npsp.models import NpspDelivery, NpspInbound
from dancu.procedures.npsp.publishers import FilePublisher, PublishFailed
from dancu.procedures.npsp.schemas import PortalDossierIn


@pytest.fixture
def now() -> datetime:
    """A moment after the changes are queued (they are due when queued; a slow machine
    may take a while between this fixture and the test's own enqueueing)."""
    return utcnow() + timedelta(minutes=5)


def portal_dossier(portal_id: str = "G22.99-261203-000123", **changes) -> PortalDossierIn:
    values = {
        "portal_dossier_id": portal_id,
        "procedure_code": "1.001193",
        "applicant": {"pid": "066190000123", "full_name": "Nguyễn Thị Hương"},
        "form": {"child_name": "Lê Minh An"},
        "submitted_at": "2026-12-03T08:00:00+07:00",
    }
    values.update(changes)
    return PortalDossierIn.model_validate(values)


class Creator:
    """Stands for procedures' submit: counts the dossiers it was asked to create."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def __call__(self, session, data: PortalDossierIn) -> str:
        code = f"66001-261203-{len(self.created) + 1:06d}"
        self.created.append(data.portal_dossier_id)
        return code


def test_the_same_portal_dossier_twice_is_one_dossier(session):
    create = Creator()
    first = inbound.receive(session, portal_dossier(), create=create)
    again = inbound.receive(session, portal_dossier(), create=create)
    other = inbound.receive(session, portal_dossier("G22.99-261203-000124"), create=create)
    assert (first.created, again.created, other.created) == (True, False, True)
    assert first.dossier_code == again.dossier_code != other.dossier_code
    assert create.created == ["G22.99-261203-000123", "G22.99-261203-000124"]
    assert session.scalar(select(func.count()).select_from(NpspInbound)) == 2
    assert inbound.portal_id_of(session, first.dossier_code) == "G22.99-261203-000123"
    assert inbound.portal_id_of(session, "66001-261203-999999") is None


def test_a_failed_creation_leaves_no_claim_behind(session):
    def refuse(session, data):
        raise ValueError("the form is missing a field")

    with pytest.raises(ValueError), session.begin_nested():
        inbound.receive(session, portal_dossier(), create=refuse)
    assert session.scalar(select(func.count()).select_from(NpspInbound)) == 0
    assert inbound.receive(session, portal_dossier(), create=Creator()).created is True


@pytest.mark.parametrize(
    "change",
    [
        {"portal_dossier_id": "bad id with spaces"},
        {"applicant": {"pid": "12345", "full_name": "A"}},
        {"submitted_at": "2026-12-03T08:00:00"},  # no time zone
        {"delivery": "pigeon"},
        {"form": {"note": "x" * 501}},
    ],
)
def test_a_malformed_portal_dossier_is_refused_by_its_shape(change):
    with pytest.raises(ValidationError):
        portal_dossier(**change)


def change(dossier: str, version: int, status: str, previous: str = "submitted") -> dict:
    return {
        "dossier": dossier,
        "procedure": "1.001193",
        "status": status,
        "previous": previous,
        "pid": "066190000123",
        "account_id": 7,
        "step": 1,
        "due_on": "2026-12-08",
        "channel": "npsp",
        "version": version,
    }


def test_each_change_is_queued_once_without_personal_data(session):
    assert outbound.enqueue(session, change("A", 2, "submitted", "draft")) is not None
    assert outbound.enqueue(session, change("A", 2, "submitted", "draft")) is None
    assert outbound.enqueue(session, {**change("A", 3, "x"), "dossier": None}) is None
    row = session.scalars(select(NpspDelivery)).one()
    assert row.event_key == "A:v2"
    assert "066190000123" not in json.dumps(row.payload)
    assert row.payload["status"] == "submitted" and row.payload["dossier_code"] == "A"


def test_a_change_of_a_portal_dossier_names_the_portals_id(session):
    received = inbound.receive(session, portal_dossier(), create=Creator())
    row = outbound.enqueue(session, change(received.dossier_code, 3, "processing"))
    assert row.payload["portal_dossier_id"] == "G22.99-261203-000123"


def lines(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_the_file_publisher_writes_each_change_once(session, factory, tmp_path, now):
    for version, status in ((2, "submitted"), (3, "processing"), (4, "approved")):
        outbound.enqueue(session, change("A", version, status))
    session.commit()
    out = tmp_path / "npsp.jsonl"
    assert outbound.deliver_pending(factory, FilePublisher(out), now=now) == 3
    assert outbound.deliver_pending(factory, FilePublisher(out), now=now) == 0
    assert [(x["event_key"], x["status"]) for x in lines(out)] == [
        ("A:v2", "submitted"),
        ("A:v3", "processing"),
        ("A:v4", "approved"),
    ]


def test_a_crash_after_writing_does_not_write_the_line_twice(session, factory, tmp_path, now):
    row = outbound.enqueue(session, change("A", 2, "submitted"))
    session.commit()
    out = tmp_path / "npsp.jsonl"
    FilePublisher(out).publish(row.event_key, dict(row.payload))  # then the worker died
    assert outbound.deliver_pending(factory, FilePublisher(out), now=now) == 1
    assert [x["event_key"] for x in lines(out)] == ["A:v2"]


class Flaky:
    """A publisher that refuses some keys, and remembers what it took."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.took: list[str] = []

    def publish(self, key, body):
        if key in self.refuse:
            raise PublishFailed("HTTP 503")
        self.took.append(key)


def test_a_failure_waits_with_back_off_and_holds_back_that_dossier_only(session, factory, now):
    outbound.enqueue(session, change("A", 2, "submitted"))
    outbound.enqueue(session, change("B", 2, "submitted"))
    outbound.enqueue(session, change("A", 3, "processing"))
    session.commit()
    far = Flaky(refuse={"A:v2"})
    assert outbound.deliver_pending(factory, far, now=now) == 1
    assert far.took == ["B:v2"]  # A:v3 waits behind A:v2
    row = session.scalars(select(NpspDelivery).where(NpspDelivery.event_key == "A:v2")).one()
    session.refresh(row)
    assert (row.attempts, row.last_error) == (1, "HTTP 503")
    assert row.next_attempt_at == now + timedelta(seconds=30)
    far.refuse.clear()  # the portal is back, but the wait is not over
    assert outbound.deliver_pending(factory, far, now=now + timedelta(seconds=10)) == 0
    assert outbound.deliver_pending(factory, far, now=now + timedelta(seconds=31)) == 2
    assert far.took == ["B:v2", "A:v2", "A:v3"]
    assert outbound.waiting(session) == []


def test_the_back_off_doubles_up_to_an_hour():
    waits = [outbound.backoff(n).total_seconds() for n in (1, 2, 3, 4, 8, 20)]
    assert waits == [30, 60, 120, 240, 3600, 3600]


def test_an_unwritable_file_keeps_the_change_queued(session, factory, tmp_path, now):
    outbound.enqueue(session, change("A", 2, "submitted"))
    session.commit()
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    assert outbound.deliver_pending(factory, FilePublisher(blocker / "x.jsonl"), now=now) == 0
    assert [r.event_key for r in outbound.waiting(session)] == ["A:v2"]


def test_the_same_portal_dossier_sent_concurrently_is_one_dossier(engine, backend):
    """Two requests with the same portal id at once (PostgreSQL, real transactions): the
    second waits on the unique claim, then answers the first one's dossier."""
    if backend != "postgresql":
        pytest.skip("SQLite serializes writers: no two transactions run at once")
    portal_id = f"CONCURRENT-{uuid.uuid4().hex[:12]}"
    first_inside, release = threading.Event(), threading.Event()
    answers: dict[str, inbound.Received] = {}

    def slow_create(session, data):
        first_inside.set()
        assert release.wait(10)
        return "66001-261203000777"

    def request(name: str, create) -> None:
        with Session(engine) as session, session.begin():
            answers[name] = inbound.receive(session, portal_dossier(portal_id), create=create)

    first = threading.Thread(target=request, args=("first", slow_create))
    first.start()
    assert first_inside.wait(10)
    second = threading.Thread(target=request, args=("second", Creator()))
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting on the first one's claim
    release.set()
    first.join(10)
    second.join(10)
    try:
        assert answers["first"] == inbound.Received("66001-261203000777", created=True)
        assert answers["second"] == inbound.Received("66001-261203000777", created=False)
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(NpspInbound).where(NpspInbound.portal_dossier_id == portal_id))
