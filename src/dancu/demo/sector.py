"""Demo sector datasets written from the demo province, with the errors real ones have.

A land register (XLSX, birth year only for most owners, old CMND numbers, pre-2025
addresses) and a social-insurance list (CSV) are drawn from the registry's citizens, then
spoiled the way sector files are: typos in names, day and month swapped, missing or wrong
ID numbers, old (pre-2025) addresses, people who moved, deceased people still listed,
duplicated lines (in the land register, also owners of a second parcel, which are not
duplicates), and people who are not citizens of the province at all. ``seed_sector_demo``
imports both and synchronizes them, so the pages show rates and a cleaning queue.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dancu.common import adminunits
from dancu.common.access import Actor
from dancu.common.pid import make_pid
from dancu.common.textfold import fold
from dancu.db.uow import unit_of_work
from dancu.linkage import runs, service, tasks
from dancu.linkage.schemas import JobOut
from dancu.registry import service as registry

Progress = Callable[[str, int, int], None]
LAND_COLUMNS = (
    "so_thua",
    "ho_ten_nguoi_su_dung",
    "so_giay_to",
    "nam_sinh",
    "gioi_tinh",
    "dia_chi_thuong_tru",
)
BHXH_COLUMNS = (
    "ma_so_bhxh",
    "ho_ten",
    "so_cccd",
    "ngay_sinh",
    "gioi_tinh",
    "dia_chi",
    "so_dien_thoai",
)
_STREETS = (
    "Lê Duẩn",
    "Nguyễn Tất Thành",
    "Phan Chu Trinh",
    "Hùng Vương",
    "Trần Phú",
    "Thôn 3",
    "Buôn Ko Tam",
    "Thôn 7",
    "Quang Trung",
    "Lý Thường Kiệt",
)


class _Spoiler:
    """The errors of sector files, drawn from one seeded random generator."""

    def __init__(self, rng: random.Random, province_code: str) -> None:
        self.rng, self.province = rng, province_code
        self.communes = [c.code for c in adminunits.communes(province_code)]
        self.old_wards = adminunits.legacy_wards_merged_into(province_code)

    def name(self, name: str) -> str:
        words = name.split()
        i = self.rng.randrange(len(words))
        word = words[i]
        kind = self.rng.random()
        if kind < 0.4:  # diacritics lost on one word
            words[i] = fold(word).capitalize()
        elif kind < 0.7 and len(word) > 2:  # two letters swapped
            j = self.rng.randrange(len(word) - 1)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        else:  # a letter doubled
            j = self.rng.randrange(len(word))
            words[i] = word[: j + 1] + word[j:]
        return " ".join(words)

    def wrong_pid(self, pid: str) -> str:
        i = self.rng.randrange(6, 12)
        return pid[:i] + str((int(pid[i]) + 1 + self.rng.randrange(8)) % 10) + pid[i + 1 :]

    def cmnd(self) -> str:
        return f"{self.rng.randrange(10**8, 10**9)}"

    def address(self, commune_code: str, *, old: bool) -> str:
        street = f"{self.rng.randrange(1, 200)} {self.rng.choice(_STREETS)}"
        wards = self.old_wards.get(commune_code)
        if old and wards:
            w = self.rng.choice(wards)
            return f"{street}, {w.name}, {w.district_name}, {w.province_name}"
        return adminunits.format_address(street, commune_code)

    def other_commune(self, commune_code: str) -> str:
        return self.rng.choice([c for c in self.communes if c != commune_code] or [commune_code])

    def stranger(self, pool: list[dict[str, Any]]) -> dict[str, Any]:
        """Someone who is not a citizen of the province: a made-up person born elsewhere."""
        a, b, c = (self.rng.choice(pool)["full_name"].split() for _ in range(3))
        born = date(
            self.rng.randrange(1950, 2004), self.rng.randrange(1, 13), self.rng.randrange(1, 29)
        )
        sex = self.rng.choice("MF")
        pid = make_pid(
            province_code="001",
            birth_date=born,
            sex=sex,
            serial=self.rng.randrange(900_000, 999_999),
        )
        return {
            "pid": pid,
            "full_name": f"{a[0]} {b[1] if len(b) > 2 else 'Văn'} {c[-1]}",
            "birth_date": born,
            "sex": sex,
            "commune_code": self.rng.choice(self.communes),
            "status": "alive",
        }


def _adults(citizens: list[dict[str, Any]], today: date, lo: int, hi: int) -> list[dict[str, Any]]:
    return [c for c in citizens if lo <= (today - c["birth_date"]).days // 365 <= hi]


def _people(
    citizens: list[dict[str, Any]], rng: random.Random, spoil: _Spoiler, share: float
) -> list[dict[str, Any]]:
    """A share of ``citizens`` (the dead a bit more often: lists are slow to drop them), a
    few strangers, a few duplicated lines; shuffled."""
    chosen = [
        c for c in citizens if rng.random() < (share * 1.5 if c["status"] != "alive" else share)
    ]
    chosen += [spoil.stranger(citizens) for _ in range(max(2, len(chosen) // 50))]
    chosen += rng.sample(chosen, max(1, len(chosen) // 100))
    rng.shuffle(chosen)
    return chosen


def _identity(p: dict[str, Any], rng: random.Random, spoil: _Spoiler) -> tuple[str, str, date, str]:
    """Name, ID number, birth date and commune as the sector file has them."""
    name, pid, born, commune = p["full_name"], p["pid"], p["birth_date"], p["commune_code"]
    roll = rng.random()
    if roll < 0.06:
        name = spoil.name(name)
    elif roll < 0.09 and born.day <= 12 and born.day != born.month:
        born = date(born.year, born.day, born.month)
    roll = rng.random()
    if roll < 0.05:
        pid = ""
    elif roll < 0.08:
        pid = spoil.wrong_pid(pid)
    if rng.random() < 0.03:
        commune = spoil.other_commune(commune)  # moved; the registry knows the new address
    return name, pid, born, commune


def land_register(
    citizens: list[dict[str, Any]], *, seed: int, today: date, province_code: str
) -> bytes:
    """An XLSX land register: parcels and their users (adults). A person listed twice is,
    in turn, the same parcel's line typed again (a duplicate) and the owner of a second
    parcel (not a duplicate: land records are per parcel and person)."""
    from openpyxl import Workbook

    rng = random.Random(seed * 7 + 1)
    spoil = _Spoiler(rng, province_code)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("So dia chinh")
    sheet.append(list(LAND_COLUMNS))
    first_line: dict[str, list[str]] = {}
    repeats = 0
    for n, p in enumerate(_people(_adults(citizens, today, 20, 100), rng, spoil, 0.45), 1):
        if p["pid"] in first_line:
            repeats += 1
            if repeats % 2:
                sheet.append(first_line[p["pid"]])
                continue
        name, pid, born, commune = _identity(p, rng, spoil)
        if pid and rng.random() < 0.10:
            pid = spoil.cmnd()  # issued before the 12-digit numbers
        year_only = rng.random() < 0.6
        row = [
            f"{rng.randrange(1, 60)}-{n:05d}",
            name,
            pid,
            str(born.year) if year_only else born.strftime("%d/%m/%Y"),
            "Nữ" if p["sex"] == "F" else "Nam",
            spoil.address(commune, old=rng.random() < 0.35),
        ]
        first_line.setdefault(p["pid"], row)
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def social_insurance(
    citizens: list[dict[str, Any]], *, seed: int, today: date, province_code: str
) -> bytes:
    """A CSV social-insurance member list (working age, with phone numbers)."""
    rng = random.Random(seed * 7 + 2)
    spoil = _Spoiler(rng, province_code)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(BHXH_COLUMNS)
    for p in _people(_adults(citizens, today, 18, 62), rng, spoil, 0.5):
        name, pid, born, commune = _identity(p, rng, spoil)
        phone = f"09{rng.randrange(10**7, 10**8)}" if rng.random() < 0.7 else ""
        writer.writerow(
            [
                f"66{rng.randrange(10**7, 10**8)}",
                name,
                pid,
                born.strftime("%d/%m/%Y"),
                "Nữ" if p["sex"] == "F" else "Nam",
                spoil.address(commune, old=rng.random() < 0.2),
                phone,
            ]
        )
    return buffer.getvalue().encode("utf-8")


def seed_sector_demo(
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    province_code: str,
    seed: int,
    today: date,
    progress: Progress | None = None,
) -> list[JobOut]:
    """Write, import and synchronize the demo land register and social-insurance list."""
    with unit_of_work(factory) as session:
        citizens = registry.citizens_for_matching(session, province_code, actor=actor)
    files = (
        ("land", "Sổ địa chính (demo)", "so_dia_chinh.xlsx", land_register),
        ("social_insurance", "Danh sách BHXH (demo)", "bhxh.csv", social_insurance),
    )
    jobs = []
    for source_type, name, file_name, make in files:
        data = make(citizens, seed=seed, today=today, province_code=province_code)
        with unit_of_work(factory) as session:
            out = service.import_dataset(
                session,
                data,
                file_name=file_name,
                source_type=source_type,
                province_code=province_code,
                actor=actor,
                name=name,
                today=today,
            )
            job = runs.create_run(session, out.source.id, actor=actor)  # run here
        jobs.append(tasks.run_job(factory, job.id, progress=progress))
    return jobs
