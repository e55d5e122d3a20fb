"""The audit log by month on PostgreSQL (migration 0019, ADR 0006): entries land in their
month's partition, partitions are kept ready ahead, and an archived month's partition is
dropped while the chain stays verifiable through the archive. SQLite keeps one table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from dancu.common import audit_archive, audit_chain, audit_partitions
from dancu.common.audit import AuditEntry
from dancu.common.audit_chain import VerifyResult
from tests.common.test_audit_archive import KEY, _log, _write


def _partition_of(session, subject_id: str) -> str:  # type: ignore[no-untyped-def]
    return session.execute(
        text("SELECT tableoid::regclass::text FROM audit_log WHERE subject_id = :s"),
        {"s": subject_id},
    ).scalar_one()


def test_sqlite_keeps_one_table(session, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only")
    assert not audit_partitions.partitioned(session)
    assert (
        audit_partitions.ensure_partitions(session) == []
        and audit_partitions.month_partitions(session) == []
    )


def test_entries_land_in_their_month_s_partition(session, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    assert audit_partitions.partitioned(session)
    now = datetime.now(UTC)
    this_month = now.strftime("%Y-%m")
    assert this_month in audit_partitions.month_partitions(session)  # made by the migration
    _write(session, now, "066090000777")
    _write(session, datetime(2001, 5, 1, tzinfo=UTC), "066090000778")  # no month of its own
    assert _partition_of(session, "066090000777") == audit_partitions.partition_name(this_month)
    assert _partition_of(session, "066090000778") == "audit_log_pdefault"
    assert audit_chain.seal(session) >= 2  # the sealer finds them in their partitions
    with pytest.raises(DBAPIError, match="append-only"):  # the trigger guards each partition
        session.execute(text("DELETE FROM audit_log WHERE subject_id = '066090000777'"))


def test_partitions_are_kept_ready_ahead(session, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    later = datetime(2031, 11, 20, tzinfo=UTC)
    created = audit_partitions.ensure_partitions(session, now=later)
    assert created == ["2031-11", "2031-12", "2032-01", "2032-02"]
    assert audit_partitions.ensure_partitions(session, now=later) == []  # once
    _write(session, datetime(2032, 1, 9, tzinfo=UTC), "066090000779")
    assert _partition_of(session, "066090000779") == "audit_log_p203201"


def test_an_archived_month_leaves_the_table_and_the_chain_still_verifies(
    session, backend, tmp_path
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    assert audit_partitions.ensure_partitions(
        session, now=datetime(2020, 1, 1, tzinfo=UTC), ahead=1
    ) == [
        "2020-01",
        "2020-02",
    ]
    _log(session)  # entries of 2020-01, 2020-02 and today, sealed
    head_seq, _ = audit_chain.head(session)
    for month in ("2020-01", "2020-02"):
        info = audit_archive.archive_month(session, month, tmp_path, key=KEY)
        assert audit_partitions.drop_month(session, info, key=KEY)
    assert not {"2020-01", "2020-02"} & set(audit_partitions.month_partitions(session))
    old = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.at < datetime(2020, 3, 1, tzinfo=UTC))
    )
    assert session.scalar(old) == 0
    files = sorted(tmp_path.glob("audit-*.jsonl.gz"))
    assert not audit_chain.verify(session).ok  # the table alone misses the archived months
    assert audit_chain.verify(session, archives=files, key=KEY) == VerifyResult(True, head_seq)


def test_a_month_in_the_default_partition_is_archived_but_not_dropped(session, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    _log(session)  # 2020 has no partitions: its entries sit in the default one
    info = audit_archive.archive_month(session, "2020-01", tmp_path, key=KEY)
    assert info.count == 3 and not audit_partitions.drop_month(session, info, key=KEY)
    assert audit_chain.verify(session, archives=[info.path], key=KEY).ok
