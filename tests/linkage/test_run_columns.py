"""A run's inputs and results as columns: the records' JSON parsed by DuckDB, the registry's
names folded once per distinct name, the results' places and differences column-wise."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pyarrow as pa

from dancu.linkage import match, run_inputs, runs
from dancu.registry.repository import MATCHING_SCHEMA

COMMUNE_A = "24121"  # Phường Tân Lập, Đắk Lắk (66)


def test_sector_columns_parse_the_normalized_json_once_per_record() -> None:
    records = pa.table(
        {
            "id": pa.array([7, 1234567], pa.int64()),
            "normalized": [
                json.dumps(
                    {
                        "pid": "066090000123",
                        "name": "Nguyễn Văn An",
                        "name_folded": "nguyen van an",
                        "family": "nguyen",
                        "middle": "van",
                        "given": "an",
                        "birth_date": "1990-05-17",
                        "birth_year": 1990,
                        "sex": "M",
                        "commune_code": COMMUNE_A,
                        "province_code": "66",
                        "phone": None,
                        "line": 2,
                    }
                ),
                json.dumps({"name_folded": "le thi", "given": "thi", "birth_year": None}),
            ],
        }
    )
    table = run_inputs.sector_columns(records)
    assert table.column_names == ["record_key", *run_inputs.SECTOR_FIELDS]
    first, second = table.to_pylist()
    assert first["record_key"] == run_inputs.record_key(7) == "000000000007"
    assert (first["name"], first["birth_year"], first["phone"], first["dedup_key"]) == (
        "Nguyễn Văn An",
        "1990",
        None,
        None,
    )
    assert second["record_key"] == "000001234567"
    assert (second["pid"], second["given"], second["birth_year"]) == (None, "thi", None)


def test_registry_columns_agree_with_the_frame_built_from_dicts() -> None:
    citizens = [
        {
            "pid": "066090000123",
            "full_name": name,
            "birth_date": date(1990, 5, 17),
            "sex": "M",
            "province_code": "66",
            "commune_code": COMMUNE_A,
            "address_detail": None,
            "status": status,
            "death_date": died,
        }
        for name, status, died in (
            ("Nguyễn Văn An", "alive", None),
            ("Đặng Thị Ánh Tuyết", "deceased", date(2020, 1, 2)),
            ("Nguyễn Văn An", "alive", None),
            ("Mai", "alive", None),
        )
    ]
    as_text = [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in c.items()} for c in citizens
    ]
    table = run_inputs.registry_columns(pa.Table.from_pylist(as_text, schema=MATCHING_SCHEMA))
    frame = run_inputs.registry_frame(citizens)
    assert table.column_names == [*match.REGISTRY_COLUMNS, "full_name"]
    assert table.to_pylist() == frame.to_dict("records")
    assert table.to_pylist()[1]["family"] == "dang"
    assert table.to_pylist()[3]["given"] == "mai"


def test_results_take_the_records_place_else_the_citizens_and_differences_as_json() -> None:
    sector = pa.table(
        {
            "record_key": ["000000000001", "000000000002", "000000000003"],
            "commune_code": [COMMUNE_A, "", None],
            "province_code": ["66", None, "66"],
        }
    )
    citizens = pa.table(
        {"pid": ["066090000123", "066090000456"], "commune_code": ["22015", COMMUNE_A]}
    )
    differences = [{"field": "full_name", "sector": "Nguyen An", "registry": "Nguyễn Văn An"}]
    outcomes = pd.DataFrame(
        {
            "record_key": ["000000000003", "000000000001", "000000000002"],
            "outcome": ["not_found", "synced_with_differences", "synced"],
            "citizen_pid": [None, "066090000123", "066090000456"],
            "probability": [float("nan"), 1.0, 0.97],
            "differences": [[], differences, None],
            "citizen_status": [None, "alive", "alive"],
        }
    )
    rows = runs.result_columns(outcomes, sector, citizens).to_pylist()
    assert [tuple(r) for r in rows] == [runs.RESULT_FIELDS] * 3
    assert rows == [
        {
            "record_id": 1,
            "outcome": "synced_with_differences",
            "citizen_pid": "066090000123",
            "probability": 1.0,
            "differences": json.dumps(
                {"full_name": {"old": "Nguyen An", "new": "Nguyễn Văn An"}}, ensure_ascii=False
            ),
            "province_code": "66",
            "commune_code": COMMUNE_A,  # the record's own, not the citizen's 22015
            "citizen_status": "alive",
        },
        {
            "record_id": 2,
            "outcome": "synced",
            "citizen_pid": "066090000456",
            "probability": 0.97,
            "differences": "{}",
            "province_code": "66",  # from the citizen's commune
            "commune_code": COMMUNE_A,
            "citizen_status": "alive",
        },
        {
            "record_id": 3,
            "outcome": "not_found",
            "citizen_pid": None,
            "probability": None,
            "differences": "{}",
            "province_code": "66",  # the record's
            "commune_code": None,
            "citizen_status": None,
        },
    ]
