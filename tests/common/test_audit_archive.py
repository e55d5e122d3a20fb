"""Audit archives: a past, sealed month exported to a signed file, and the hash chain
verified across the archives and the live table, also once the month has left the table
(its partition dropped: simulated here by deleting its rows with the append-only triggers
out of the way, inside the test's transaction). See ADR 0006.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dancu import cli
from dancu.common import audit_archive, audit_chain
from dancu.common.audit import AuditEntry
from dancu.common.audit_chain import VerifyResult
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from tests.common.test_audit import _drop_triggers

KEY = audit_archive.archive_key("a test secret that is long enough to be a key")
# Entries recorded in two months long past, and one now.
PAST = {
    "2020-01": [datetime(2020, 1, d, 8, 30, tzinfo=UTC) for d in (3, 17, 31)],
    "2020-02": [datetime(2020, 2, d, 14, 0, tzinfo=UTC) for d in (1, 29)],
}


def _write(session: Session, at: datetime, subject_id: str) -> None:
    session.execute(
        insert(AuditEntry.__table__).values(
            at=at,
            actor_id="officer:archive-test",
            actor_name="Nguyễn Văn Kiểm",
            organization="Công an tỉnh",
            purpose="inspection",
            action="citizen.read",
            subject_type="citizen",
            subject_id=subject_id,
            fields=["full_name"],
        )
    )


def _log(session: Session) -> None:
    """The months' entries and one of today's (interleaved in the chain with the past ones,
    as entries committed late are), all sealed."""
    for n, at in enumerate(PAST["2020-02"]):
        _write(session, at, f"0660900002{n:02d}")
    _write(session, datetime.now(UTC), "066090000300")
    for n, at in enumerate(PAST["2020-01"]):
        _write(session, at, f"0660900001{n:02d}")
    audit_chain.seal(session)


def _archive(session: Session, folder: Path) -> list[Path]:
    return [
        audit_archive.archive_month(session, month, folder, key=KEY).path
        for month in audit_archive.archivable_months(session, "2020-03")
    ]


def _drop_months(session: Session) -> None:
    """What dropping the archived months' partitions does to the table."""
    _drop_triggers(session)
    session.execute(text("DELETE FROM audit_log WHERE at < :limit"), {"limit": "2020-03-01"})


def test_a_month_is_archived_in_chain_order_with_a_signed_trailer(session, tmp_path):
    _log(session)
    files = _archive(session, tmp_path)
    assert [f.name for f in files] == ["audit-2020-01.jsonl.gz", "audit-2020-02.jsonl.gz"]
    january = audit_archive.check_archive(files[0], key=KEY)
    assert january.count == 3 and january.month == "2020-01"
    lines = _lines(files[0])
    assert lines[0] == {"format": audit_archive.ARCHIVE_FORMAT, "month": "2020-01"}
    seqs = [line["seq"] for line in lines[1:-1]]
    assert seqs == sorted(seqs) and (seqs[0], seqs[-1]) == (january.first_seq, january.last_seq)
    stored = session.execute(
        select(AuditEntry.__table__).where(AuditEntry.seq.in_(seqs)).order_by(AuditEntry.seq)
    ).all()
    assert [line["hash"] for line in lines[1:-1]] == [row.hash for row in stored]
    assert set(lines[-1]) == {"count", "first_seq", "last_seq", "sha256", "key_id", "signature"}


