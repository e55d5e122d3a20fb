"""``duplicate_in_source`` depends on the source type: one owner of several parcels is
several land records, while two social-insurance lines of one person are duplicates."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dancu.linkage import match, runs, service, tasks
from dancu.linkage.models import MatchResult, SectorRecord
from tests.linkage import world as wd

LAND_HEADER = "so_thua,ho_ten_nguoi_su_dung,so_giay_to,nam_sinh,gioi_tinh,dia_chi_thuong_tru"
LAND_MAPPING = dict(
    zip(
        ("record_key", "full_name", "id_number", "birth_date", "sex", "address"),
        LAND_HEADER.split(","),
        strict=True,
    )
)


def land_rows(w: wd.World) -> str:
    an = f"Nguyễn Văn An,{w.pid(0)},17/05/1990,Nam,{wd.COMMUNE_A}"
    binh = f"Trần Thị Bình,{w.pid(1)},02/03/1985,Nữ,{wd.COMMUNE_A}"
    return (
        "\n".join(
            [
                LAND_HEADER,
                f"12-00001,{an}",  # line 2: An's first parcel
                f"12-00002,{an}",  # line 3: An's second parcel
                f"12-00007,{an}",  # line 4: a parcel An holds with his wife...
                f"12-00007,{binh}",  # line 5: ...Bình, its co-owner
                f"12-00001,{an}",  # line 6: line 2 again
            ]
        )
        + "\n"
    )


def import_and_run(
    factory: sessionmaker[Session], source_type: str
) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """(problems by line and code, outcome by line) of the land file as ``source_type``."""
    with factory() as session:
        w = wd.build(session, filler=0)
        out = service.import_dataset(
            session,
            land_rows(w).encode(),
            file_name="land.csv",
            source_type=source_type,
            province_code=wd.PROVINCE,
            actor=wd.clerk(),
            today=wd.TODAY,
            mapping=LAND_MAPPING,
        )
        job = runs.enqueue_run(session, out.source.id, actor=wd.clerk())
        session.commit()
    assert tasks.run_job(factory, job.id).status == "done"
    problems = [(p.line, p.code) for p in out.problems]
    with factory() as session:
        stmt = (
            select(SectorRecord.line, MatchResult.outcome)
            .join(MatchResult, MatchResult.record_id == SectorRecord.id)
            .where(SectorRecord.source_id == out.source.id)
        )
        return problems, {line: outcome for line, outcome in session.execute(stmt)}


def test_land_one_owner_of_several_parcels_is_not_a_duplicate(factory) -> None:  # type: ignore[no-untyped-def]
    problems, got = import_and_run(factory, "land")
    assert problems == [(6, "row.duplicate_key")]  # the co-owners are not reported
    assert got == {2: "synced", 3: "synced", 4: "synced", 5: "synced", 6: "duplicate_in_source"}


def test_social_insurance_two_lines_of_one_person_are_duplicates(factory) -> None:  # type: ignore[no-untyped-def]
    problems, got = import_and_run(factory, "social_insurance")
    assert problems == [(5, "row.duplicate_key"), (6, "row.duplicate_key")]
    assert got == {
        2: "synced",
        3: "duplicate_in_source",
        4: "duplicate_in_source",
        5: "synced",
        6: "duplicate_in_source",
    }


def _frames(dedup: list[str | None] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    person = {
        "pid": "066090000001",
        "name_folded": "nguyen van an",
        "family": "nguyen",
        "middle": "van",
        "given": "an",
        "birth_date": "1990-05-17",
        "birth_year": 1990,
        "sex": "M",
        "commune_code": wd.COMMUNE_A,
    }
    sector = pd.DataFrame([{**person, "record_key": f"r{i}", "phone": None} for i in range(3)])
    if dedup is not None:
        sector["dedup_key"] = dedup
    registry = pd.DataFrame([{**person, "status": "alive", "death_date": None}])
    return sector, registry


@pytest.mark.parametrize(
    ("dedup", "expected"),
    [
        (None, ["synced", "duplicate_in_source", "duplicate_in_source"]),
        ([None, None, None], ["synced", "duplicate_in_source", "duplicate_in_source"]),
        (["p1", "p2", "p1"], ["synced", "synced", "duplicate_in_source"]),
        (["p1", "p2", "p3"], ["synced", "synced", "synced"]),
    ],
)
def test_the_engine_groups_duplicates_by_citizen_and_dedup_key(dedup, expected) -> None:  # type: ignore[no-untyped-def]
    sector, registry = _frames(dedup)
    out = match.link(sector, registry).outcomes.set_index("record_key")
    assert out.loc[["r0", "r1", "r2"], "outcome"].tolist() == expected
    duplicates = out[out["outcome"] == "duplicate_in_source"]
    assert set(duplicates["duplicate_of"]) <= {"r0"}  # the same parcel's first record
