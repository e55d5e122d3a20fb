"""Orphan uploads are removed: a file of the upload folder older than the grace period that
no queued or running import needs (never written as an import, or its import ended without
removing it), by the hourly job and by ``dancu linkage clean-uploads``. Before, such files
stayed on disk forever."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from dancu import cli
from dancu.common import jobs
from dancu.db.uow import unit_of_work
from dancu.linkage import imports, tasks
from dancu.linkage.models import LinkageImport
from tests.linkage import world as wd

DAY = 24 * 3600


def _queue(session: Session) -> LinkageImport:
    out = imports.queue_import(
        session,
        io.BytesIO(b"ho_ten,ngay_sinh\nA,1990-01-01\n"),
        file_name="bhxh.csv",
        source_type="social_insurance",
        province_code=wd.PROVINCE,
        actor=wd.clerk(),
    )
    row = session.get(LinkageImport, out.id)
    assert row is not None
    return row


def _age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def _files(folder: Path, session: Session) -> dict[str, Path]:
    """In ``folder``: an old orphan, a young orphan, an old upload of a queued import, of a
    running one, and of a finished one whose worker did not remove it."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"old orphan": folder / "0123abcd.csv", "young orphan": folder / "4567ef01.csv"}
    for path in files.values():
        path.write_bytes(b"x")
    _age(files["old orphan"], 2 * DAY)
    for state in ("queued", "running", "done", "failed"):
        row = _queue(session)
        row.status = state
        files[f"old {state}"] = _age(Path(row.path), 2 * DAY)
    session.flush()
    return files


def test_old_uploads_no_live_import_needs_are_removed(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        files = _files(imports.upload_dir(), session)
        session.commit()
    removed = tasks.clean_orphan_uploads(factory)
    gone = {name for name, path in files.items() if not path.exists()}
    assert gone == {"old orphan", "old done", "old failed"}
    assert sorted(removed) == sorted(files[name] for name in gone)
    assert tasks.clean_orphan_uploads(factory) == []  # nothing left to remove

    with factory() as session:  # the queued import ends: its file is an orphan in its turn
        session.execute(
            update(LinkageImport).where(LinkageImport.status == "queued").values(status="done")
        )
        session.commit()
    assert tasks.clean_orphan_uploads(factory, grace=timedelta(hours=1)) == [files["old queued"]]


def test_the_command_removes_them_with_its_grace(cli_database: str, _upload_dir: Path) -> None:
    with unit_of_work() as session:
        files = _files(_upload_dir, session)
    runner = CliRunner()
    result = runner.invoke(cli.app, ["linkage", "clean-uploads", "--grace-hours", "72"])
    assert result.exit_code == 0, result.output
    assert "0 orphan upload(s) removed" in result.output  # two days old: within 72 hours
    result = runner.invoke(cli.app, ["linkage", "clean-uploads"])
    assert result.exit_code == 0, result.output
    assert "3 orphan upload(s) removed" in result.output
    assert {name for name, path in files.items() if path.exists()} == {
        "young orphan",
        "old queued",
        "old running",
    }
    result = runner.invoke(cli.app, ["linkage", "clean-uploads", "--grace-hours", "0"])
    assert "1 orphan upload(s) removed" in result.output  # the young orphan too


def test_the_worker_cleans_uploads_on_a_schedule(cli_database: str, _upload_dir: Path) -> None:
    assert "clean_uploads" in {task.name for task in jobs.queue._registry.periodic_tasks}
    with unit_of_work() as session:
        files = _files(_upload_dir, session)
    assert tasks.clean_uploads.call_local() == 3  # what the worker runs hourly
    assert not files["old orphan"].exists() and files["old running"].exists()
