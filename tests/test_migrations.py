"""Migrations move real data: the audit chain written under 0001 verifies after 0002."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dancu.cli import alembic_config
from dancu.common import audit, audit_chain
from dancu.common.access import Actor, Role
from dancu.common.audit import GENESIS_HASH, AuditEntry
from dancu.common.audit_chain import VerifyResult
from dancu.db import make_engine

pytestmark = pytest.mark.xdist_group("migrations")


class _OldEntry:
    """An entry as 0001 stored it: seq is the key, sealed on write."""

    def __init__(self, seq: int, prev_hash: str) -> None:
        self.seq, self.prev_hash = seq, prev_hash
        self.at = datetime(2026, 1, 2, 3, 4, 5, seq, tzinfo=UTC)
        self.actor_id, self.actor_name, self.organization = "officer:old", "Cán bộ cũ", "CA"
        self.purpose, self.action = "inspection", "citizen.read"
        self.subject_type, self.subject_id = "citizen", f"06609000000{seq}"
        self.fields = ["full_name"]
        self.hash = audit.entry_hash(self)  # type: ignore[arg-type]

    def row(self) -> dict[str, object]:
        values = dict(vars(self))
        values["fields"] = json.dumps(self.fields)
        values["at"] = self.at.isoformat()
        return values


def _write_0001_chain(url: str, count: int) -> str:
    engine = make_engine(url)
    prev = GENESIS_HASH
    with engine.begin() as conn:
        for seq in range(1, count + 1):
            old = _OldEntry(seq, prev)
            conn.execute(
                text(
                    "INSERT INTO audit_log (seq, at, actor_id, actor_name, organization, purpose,"
                    " action, subject_type, subject_id, fields, prev_hash, hash) VALUES (:seq,"
                    " :at, :actor_id, :actor_name, :organization, :purpose, :action,"
                    " :subject_type, :subject_id, :fields, :prev_hash, :hash)"
                ),
                old.row(),
            )
            prev = old.hash
        conn.execute(
            text("UPDATE audit_head SET seq = :seq, last_hash = :h WHERE id = 1"),
            {"seq": count, "h": prev},
        )
    engine.dispose()
    return prev


def test_the_0001_chain_verifies_after_the_upgrade_and_grows_from_its_head(blank_url):
    config = alembic_config(blank_url)
    command.upgrade(config, "0001")
    _write_0001_chain(blank_url, 3)
    command.upgrade(config, "head")

    engine = make_engine(blank_url)
    clerk = Actor(id="officer:new", name="Cán bộ mới", roles=frozenset({Role.REGISTRY_CLERK}))
    with Session(engine) as session, session.begin():
        assert audit_chain.verify(session) == VerifyResult(ok=True, checked=3)
        audit.record(
            session,
            clerk,
            action="citizen.read",
            subject_type="citizen",
            subject_id="066090000004",
            purpose="inspection",
        )
        assert audit_chain.seal(session) == 1
        new = session.scalars(select(AuditEntry).where(AuditEntry.seq == 4)).one()
        assert new.id == 4  # the id sequence continues after the migrated entries
        assert audit_chain.verify(session) == VerifyResult(ok=True, checked=4)
    engine.dispose()

    command.downgrade(config, "0001")  # and back: every entry was sealed
    engine = make_engine(blank_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(text("audit_log"))).scalar() == 4
    engine.dispose()
    command.upgrade(config, "head")
    engine = make_engine(blank_url)
    with Session(engine) as session:
        assert audit_chain.verify(session) == VerifyResult(ok=True, checked=4)
    engine.dispose()


def test_a_downgrade_with_unsealed_entries_refuses(blank_url):
    config = alembic_config(blank_url)
    command.upgrade(config, "head")
    engine = make_engine(blank_url)
    clerk = Actor(id="officer:new", name="Cán bộ mới", roles=frozenset({Role.REGISTRY_CLERK}))
    with Session(engine) as session, session.begin():
        audit.record(
            session,
            clerk,
            action="citizen.read",
            subject_type="citizen",
            subject_id="066090000004",
            purpose="inspection",
        )
    engine.dispose()
    with pytest.raises(RuntimeError, match="dancu audit seal"):
        command.downgrade(config, "0001")
