"""``dancu linkage import | run | report`` and the demo's sector datasets, on a SQLite file."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from dancu import cli
from dancu.common import jobs
from dancu.common.access import SYSTEM_ACTOR
from dancu.db import get_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.demo.sector import social_insurance
from dancu.linkage import service, tasks
from dancu.linkage.models import MatchResult
from dancu.registry import service as registry

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(cli.app, list(args), catch_exceptions=False)


def test_import_run_report(cli_database: str, tmp_path: Path) -> None:
    assert invoke("demo", "--citizens", "1000", "--no-sector").exit_code == 0
    with unit_of_work(get_sessionmaker()) as session:
        citizens = registry.citizens_for_matching(session, "66", actor=SYSTEM_ACTOR)
    file = tmp_path / "bhxh.csv"
    file.write_bytes(social_insurance(citizens, seed=1, today=date.today(), province_code="66"))
    lines = len(file.read_text(encoding="utf-8").splitlines()) - 1

    imported = invoke(
        "linkage", "import", str(file), "--type", "social_insurance", "--name", "BHXH"
    )
    assert imported.exit_code == 0, imported.output
    assert f"dataset 1 (BHXH, utf-8): {lines:,} lines" in imported.output

    run = invoke("linkage", "run", "1")
    assert run.exit_code == 0, run.output
    assert "run 1: done" in run.output and "Sync rates per commune" in run.output

    report = invoke("linkage", "report")
    assert report.exit_code == 0 and "1 BHXH" in report.output and "%" in report.output

    bad = tmp_path / "bhxh-loi.csv"
    bad.write_text(
        "ma_so_bhxh,ho_ten,so_cccd,ngay_sinh\nB1,,001090000001,01/01/1990\n"
        "B2,Võ Thị Mai,12345,31/02/1990\nB3,Lê Văn Tâm\n",
        encoding="utf-8",
    )
    assert invoke("linkage", "import", str(bad), "--type", "social_insurance").exit_code == 0
    problems = tmp_path / "problems.csv"
    written = invoke("linkage", "report", "2", "--problems", str(problems))
    assert written.exit_code == 0, written.output
    assert "4 problems of dataset 2 written to" in written.output
    assert "Sync rates per commune" in written.output  # the report itself still printed
    data = problems.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["dong", "cot", "ma_loi", "ly_do", "gia_tri", "dong_bi_loai"]
    assert [r[:3] for r in rows[1:]] == [
        ["2", "ho_ten", "name.missing"],
        ["3", "so_cccd", "id.invalid"],
        ["3", "ngay_sinh", "date.invalid"],
        ["4", "", "row.bad_width"],
    ]
    assert rows[2][rows[0].index("ho_ten")] == "Võ Thị Mai"
    with unit_of_work(get_sessionmaker()) as session:
        assert service.report(session, 2, actor=SYSTEM_ACTOR).problems_total == 4

    # The foreground run left nothing for the workers: no job queued, nothing stale.
    assert jobs.queue.pending_count() == 0
    assert tasks.recover_stale(get_sessionmaker()) == {}


def test_cli_errors_have_codes(cli_database: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = invoke("linkage", "import", str(empty), "--type", "land")
    assert result.exit_code == 2 and "linkage.empty_file" in result.output
    data = tmp_path / "land.csv"
    data.write_text("ho_ten\nAn Bình\n", encoding="utf-8")
    bad_json = invoke("linkage", "import", str(data), "--type", "land", "--mapping", "{x")
    assert bad_json.exit_code == 2 and "linkage.mapping_json" in bad_json.output
    missing = invoke(
        "linkage", "import", str(data), "--type", "land", "--mapping", '{"full_name": "HoTen"}'
    )
    assert missing.exit_code == 2 and "linkage.missing_column" in missing.output
    unknown = invoke("linkage", "report", "99")
    assert unknown.exit_code == 2 and "linkage.source_not_found" in unknown.output
    out = tmp_path / "problems.csv"
    no_id = invoke("linkage", "report", "--problems", str(out))
    assert no_id.exit_code == 2 and "linkage.source_required" in no_id.output
    unknown = invoke("linkage", "report", "99", "--problems", str(out))
    assert unknown.exit_code == 2 and "linkage.source_not_found" in unknown.output
    assert not out.exists()


def test_the_demo_synchronizes_a_land_register_and_a_bhxh_list(cli_database: str) -> None:
    result = invoke("demo", "--citizens", "1200")
    assert result.exit_code == 0, result.output
    assert "sector dataset 1:" in result.output and "sector dataset 2:" in result.output
    assert result.output.count("(done)") == 2
    from dancu.linkage import cleaning, service

    with unit_of_work(get_sessionmaker()) as session:
        rows = service.sync_rates(session, actor=SYSTEM_ACTOR)
        queue = cleaning.queue(session, actor=SYSTEM_ACTOR)
    datasets = [r for r in rows if r.level == "dataset"]
    assert sorted(r.source_type for r in datasets) == ["land", "social_insurance"]
    assert all(0.85 < r.rate < 1.0 for r in datasets)  # realistic errors: high, not perfect
    assert all(r.counts.get("not_found", 0) >= 2 for r in datasets)  # people from elsewhere
    assert len([r for r in rows if r.level == "commune"]) > 10
    assert queue.total > 0
    land = next(r for r in datasets if r.source_type == "land")
    assert land.counts.get("duplicate_in_source", 0) >= 1  # a parcel's line typed twice
    with unit_of_work(get_sessionmaker()) as session:
        owners = session.execute(
            select(MatchResult.citizen_pid)
            .where(
                MatchResult.source_id == land.source_id,
                MatchResult.outcome.in_(("synced", "synced_with_differences")),
            )
            .group_by(MatchResult.citizen_pid)
            .having(func.count() > 1)
        ).all()
    assert owners  # owners of two parcels: two synchronized records, not a duplicate


def test_clean_uploads_default_grace_is_the_importers() -> None:
    from dancu.linkage import cli, imports

    assert imports.UPLOAD_GRACE.total_seconds() / 3600 == cli._UPLOAD_GRACE_HOURS


def test_linkage_run_starts_without_the_job_queue() -> None:
    """``dancu linkage run`` loads neither the job queue (huey, redis) nor the import and
    export modules: start-up time the command does not need."""
    import subprocess
    import sys

    code = (
        "import sys; from dancu.cli import app\n"
        "from dancu.linkage import cli\n"
        "print(sorted(m for m in sys.modules if m in ('huey', 'redis', 'dancu.common.jobs',"
        " 'dancu.linkage.imports', 'dancu.linkage.exports', 'dancu.linkage.tasks')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
