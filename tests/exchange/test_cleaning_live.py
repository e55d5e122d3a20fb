"""The bank's cleaning client script (docs/exchange/cleaning_client.py) against a live
server with its job worker: upload, follow the job, download the bank's rows with ours."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from dancu.db.uow import unit_of_work
from tests.exchange.test_ekyc_live import (  # noqa: F401 -- the live_server fixture
    ROOT,
    bank_with_key,
    live_server,
    run_script,
)
from tests.registry.factories import person

SCRIPT = ROOT / "docs" / "exchange" / "cleaning_client.py"
pytestmark = pytest.mark.xdist_group("exchange-live")


def test_the_integrators_cleaning_script_cleans_a_list(
    live_server: str,  # noqa: F811 -- the imported fixture
    tmp_path: Path,
) -> None:
    client_id, key_file = bank_with_key("nh-sach", tmp_path)
    with unit_of_work() as session:
        a = person(session, "Hoàng Văn Sạch", birth_date=date(1975, 4, 30))
        b = person(session, "Mai Thị Lệch", birth_date=date(1990, 1, 2), sex="F")
        pids = a.pid, b.pid
    source = tmp_path / "khach_hang.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [
                ["ma_khach_hang", "ho_ten", "so_giay_to", "ngay_sinh", "so_tai_khoan"],
                ["KH1", "Hoàng Văn Sạch", pids[0], "30/04/1975", "111"],
                ["KH2", "Mai Thị Lệch", pids[1], "03/01/1990", "222"],
            ]
        )
    out = tmp_path / "result.csv"
    done = run_script(
        SCRIPT,
        "--server",
        live_server,
        "--client-id",
        client_id,
        "--key",
        str(key_file),
        "--file",
        str(source),
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"] == {"matched": 1, "mismatched": 1}
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1][-3:] == ["matched", "", "id"]
    assert rows[2][:5] == ["KH2", "Mai Thị Lệch", pids[1], "03/01/1990", "222"]
    assert rows[2][-3:-1] == ["mismatched", "birth_date"]
