"""The audit log: hash chain, append-only triggers, tamper detection, ``dancu audit verify``.

Tampering needs the append-only triggers out of the way: they are dropped inside the test's
transaction (DDL is transactional on SQLite and PostgreSQL), so the rollback restores them.
The log may already hold entries when a test starts, so sequence numbers are asserted
relative to the head the test found.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dancu import cli
from dancu.common import audit, audit_chain
from dancu.common.access import Actor
from dancu.common.audit import GENESIS_HASH, AuditEntry, AuditHead
from dancu.common.audit_chain import VerifyResult
from dancu.db import uow

PURPOSE = "inspection"


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1))
    seq, last_hash = row.one()
    return seq, last_hash


def _record(session: Session, actor: Actor, subject_id: str) -> AuditEntry:
    """Record one entry and return it as stored (unsealed)."""
    audit.record(
        session,
        actor,
        action="citizen.read",
        subject_type="citizen",
        subject_id=subject_id,
        purpose=PURPOSE,
        fields=("full_name", "birth_date"),
    )
    return _newest(session)


def _newest(session: Session) -> AuditEntry:
    return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()


def _sealed(session: Session, entries: list[AuditEntry]) -> list[AuditEntry]:
    """Seal what is pending and return ``entries`` as they are now stored."""
    audit_chain.seal(session)
    ids = [e.id for e in entries]
    by_id = {e.id: e for e in session.scalars(select(AuditEntry).where(AuditEntry.id.in_(ids)))}
    return [by_id[i] for i in ids]


def _three_entries(session: Session, actor: Actor) -> tuple[int, list[AuditEntry]]:
    """The head's seq before, and three fresh sealed entries (seqs start+1 .. start+3)."""
    start, _ = _head(session)
    entries = [_record(session, actor, f"06609000000{i}") for i in (1, 2, 3)]
    return start, _sealed(session, entries)


def _copy(entry: AuditEntry, **changes: object) -> AuditEntry:
    values = {c.key: getattr(entry, c.key) for c in AuditEntry.__table__.columns}
    return AuditEntry(**(values | changes))


def _drop_triggers(session: Session) -> None:
    """Drop the append-only triggers inside the test transaction (the rollback restores them)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # pysqlite runs DDL outside a transaction when none is open: that would drop the
        # triggers for good in the shared test database, so insist on an open transaction.
        assert conn.connection.driver_connection.in_transaction
    for statement in audit_chain.drop_append_only_triggers(conn.dialect.name):
        session.execute(text(statement))


# --- the chain ------------------------------------------------------------------------------


def test_record_appends_unsealed_entries_that_seal_chains_oldest_first(session, clerk):
    start, head_hash = _head(session)
    recorded = [_record(session, clerk, f"06609000000{i}") for i in (1, 2, 3)]
    assert [(e.seq, e.prev_hash, e.hash) for e in recorded] == [(None, None, None)] * 3
    assert audit_chain.pending(session) == 3
    assert _head(session) == (start, head_hash)  # recording never touches the head

    assert audit_chain.seal(session) == 3
    entries = _sealed(session, recorded)
    assert [e.seq for e in entries] == [start + 1, start + 2, start + 3]
    assert entries[0].prev_hash == head_hash
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert [audit.entry_hash(e) for e in entries] == [e.hash for e in entries]
    assert _head(session) == (start + 3, entries[2].hash)
    assert (audit_chain.pending(session), audit_chain.seal(session)) == (0, 0)


def test_an_idle_seal_writes_nothing(session, clerk):
    """The sealer runs every second in every server: with nothing pending it must not write."""
    _three_entries(session, clerk)
    postgres = session.connection().dialect.name == "postgresql"
    probe = text("SELECT ctid::text FROM audit_head" if postgres else "SELECT total_changes()")
    before = session.execute(probe).scalar_one()
    assert audit_chain.seal(session) == 0
    assert session.execute(probe).scalar_one() == before


def test_seal_takes_at_most_its_limit_and_the_rest_next_time(session, clerk):
    start, _ = _head(session)
    for i in range(5):
        _record(session, clerk, f"06609000000{i}")
    assert (audit_chain.seal(session, limit=2), audit_chain.pending(session)) == (2, 3)
    assert (audit_chain.seal(session, limit=2), audit_chain.seal(session, limit=2)) == (2, 1)
    assert audit_chain.verify(session) == VerifyResult(ok=True, checked=start + 5)


def test_an_entry_committed_late_is_sealed_after_the_ones_already_sealed(session, clerk):
    """A long transaction's entry has a lower id than entries sealed before it committed."""
    start, [*_, last] = _three_entries(session, clerk)
    late = {
        "id": last.id - 1_000_000,
        "at": last.at,
        "actor_id": clerk.id,
        "actor_name": clerk.name,
        "organization": clerk.organization,
        "purpose": PURPOSE,
        "action": "citizen.read",
        "subject_type": "citizen",
        "subject_id": "066090000004",
        "fields": [],
    }
    session.execute(insert(AuditEntry.__table__).values(**late))
    assert audit_chain.seal(session) == 1
    [entry] = _sealed(session, [session.get(AuditEntry, late["id"])])
    assert (entry.seq, entry.prev_hash) == (start + 4, last.hash)
    assert audit_chain.verify(session) == VerifyResult(ok=True, checked=start + 4)


