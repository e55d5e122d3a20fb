"""Customer-record cleaning for banks: each line comes back matched, mismatched (which
fields), not found, deceased...; a malformed or oversized list is refused with nothing
half-written."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import DancuError
from dancu.exchange.cleaning import service, tasks
from dancu.exchange.cleaning.models import CleaningJob
from dancu.settings import get_settings
from tests.identity import helpers

BANK = Actor(
    id="client:bank-1",
    name="Ngân hàng Thử Nghiệm",
    roles=frozenset({Role.EXCHANGE_PARTNER}),
    organization="Ngân hàng TMCP Thử Nghiệm",
    purposes=frozenset({"bank_cleaning"}),
)
HEADER = ["ma_khach_hang", "ho_ten", "so_giay_to", "ngay_sinh", "gioi_tinh", "so_tai_khoan"]


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setattr(get_settings(), "linkage_upload_dir", str(folder))
    return folder


@pytest.fixture
def people(session: Session) -> dict[str, object]:
    alive = helpers.citizen(session, "Nguyễn Văn Hùng", birth_date=date(1980, 2, 3))
    moved = helpers.citizen(session, "Trần Thị Mai", birth_date=date(1985, 6, 7), sex="F")
    dead = helpers.citizen(session, "Lê Văn Tư", birth_date=date(1950, 1, 1))
    dead.status, dead.death_date = "deceased", date(2025, 12, 1)
    session.flush()
    return {"alive": alive, "moved": moved, "dead": dead}


def customer_list(people: dict) -> list[list[str]]:
    a, m, d = people["alive"], people["moved"], people["dead"]
    return [
        HEADER,
        ["KH1", a.full_name, a.pid, "03/02/1980", "Nam", "0001"],
        ["KH2", m.full_name, m.pid, "08/06/1985", "Nữ", "0002"],  # birth date differs
        ["KH3", d.full_name, d.pid, "01/01/1950", "Nam", "0003"],
        ["KH4", "Phạm Văn Không", "066080999999", "01/01/1980", "Nam", "0004"],
        ["KH5", "", "", "", "", "0005"],  # no name: rejected
    ]


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def as_xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def submit(session: Session, data: bytes, name: str = "khach_hang.csv", actor: Actor = BANK):
    return service.queue_job(session, io.BytesIO(data), file_name=name, actor=actor)


def run(factory, session: Session, job_id: int):
    session.flush()
    out = tasks.run_job(factory, job_id)
    assert out is not None
    return out


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_each_line_comes_back_with_its_status(session, factory, people):
    job = submit(session, as_csv(customer_list(people)))
    assert job.status == "queued" and not job.result_ready
    done = run(factory, session, job.id)
    assert done.status == "done", done.error
    assert done.counts == {
        "deceased": 1,
        "matched": 1,
        "mismatched": 1,
        "not_found": 1,
        "rejected": 1,
    }
    path, name = service.result_file(session, job.id, actor=BANK)
    assert name == "khach_hang-dancu.csv"
    rows = read_csv(path)
    assert rows[0] == [*HEADER, "dancu_status", "dancu_mismatched_fields", "dancu_method"]
    assert [r[:6] for r in rows[1:]] == [r for r in customer_list(people)[1:]]  # their rows
    assert [r[6:] for r in rows[1:]] == [
        ["matched", "", "id"],
        ["mismatched", "birth_date", "id"],
        ["deceased", "", "id"],
        ["not_found", "", ""],
        ["rejected", "", "name.missing"],
    ]


def test_the_bank_is_audited_for_each_citizen_it_learnt_about(session, factory, people):
    job = submit(session, as_csv(customer_list(people)))
    run(factory, session, job.id)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.actor_id == BANK.id)).all()
    assert {e.subject_id for e in entries} == {people[k].pid for k in ("alive", "moved", "dead")}
    assert {(e.action, e.purpose) for e in entries} == {("cleaning.checked", "bank_cleaning")}


def test_an_xlsx_list_comes_back_as_xlsx(session, factory, people):
    job = submit(session, as_xlsx(customer_list(people)), "khach_hang.xlsx")
    assert run(factory, session, job.id).status == "done"
    path, _ = service.result_file(session, job.id, actor=BANK)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][-3:] == ["dancu_status", "dancu_mismatched_fields", "dancu_method"]
    assert rows[1][-3] == "matched"


def test_a_line_without_an_id_number_is_matched_on_name_birth_date_and_address(
    session, factory, people
):
    a = people["alive"]
    rows = [
        ["ho_ten", "ngay_sinh", "gioi_tinh", "dia_chi"],
        [a.full_name, "03/02/1980", "Nam", "24121"],
    ]
    job = submit(session, as_csv(rows))
    assert run(factory, session, job.id).counts == {"matched": 1}


def test_another_bank_does_not_see_the_job(session, factory, people):
    job = submit(session, as_csv(customer_list(people)))
    other = Actor(
        id="client:other",
        name="Other",
        roles=frozenset({Role.PARTNER_ADMIN}),
        purposes=frozenset({"bank_cleaning"}),
    )
    with pytest.raises(DancuError) as caught:
        service.get_job(session, job.id, actor=other)
    assert caught.value.code == "cleaning.job_not_found"
    with pytest.raises(DancuError):
        service.result_file(session, job.id, actor=BANK)  # not ready yet
    assert service.get_job(session, job.id, actor=BANK).id == job.id


def jobs(session: Session) -> int:
    session.flush()
    return session.scalar(select(func.count()).select_from(CleaningJob)) or 0


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"a,b\n1,2\n", "list.pdf", "linkage.bad_format"),
        (b"", "list.csv", "linkage.empty_file"),
        (b"ma,so_tai_khoan\n1,2\n", "list.csv", "linkage.missing_column"),  # no name column
        (b"PK\x03\x04 not a workbook", "list.xlsx", "linkage.bad_format"),
    ],
)
def test_a_malformed_list_is_refused_at_once_and_nothing_is_kept(
    session, uploads, data, name, code
):
    with pytest.raises(DancuError) as caught:
        submit(session, data, name)
    assert caught.value.code == code
    assert jobs(session) == 0
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_an_oversized_list_is_refused(session, uploads, monkeypatch, people):
    monkeypatch.setattr(service, "MAX_UPLOAD", 64)
    with pytest.raises(DancuError) as caught:
        submit(session, as_csv(customer_list(people)))
    assert caught.value.code == "linkage.too_large"
    assert jobs(session) == 0 and list(uploads.iterdir()) == []


def test_a_list_with_too_many_lines_fails_and_writes_no_result(
    session, factory, uploads, monkeypatch, people
):
    monkeypatch.setattr(service, "MAX_ROWS", 2)
    monkeypatch.setattr("dancu.linkage.dataset.CHUNK", 1, raising=False)
    job = submit(session, as_csv(customer_list(people)))
    failed = run(factory, session, job.id)
    assert (failed.status, failed.error_code) == ("failed", "cleaning.too_many_rows")
    assert list(uploads.iterdir()) == []  # neither the upload nor a partial result
    with pytest.raises(DancuError):
        service.result_file(session, job.id, actor=BANK)


def test_a_partner_without_the_cleaning_purpose_cannot_submit(session, uploads, people):
    other = Actor(
        id="client:x",
        name="X",
        roles=frozenset({Role.PARTNER_ADMIN}),
        purposes=frozenset({"residence"}),
    )
    with pytest.raises(DancuError) as caught:
        submit(session, as_csv(customer_list(people)), actor=other)
    assert caught.value.code == "auth.purpose_not_allowed"
    assert jobs(session) == 0