def test_the_chain_is_verified_across_the_archives_and_the_table(session, tmp_path):
    _log(session)
    files = _archive(session, tmp_path)
    head_seq, _ = audit_chain.head(session)
    # While the table still holds the months: the archives must agree with it.
    assert audit_chain.verify(session, archives=files, key=KEY) == VerifyResult(True, head_seq)
    _drop_months(session)
    broken = audit_chain.verify(session)
    assert not broken.ok and broken.reason == "entry missing (deleted)"
    assert audit_chain.verify(session, archives=files, key=KEY) == VerifyResult(True, head_seq)
    missing = audit_chain.verify(session, archives=files[1:], key=KEY)  # January's file lost
    assert not missing.ok and "missing" in missing.reason


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    with gzip.open(path, "rb") as data:
        return [json.loads(line) for line in data]


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    lines = _lines(path)
    change(lines)
    with gzip.open(path, "wb") as out:
        for line in lines:
            out.write((json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode())


def _rehash(lines: list[dict]) -> None:  # type: ignore[type-arg]
    """Recompute the trailer's SHA-256 (what a forger can do without the key)."""
    body = b"".join(
        (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        for line in lines[:-1]
    )
    lines[-1]["sha256"] = hashlib.sha256(body).hexdigest()


def test_an_altered_archive_is_found(session, tmp_path):
    _log(session)
    files = _archive(session, tmp_path)
    _drop_months(session)

    def rename(lines: list[dict]) -> None:  # type: ignore[type-arg]
        lines[1]["actor_name"] = "Someone else"

    _rewrite(files[0], rename)
    altered = audit_chain.verify(session, archives=files, key=KEY)
    assert (altered.ok, altered.first_bad_seq) == (False, None)
    assert (
        altered.reason
        == "archive audit-2020-01.jsonl.gz: its lines do not match its hash (altered)"
    )

    _rewrite(files[0], _rehash)  # the hash redone, but not the signature
    forged = audit_chain.verify(session, archives=files, key=KEY)
    assert "signature does not verify with this key" in forged.reason
    other_key = audit_chain.verify(
        session, archives=files[1:], key=audit_archive.archive_key("another")
    )
    assert "signature does not verify with this key" in other_key.reason


def test_an_archive_differing_from_the_table_is_found(session, tmp_path):
    _log(session)
    files = _archive(session, tmp_path)
    entry = _lines(files[1])[1]

    def forge(lines: list[dict]) -> None:  # type: ignore[type-arg]
        lines[1]["subject_id"] = "066090009999"
        _rehash(lines)
        message = audit_archive._message(
            audit_archive.ARCHIVE_FORMAT, "2020-02", lines[-1]["count"], lines[-1]["sha256"]
        )
        lines[-1]["signature"] = audit_archive._b64(audit_archive._private(KEY).sign(message))

    _rewrite(files[1], forge)  # signed by someone holding the key: still caught by the chain
    result = audit_chain.verify(session, archives=files, key=KEY)
    assert (result.ok, result.first_bad_seq) == (False, entry["seq"])
    assert result.reason == "archived entry differs from the live one"


def test_only_a_past_and_sealed_month_is_archived(session, tmp_path):
    _write(session, datetime(2020, 1, 5, tzinfo=UTC), "066090000001")
    with pytest.raises(audit_archive.ArchiveError, match="not sealed"):
        audit_archive.archive_month(session, "2020-01", tmp_path, key=KEY)
    this_month = datetime.now(UTC).strftime("%Y-%m")
    with pytest.raises(audit_archive.ArchiveError, match="not over yet"):
        audit_archive.archive_month(session, this_month, tmp_path, key=KEY)
    with pytest.raises(audit_archive.ArchiveError, match="not a month"):
        audit_archive.archive_month(session, "2020-13", tmp_path, key=KEY)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_dancu_audit_archive_and_verify_across_the_archives(cli_database, tmp_path):
    with unit_of_work(get_sessionmaker()) as session:
        _log(session)
    folder = tmp_path / "archives"
    runner = CliRunner()
    done = runner.invoke(cli.app, ["audit", "archive", "--before", "2020-03", "--out", str(folder)])
    assert done.exit_code == 0, done.output
    assert "2020-01: 3 entries" in done.output and "2020-02: 2 entries" in done.output
    again = runner.invoke(
        cli.app, ["audit", "archive", "--before", "2020-03", "--out", str(folder)]
    )
    assert "2020-01: already archived" in again.output
    verified = runner.invoke(cli.app, ["audit", "verify", "--archives", str(folder)])
    assert verified.exit_code == 0, verified.output
    assert "audit log intact" in verified.output and "through 2 archive(s)" in verified.output
    (folder / "audit-2020-01.jsonl.gz").write_bytes(b"not an archive")
    refused = runner.invoke(cli.app, ["audit", "verify", "--archives", str(folder)])
    assert refused.exit_code == 1 and "audit-2020-01.jsonl.gz" in refused.output


def test_an_inspector_checks_an_archive_with_the_public_key_alone(session, tmp_path):
    """``dancu audit check-archive`` needs the public key only: no database, no secret."""
    _log(session)
    files = _archive(session, tmp_path)
    pem = tmp_path / "archive-key.pem"
    pem.write_text(audit_archive.public_key_pem(KEY))
    assert "PRIVATE" not in pem.read_text()
    runner = CliRunner()
    args = ["audit", "check-archive", str(files[0]), "--public-key", str(pem)]
    valid = runner.invoke(cli.app, args)
    assert valid.exit_code == 0, valid.output
    assert "archive valid" in valid.output and "2020-01, 3 entries" in valid.output
    kid = audit_archive.key_id(audit_archive.public_key(KEY))
    assert kid in valid.output and _lines(files[0])[-1]["key_id"] == kid

    stranger = tmp_path / "another-key.pem"
    stranger.write_text(audit_archive.public_key_pem(audit_archive.archive_key("another")))
    wrong_key = runner.invoke(
        cli.app, ["audit", "check-archive", str(files[0]), "--public-key", str(stranger)]
    )
    assert wrong_key.exit_code == 1 and "does not verify with this key" in wrong_key.output
    not_a_key = tmp_path / "garbage.pem"
    not_a_key.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    garbage = runner.invoke(
        cli.app, ["audit", "check-archive", str(files[0]), "--public-key", str(not_a_key)]
    )
    assert garbage.exit_code == 1 and "not a PEM public key" in garbage.output

    def rename(lines: list[dict]) -> None:  # type: ignore[type-arg]
        lines[1]["actor_name"] = "Someone else"
        _rehash(lines)

    _rewrite(files[0], rename)
    forged = runner.invoke(cli.app, args)
    assert forged.exit_code == 1 and "does not verify with this key" in forged.output


def test_an_archive_of_the_first_format_is_still_read_by_the_server(session, tmp_path):
    """Archives written with an HMAC trailer (format 1) verify with the server's key, and
    cannot be passed off to an inspector as checked with a public key."""
    _log(session)
    files = _archive(session, tmp_path)

    def to_first_format(lines: list[dict]) -> None:  # type: ignore[type-arg]
        lines[0]["format"] = "dancu-audit-archive/1"
        _rehash(lines)
        trailer = lines[-1]
        del trailer["signature"], trailer["key_id"]
        message = audit_archive._message(
            "dancu-audit-archive/1", "2020-01", trailer["count"], trailer["sha256"]
        )
        trailer["hmac"] = hmac.new(KEY, message, hashlib.sha256).hexdigest()

    _rewrite(files[0], to_first_format)
    assert audit_archive.check_archive(files[0], key=KEY).count == 3
    with pytest.raises(audit_archive.ArchiveError, match="not this server's"):
        audit_archive.check_archive(files[0], key=audit_archive.archive_key("another"))
    with pytest.raises(audit_archive.ArchiveError, match="checked by the server only"):
        audit_archive.check_archive(files[0], verifier=audit_archive.public_key(KEY))