def test_an_entry_records_who_for_whom_and_why(session, clerk):
    entry = _record(session, clerk, "066090000001")
    stored = session.execute(select(AuditEntry.__table__).where(AuditEntry.id == entry.id))
    row = stored.one()
    assert (row.actor_id, row.actor_name, row.organization) == (clerk.id, clerk.name, "Test org")
    assert (row.action, row.subject_type, row.subject_id, row.purpose) == (
        "citizen.read",
        "citizen",
        "066090000001",
        PURPOSE,
    )
    assert row.fields == ["full_name", "birth_date"]
    assert row.at.tzinfo is not None


def test_the_first_entry_of_an_empty_log_links_to_the_genesis_hash(session, clerk):
    start, head_hash = _head(session)
    assert (start, head_hash) == (0, GENESIS_HASH)
    [entry] = _sealed(session, [_record(session, clerk, "066090000001")])
    assert (entry.seq, entry.prev_hash) == (1, GENESIS_HASH)


def test_record_many_writes_one_entry_per_subject_in_order(session, clerk):
    start, _ = _head(session)
    audit.record_many(
        session,
        clerk,
        action="citizen.search",
        subject_type="citizen",
        subject_ids=["066090000002", "066090000003", "066090000004"],
        purpose=PURPOSE,
    )
    audit_chain.seal(session)
    rows = session.execute(
        select(AuditEntry.seq, AuditEntry.subject_id, AuditEntry.action)
        .where(AuditEntry.seq > start)
        .order_by(AuditEntry.seq)
    ).all()
    assert [tuple(r) for r in rows] == [
        (start + 1, "066090000002", "citizen.search"),
        (start + 2, "066090000003", "citizen.search"),
        (start + 3, "066090000004", "citizen.search"),
    ]
    assert audit_chain.verify(session) == VerifyResult(ok=True, checked=start + 3)


def test_record_many_of_nothing_writes_nothing(session, clerk):
    audit.record_many(
        session,
        clerk,
        action="citizen.search",
        subject_type="citizen",
        subject_ids=[],
        purpose=PURPOSE,
    )
    assert audit_chain.pending(session) == 0


def test_trail_lists_a_subjects_entries_newest_first_sealed_or_not(session, clerk):
    a1 = _record(session, clerk, "066090000001")
    _record(session, clerk, "066090000002")
    audit_chain.seal(session)
    a2 = _record(session, clerk, "066090000001")
    assert [e.id for e in audit.trail(session, "citizen", "066090000001")] == [a2.id, a1.id]
    assert [e.id for e in audit.trail(session, "citizen", "066090000001", limit=1)] == [a2.id]


# --- verification ---------------------------------------------------------------------------


def test_verify_accepts_an_intact_log(session, clerk):
    start, _ = _three_entries(session, clerk)
    assert audit_chain.verify(session) == VerifyResult(ok=True, checked=start + 3)


def test_verify_ignores_entries_waiting_to_be_sealed(session, clerk):
    start, _ = _three_entries(session, clerk)
    _record(session, clerk, "066090000004")
    assert audit_chain.verify(session) == VerifyResult(ok=True, checked=start + 3)


def test_verify_reads_across_batches(session, clerk):
    start, _ = _three_entries(session, clerk)
    assert audit_chain.verify(session, batch=2) == VerifyResult(ok=True, checked=start + 3)


