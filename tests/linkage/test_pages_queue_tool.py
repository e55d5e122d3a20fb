"""The queue as a work tool, through its forms: the proposed citizen's name read from the
registry (audited there), filters by commune, and the bulk accept: a confirmation first,
then every ticked item decided and audited in one transaction, all or nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dancu.common.audit import AuditEntry
from dancu.linkage import cleaning
from dancu.linkage.models import CleaningDecision, MatchResult
from tests.conftest import bearer
from tests.linkage import world as wd


def open_items(factory: sessionmaker[Session]) -> list[tuple[int, str]]:
    """(result id, proposed PID) of the province clerk's open items."""
    with factory() as session:
        page = cleaning.queue(session, actor=wd.clerk())
        session.rollback()
    return [(i.result_id, i.citizen_pid or "") for i in page.items if i.citizen_pid]


def accepted(factory: sessionmaker[Session]) -> tuple[int, int]:
    """(accept decisions, linkage.accept audit entries) so far."""
    with factory() as session:
        decisions = session.scalar(select(func.count()).where(CleaningDecision.action == "accept"))
        audited = session.scalar(select(func.count()).where(AuditEntry.action == "linkage.accept"))
    return decisions or 0, audited or 0


def test_the_proposed_citizen_is_named_and_linked_and_the_read_audited(client, factory, linked):  # type: ignore[no-untyped-def]
    w, _ = linked
    html = client.get("/linkage/queue", headers=bearer(wd.clerk())).text
    named = {c.pid: c.full_name for c in w.citizens}
    pid = next(p for _, p in open_items(factory) if p in named)
    assert f'href="/registry/citizens/{pid}?purpose=data_maintenance"' in html
    assert f">{named[pid]}</a>" in html
    with factory() as session:
        fields = session.scalars(
            select(AuditEntry.fields).where(
                AuditEntry.action == "citizen.listed", AuditEntry.subject_id == pid
            )
        ).all()
    assert ["pid", "full_name"] in fields


def test_the_commune_filter_keeps_one_communes_items(client, factory, linked):  # type: ignore[no-untyped-def]
    html = client.get(f"/linkage/queue?commune={wd.COMMUNE_A}", headers=bearer(wd.clerk())).text
    with factory() as session:
        in_a = session.scalar(
            select(func.count()).where(
                MatchResult.commune_code == wd.COMMUNE_A,
                MatchResult.decided.is_(False),
                MatchResult.outcome.in_(("probable_match", "synced_with_differences")),
            )
        )
    assert f'data-total="{in_a}"' in html and "selected>Phường Tân Lập" in html


def test_bulk_accept_confirms_first_then_decides_each(client, factory, linked):  # type: ignore[no-untyped-def]
    officer = bearer(wd.clerk())
    chosen = [rid for rid, _ in open_items(factory)][:2]
    assert len(chosen) == 2
    before = accepted(factory)
    asked = client.post(
        "/linkage/queue/accept-selected", data={"result_id": chosen}, headers=officer
    )
    assert asked.status_code == 200 and accepted(factory) == before  # nothing decided yet
    assert all(f'data-result="{rid}"' in asked.text for rid in chosen)
    done = client.post(
        "/linkage/queue/accept-selected",
        data={"result_id": chosen, "confirmed": "true", "note": "đã đối chiếu"},
        headers=officer,
        follow_redirects=False,
    )
    assert done.status_code == 303 and "done=accept_many&count=2" in done.headers["location"]
    assert accepted(factory) == (before[0] + 2, before[1] + 2)  # one entry per record


def test_bulk_accept_is_all_or_nothing(client, factory, linked):  # type: ignore[no-untyped-def]
    officer = bearer(wd.clerk())
    first, second = [rid for rid, _ in open_items(factory)][:2]
    client.post(f"/linkage/queue/{first}/accept", headers=officer, follow_redirects=False)
    before = accepted(factory)
    refused = client.post(
        "/linkage/queue/accept-selected",
        data={"result_id": [first, second], "confirmed": "true"},
        headers=officer,
    )
    assert refused.status_code == 409 and 'data-code="linkage.already_decided"' in refused.text
    assert accepted(factory) == before
    with factory() as session:
        result = session.get(MatchResult, second)
        assert result is not None and not result.decided


def test_bulk_accept_of_nothing_says_so(client, linked):  # type: ignore[no-untyped-def]
    answer = client.post(
        "/linkage/queue/accept-selected", data={"confirmed": "true"}, headers=bearer(wd.clerk())
    )
    assert answer.status_code == 422 and 'data-code="linkage.nothing_selected"' in answer.text
