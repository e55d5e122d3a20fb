"""Importing sector datasets: nothing lost, problems by line, all or nothing, mappings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.errors import Forbidden, ValidationFailed
from dancu.linkage import service
from dancu.linkage.models import ImportProblem, SectorRecord, Source
from tests.linkage import world as wd


def count(session: Session, table: type) -> int:
    session.flush()
    return session.scalar(select(func.count()).select_from(table)) or 0


def do_import(session: Session, data: bytes, name: str = "bhxh.csv", **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("source_type", "social_insurance")
    kw.setdefault("province_code", wd.PROVINCE)
    kw.setdefault("actor", wd.clerk())
    return service.import_dataset(session, data, file_name=name, today=wd.TODAY, **kw)


def test_import_keeps_every_line_as_a_record_or_a_problem(session: Session) -> None:
    w = wd.build(session, filler=0)
    out = do_import(session, wd.social_insurance_csv(w).encode())
    assert (out.source.lines, out.source.records, out.source.problem_lines) == (7, 6, 1)
    assert count(session, SectorRecord) == 6
    rejected = session.scalars(select(ImportProblem).where(ImportProblem.rejected)).all()
    assert [(p.line, p.field, p.code) for p in rejected] == [(8, "full_name", "name.missing")]
    lines = set(session.scalars(select(SectorRecord.line)))
    assert lines | {p.line for p in rejected} == set(range(2, 9))
    rec = session.scalars(select(SectorRecord).where(SectorRecord.line == 2)).one()
    assert (rec.pid, rec.commune_code, str(rec.birth_date)) == (
        w.pid(0),
        wd.COMMUNE_A,
        "1990-05-17",
    )
    assert rec.raw["ho_ten"] == "Nguyễn Văn An"


def test_thirty_percent_invalid_ids_are_kept_and_reported(session: Session) -> None:
    ids = ["12345" if i % 10 < 3 else "" for i in range(20)]
    rows = [
        f"BH{i:03d},Người Thứ {chr(65 + i)},{ids[i]},01/01/1980,Nam,{wd.COMMUNE_A}"
        for i in range(20)
    ]
    out = do_import(session, (wd.HEADER + "\n".join(rows)).encode())
    assert out.source.records == 20 and out.source.problem_lines == 0
    codes = session.scalars(select(ImportProblem.code).where(ImportProblem.field == "id_number"))
    assert sorted(codes) == ["id.invalid"] * 6


def test_windows_1258_and_bom_files_are_read(session: Session) -> None:
    w = wd.build(session, filler=0)
    text = wd.social_insurance_csv(w)
    bom = do_import(session, b"\xef\xbb\xbf" + text.encode(), name="bom.csv")
    assert (bom.source.encoding, bom.source.records) == ("utf-8-sig", 6)
    legacy = do_import(session, wd.to_cp1258(text), name="cp.csv")
    assert (legacy.source.encoding, legacy.source.records) == ("cp1258", 6)
    names = session.scalars(
        select(SectorRecord.full_name).where(
            SectorRecord.source_id == legacy.source.id, SectorRecord.line == 3
        )
    )
    assert list(names) == ["Trần Thị Bình"]


@pytest.mark.parametrize(
    ("data", "mapping", "code"),
    [
        (b"", None, "linkage.empty_file"),
        (wd.HEADER.encode(), None, "linkage.empty_file"),
        (b"a,b\n1,2\n", None, "linkage.missing_column"),
        (b"ho_ten\nAn\n", {"full_name": "ten_khong_co"}, "linkage.missing_column"),
    ],
    ids=["empty", "header-only", "no-name-column", "mapping-names-missing-column"],
)
def test_a_broken_file_writes_nothing(
    session: Session, data: bytes, mapping: dict[str, str] | None, code: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        do_import(session, data, mapping=mapping)
    assert err.value.code == code
    assert (
        count(session, Source),
        count(session, SectorRecord),
        count(session, ImportProblem),
    ) == (0, 0, 0)


def test_a_failure_while_writing_leaves_nothing(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    w = wd.build(session, filler=0)
    original = service._write_problems

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_write_problems", broken)
    savepoint = session.begin_nested()
    with pytest.raises(RuntimeError):
        do_import(session, wd.social_insurance_csv(w).encode())
    savepoint.rollback()  # what the boundary's rollback does
    assert (
        count(session, Source),
        count(session, SectorRecord),
        count(session, ImportProblem),
    ) == (0, 0, 0)


def test_a_given_mapping_is_saved_for_the_source_type(session: Session) -> None:
    data = "Ten,NgaySinh\nNguyễn Văn An,17/05/1990\n".encode()
    do_import(session, data, mapping={"full_name": "Ten", "birth_date": "NgaySinh"})
    assert service.mapping_for(session, "social_insurance") == {
        "full_name": "Ten",
        "birth_date": "NgaySinh",
    }
    again = do_import(session, data)  # the saved mapping is used without being given
    assert again.source.records == 1 and again.source.mapping["full_name"] == "Ten"


def test_import_needs_the_permission_and_the_province(session: Session) -> None:
    data = b"ho_ten\nAn Binh\n"
    from dancu.common.access import Role
    from tests.conftest import make_actor

    with pytest.raises(Forbidden):
        do_import(session, data, actor=make_actor(Role.COMMUNE_LEADER))
    with pytest.raises(Forbidden) as err:
        do_import(session, data, actor=wd.commune_clerk(wd.COMMUNE_A))
    assert err.value.code == "linkage.area"
    with pytest.raises(ValidationFailed) as bad:
        do_import(session, data, province_code="99")
    assert bad.value.code == "linkage.province"
    assert count(session, Source) == 0