def test_the_database_rejects_update_and_delete(session, clerk):
    """Both backends raise IntegrityError (PostgreSQL's trigger uses SQLSTATE 23000)."""
    _, entries = _three_entries(session, clerk)
    seq = entries[1].seq
    statements = [
        update(AuditEntry).where(AuditEntry.seq == seq).values(purpose="civil_status"),
        update(AuditEntry).where(AuditEntry.seq == seq).values(seq=seq + 100),  # no re-seal
        delete(AuditEntry).where(AuditEntry.seq == seq),
    ]
    for statement in statements:
        with (
            pytest.raises(IntegrityError, match="audit_log is append-only"),
            session.begin_nested(),
        ):
            session.execute(statement.execution_options(synchronize_session=False))
    session.expire_all()
    assert session.scalars(select(AuditEntry.purpose).where(AuditEntry.seq == seq)).all() == [
        PURPOSE
    ]
    assert audit_chain.verify(session).ok is True


def test_the_database_rejects_update_and_delete_in_raw_sql(session, clerk):
    _, entries = _three_entries(session, clerk)
    for sql in (
        "UPDATE audit_log SET hash = prev_hash WHERE seq = :seq",
        "DELETE FROM audit_log WHERE seq = :seq",
    ):
        with (
            pytest.raises(IntegrityError, match="audit_log is append-only"),
            session.begin_nested(),
        ):
            session.execute(text(sql), {"seq": entries[0].seq})


def test_the_database_allows_sealing_an_unsealed_entry_but_nothing_else(session, clerk):
    entry = _record(session, clerk, "066090000001")
    for sql in (
        "UPDATE audit_log SET subject_id = '066090000009' WHERE id = :id",
        "UPDATE audit_log SET seq = 999999, purpose = 'civil_status' WHERE id = :id",
        "UPDATE audit_log SET seq = 999999, fields = '[]' WHERE id = :id",
    ):
        with (
            pytest.raises(IntegrityError, match="audit_log is append-only"),
            session.begin_nested(),
        ):
            session.execute(text(sql), {"id": entry.id})
    with session.begin_nested():
        session.execute(text("UPDATE audit_log SET seq = 999999 WHERE id = :id"), {"id": entry.id})


def test_verify_finds_a_changed_entry(session, clerk):
    start, _ = _three_entries(session, clerk)
    _drop_triggers(session)
    session.execute(
        text("UPDATE audit_log SET purpose = 'civil_status' WHERE seq = :seq"), {"seq": start + 2}
    )
    assert audit_chain.verify(session) == VerifyResult(
        ok=False,
        checked=start + 1,
        first_bad_seq=start + 2,
        reason="content does not match its hash",
    )


def test_verify_finds_a_changed_entry_whose_hash_was_recomputed(session, clerk):
    """Rewriting an entry and its own hash still breaks the next entry's link."""
    start, entries = _three_entries(session, clerk)
    new_hash = audit.entry_hash(_copy(entries[1], purpose="civil_status"))
    _drop_triggers(session)
    session.execute(
        text("UPDATE audit_log SET purpose = 'civil_status', hash = :h WHERE seq = :seq"),
        {"h": new_hash, "seq": start + 2},
    )
    assert audit_chain.verify(session) == VerifyResult(
        ok=False,
        checked=start + 2,
        first_bad_seq=start + 3,
        reason="link to previous entry broken",
    )


def test_verify_finds_a_deleted_entry(session, clerk):
    start, _ = _three_entries(session, clerk)
    _drop_triggers(session)
    session.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": start + 2})
    assert audit_chain.verify(session) == VerifyResult(
        ok=False, checked=start + 1, first_bad_seq=start + 2, reason="entry missing (deleted)"
    )


def test_verify_finds_a_deleted_last_entry(session, clerk):
    start, _ = _three_entries(session, clerk)
    _drop_triggers(session)
    session.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": start + 3})
    assert audit_chain.verify(session) == VerifyResult(
        ok=False,
        checked=start + 2,
        first_bad_seq=start + 3,
        reason="entries missing at the end (deleted)",
    )


def test_verify_finds_an_entry_appended_behind_the_heads_back(session, clerk):
    """An INSERT that bypasses ``record`` chains correctly but is not counted by the head."""
    start, entries = _three_entries(session, clerk)
    forged = _copy(
        entries[2],
        id=entries[2].id + 1,
        seq=start + 4,
        subject_id="066090000009",
        prev_hash=entries[2].hash,
    )
    forged.hash = audit.entry_hash(forged)
    values = {c.key: getattr(forged, c.key) for c in AuditEntry.__table__.columns}
    session.execute(insert(AuditEntry.__table__).values(**values))
    assert audit_chain.verify(session) == VerifyResult(
        ok=False,
        checked=start + 3,
        first_bad_seq=start + 4,
        reason="entries beyond the head (not written by record)",
    )


