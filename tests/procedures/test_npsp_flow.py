"""The national portal wired to real dossiers: a portal submission becomes a dossier handled
like this portal's own (once), and its status changes are published back in order."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from dancu.common.access import Role
from dancu.common.outbox import Dispatcher, OutboxEvent
from dancu.db import utcnow
from dancu.procedures import console, events
from dancu.procedures.models import Dossier
from dancu.procedures.npsp import inbound, outbound
from dancu.procedures.npsp import tasks as npsp_tasks
from dancu.procedures.npsp.models import NpspDelivery
from dancu.procedures.npsp.publishers import FilePublisher
from dancu.procedures.npsp.schemas import PortalDossierIn
from tests.conftest import bearer, make_actor
from tests.procedures.helpers import TODAY, citizen_with_account, officer

MARITAL_STATUS = "1.004873"


def portal_json(pid: str, portal_id: str = "G22.66-260302-000001") -> dict:
    return {
        "portal_dossier_id": portal_id,
        "procedure_code": MARITAL_STATUS,
        "applicant": {"pid": pid, "full_name": "Trần Thị Bình"},
        "form": {"purpose": "Kết hôn"},
        "delivery": "counter",
        "submitted_at": "2026-03-02T08:00:00+07:00",
    }


def test_a_portal_dossier_is_a_dossier_like_the_portals_own_once(session):
    c, _applicant = citizen_with_account(session)
    data = PortalDossierIn.model_validate(portal_json(c.pid))
    first = inbound.receive(session, data, create=inbound.submit)
    again = inbound.receive(session, data, create=inbound.submit)
    assert (first.created, again.created, again.dossier_code) == (True, False, first.dossier_code)
    dossier = session.scalars(select(Dossier).where(Dossier.code == first.dossier_code)).one()
    assert (dossier.channel, dossier.status, dossier.fee_amount) == ("npsp", "submitted", 15000)
    assert dossier.due_on is not None
    count = select(func.count()).select_from(Dossier).where(Dossier.applicant_pid == c.pid)
    assert session.scalar(count) == 1


def test_the_portals_api_receives_idempotently_and_wants_a_token(client, session):
    c, _applicant = citizen_with_account(session)
    portal = bearer(make_actor(Role.PARTNER_ADMIN, units=()))
    url = "/api/procedures/npsp/dossiers"
    assert client.post(url, json=portal_json(c.pid)).status_code == 401
    first = client.post(url, json=portal_json(c.pid), headers=portal)
    assert first.status_code == 200, first.text
    again = client.post(url, json=portal_json(c.pid), headers=portal)
    assert again.json() == {**first.json(), "created": False}
    assert first.json()["created"] is True
    bad = client.post(
        url,
        json={**portal_json(c.pid, "G22.66-260302-000002"), "procedure_code": "9.999999"},
        headers=portal,
    )
    assert bad.status_code == 404 and bad.json()["code"] == "procedures.not_found"
    assert client.post(url, json=portal_json(c.pid, "x y"), headers=portal).status_code == 422


def queue_events(session) -> None:
    """Run the national portal's outbox handler over the status changes emitted so far."""
    dispatcher = Dispatcher()
    npsp_tasks.subscribe(dispatcher)
    session.flush()
    for event in session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == events.DOSSIER_STATUS_CHANGED)
    ):
        for handler in dispatcher.handlers(event.topic):
            handler(session, dict(event.payload))


def test_every_status_change_goes_back_to_the_portal_in_order(session, factory, tmp_path):
    c, _applicant = citizen_with_account(session)
    data = PortalDossierIn.model_validate(portal_json(c.pid))
    code = inbound.receive(session, data, create=inbound.submit).dossier_code
    console.approve(session, officer(), code, today=TODAY)
    queue_events(session)
    queue_events(session)  # the outbox retrying a handler queues nothing twice
    assert session.scalar(select(func.count()).select_from(NpspDelivery)) == 2
    session.commit()
    out = tmp_path / "npsp.jsonl"
    sent = outbound.deliver_pending(factory, FilePublisher(out), now=utcnow())
    assert sent == 2
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["status"], x["previous"]) for x in lines] == [
        ("submitted", "draft"),
        ("approved", "submitted"),
    ]
    assert {x["portal_dossier_id"] for x in lines} == {"G22.66-260302-000001"}
    assert [x["event_key"] for x in lines] == [f"{code}:v2", f"{code}:v3"]
    assert c.pid not in out.read_text(encoding="utf-8")