def test_verify_finds_a_last_entry_replaced_by_a_well_chained_forgery(session, clerk):
    start, entries = _three_entries(session, clerk)
    forged = _copy(entries[2], subject_id="066090000009")
    forged.hash = audit.entry_hash(forged)
    values = {c.key: getattr(forged, c.key) for c in AuditEntry.__table__.columns}
    _drop_triggers(session)
    session.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": start + 3})
    session.execute(insert(AuditEntry.__table__).values(**values))
    assert audit_chain.verify(session) == VerifyResult(
        ok=False,
        checked=start + 2,
        first_bad_seq=start + 3,
        reason="entry does not match the head (replaced)",
    )


def test_verify_leaves_the_callers_session_alone(session, clerk):
    """Verification neither detaches the caller's objects nor drops its pending changes."""
    entry = _record(session, clerk, "066090000001")
    head = session.get(AuditHead, 1)
    assert audit_chain.verify(session, batch=1).ok is True
    assert entry in session
    assert head in session


# --- the command line -----------------------------------------------------------------------


def _output(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(result.output.split())


def test_cli_verify_exits_0_on_an_intact_log_and_1_on_a_tampered_one(cli_database, clerk):
    with uow.unit_of_work() as session:
        for i in (1, 2, 3):
            _record(session, clerk, f"06609000000{i}")
    runner = CliRunner()
    unsealed = runner.invoke(cli.app, ["audit", "verify"])
    assert (unsealed.exit_code, _output(unsealed)) == (
        0,
        "audit log intact: 0 entries 3 newer entries not sealed yet (dancu audit seal)",
    )
    sealed = runner.invoke(cli.app, ["audit", "seal"])
    assert (sealed.exit_code, _output(sealed)) == (0, "sealed 3 entries")

    intact = runner.invoke(cli.app, ["audit", "verify"])
    with uow.unit_of_work() as session:
        head_hash = session.scalars(select(AuditEntry.hash).where(AuditEntry.seq == 3)).one()
    assert (intact.exit_code, _output(intact)) == (
        0,
        f"audit log intact: 3 entries head: entry 3, hash {head_hash}",
    )

    engine = create_engine(cli_database)
    with engine.begin() as conn:
        for statement in audit_chain.drop_append_only_triggers("sqlite"):
            conn.execute(text(statement))
        conn.execute(text("UPDATE audit_log SET subject_id = '066090000009' WHERE seq = 2"))
    engine.dispose()

    broken = runner.invoke(cli.app, ["audit", "verify"])
    assert (broken.exit_code, _output(broken)) == (
        1,
        "audit log broken at entry 2: content does not match its hash "
        "(1 entries verified before it)",
    )


def test_cli_verify_of_an_empty_log_is_ok(cli_database):
    result = CliRunner().invoke(cli.app, ["audit", "verify"])
    assert (result.exit_code, _output(result)) == (0, "audit log intact: 0 entries")


def test_an_actor_bound_to_purposes_is_refused_any_other_before_anything_is_written(session):
    """A partner bound to 'verification' cannot read for 'data_maintenance' through any
    service: the refusal comes from the audit call every personal-data access makes."""
    from dancu.common.errors import Forbidden

    partner = Actor(id="client:bank", name="Bank", purposes=frozenset({"verification"}))
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    for subject_ids in (["066090000001"], []):  # an empty listing is refused all the same
        with pytest.raises(Forbidden) as caught:
            audit.record_many(
                session,
                partner,
                action="linkage.queue",
                subject_type="citizen",
                subject_ids=subject_ids,
                purpose="data_maintenance",
            )
        assert (caught.value.code, caught.value.params) == (
            "auth.purpose_not_allowed",
            {"purpose": "data_maintenance"},
        )
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    audit.record(
        session,
        partner,
        action="citizen.read",
        subject_type="citizen",
        subject_id="066090000001",
        purpose="verification",
    )
    assert (_newest(session).actor_id, _newest(session).purpose) == ("client:bank", "verification")
    officer = Actor(id="officer:1", name="Clerk")  # no binding: any purpose it names
    audit.record(
        session,
        officer,
        action="citizen.read",
        subject_type="citizen",
        subject_id="066090000001",
        purpose="data_maintenance",
    )
    assert _newest(session).purpose == "data_maintenance"


def test_an_actor_s_purposes_survive_the_session_cookie_round_trip():
    partner = Actor(id="client:bank", name="Bank", purposes=frozenset({"verification"}))
    assert Actor.from_dict(partner.to_dict()) == partner
    officer = Actor(id="officer:1", name="Clerk")
    assert "purposes" not in officer.to_dict() and Actor.from_dict(officer.to_dict()) == officer
