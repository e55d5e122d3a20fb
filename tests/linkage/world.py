"""A small hand-made world for the linkage application tests: citizens in two communes of
Đắk Lắk and a sector file written against them, with known outcomes."""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from dancu.common.access import Actor, Role
from dancu.common.pid import make_pid
from dancu.common.textfold import fold
from dancu.registry.models import Citizen
from tests.conftest import make_actor
from tests.registry.factories import person

PROVINCE = "66"
COMMUNE_A = "24121"  # Phường Tân Lập
COMMUNE_B = "22015"  # another commune of Đắk Lắk
TODAY = date(2026, 1, 15)

PEOPLE = (  # name, birth date, sex, commune
    ("Nguyễn Văn An", date(1990, 5, 17), "M", COMMUNE_A),
    ("Trần Thị Bình", date(1985, 3, 2), "F", COMMUNE_A),
    ("Lê Văn Cường", date(1978, 11, 30), "M", COMMUNE_A),
    ("Phạm Thị Dung", date(2001, 7, 9), "F", COMMUNE_A),
    ("Hoàng Văn Em", date(1966, 1, 20), "M", COMMUNE_B),
    ("Võ Thị Phương", date(1995, 12, 25), "F", COMMUNE_B),
)

HEADER = "ma_so_bhxh,ho_ten,so_cccd,ngay_sinh,gioi_tinh,dia_chi\n"


FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLES = ("Văn", "Thị", "Minh", "Đức", "Ngọc", "Quang", "Thanh", "Hữu")
GIVENS = (
    "Anh",
    "Bảo",
    "Châu",
    "Duy",
    "Giang",
    "Hà",
    "Khánh",
    "Linh",
    "Mai",
    "Nam",
    "Oanh",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Uyên",
    "Vinh",
    "Xuân",
    "Yến",
    "Hiếu",
    "Lộc",
)
FILLER = 210  # the engine learns its model from at least 200 ID-linked records
_serials = itertools.count(500_001)


@dataclass
class World:
    citizens: list[Citizen]
    filler: list[Citizen]

    def pid(self, i: int) -> str:
        return self.citizens[i].pid


def _filler(session: Session, count: int) -> list[Citizen]:
    """Citizens with distinct names and birth dates, half in each commune (written in bulk)."""
    people = []
    for i in range(count):
        born = date(1950 + i % 50, 1 + i % 12, 1 + (i * 7) % 28)
        sex = "F" if i % 2 else "M"
        name = f"{FAMILIES[i % 10]} {MIDDLES[(i // 10) % 8]} {GIVENS[(i // 3) % 21]}"
        pid = make_pid(province_code="066", birth_date=born, sex=sex, serial=next(_serials))
        commune = COMMUNE_A if i % 2 == 0 else COMMUNE_B
        people.append(
            Citizen(
                pid=pid,
                full_name=name,
                name_folded=fold(name),
                birth_date=born,
                sex=sex,
                province_code=PROVINCE,
                commune_code=commune,
                address_detail="1 Lê Duẩn",
            )
        )
    session.add_all(people)
    session.flush()
    return people


def build(session: Session, *, filler: int = FILLER) -> World:
    citizens = [
        person(session, name, birth_date=born, sex=sex, commune_code=commune)
        for name, born, sex, commune in PEOPLE
    ]
    return World(citizens, _filler(session, filler))


def social_insurance_csv(w: World) -> str:
    """Known outcomes: lines 2, 3, 6 synced (ID, name, birth date agree); line 4 synced with
    a differing birth date; line 5 a differing name; line 7 not found; line 8 a bad row."""
    lines = [
        f"BH001,Nguyễn Văn An,{w.pid(0)},17/05/1990,Nam,{COMMUNE_A}",
        f"BH002,Trần Thị Bình,{w.pid(1)},02/03/1985,Nữ,{COMMUNE_A}",
        f"BH003,Lê Văn Cường,{w.pid(2)},30/11/1979,Nam,{COMMUNE_A}",
        f"BH004,Phạm Thị Dungg,{w.pid(3)},09/07/2001,Nữ,{COMMUNE_A}",
        f"BH005,Hoàng Văn Em,{w.pid(4)},20/01/1966,Nam,{COMMUNE_B}",
        f"BH006,Đinh Công Không Có,,01/01/1950,Nam,{COMMUNE_B}",
        f"BH007,,{w.pid(5)},25/12/1995,Nữ,{COMMUNE_B}",
    ]
    for i, c in enumerate(w.filler):  # every filler citizen, synced on the ID number
        born = c.birth_date.strftime("%d/%m/%Y")
        sex = "Nữ" if c.sex == "F" else "Nam"
        lines.append(f"BF{i:04d},{c.full_name},{c.pid},{born},{sex},{c.commune_code}")
    return HEADER + "\n".join(lines) + "\n"


def to_cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: letters with a hat or horn precomposed, tones combining."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        head = unicodedata.normalize("NFC", base + marks[0]) if marks else base
        try:
            out.append(head.encode("cp1258") + "".join(marks[1:]).encode("cp1258"))
        except UnicodeEncodeError:
            out.append((base + "".join(marks)).encode("cp1258"))
    return b"".join(out)


def clerk(units: tuple[str, ...] = (PROVINCE,)) -> Actor:
    return make_actor(Role.REGISTRY_CLERK, units=units, name="Cán bộ tư pháp")


def commune_clerk(commune: str) -> Actor:
    return Actor(
        id=f"officer:clerk-{commune}",
        name=f"Clerk {commune}",
        roles=frozenset({Role.REGISTRY_CLERK}),
        units=(commune,),
        organization="UBND xã",
    )


def import_and_run(factory: sessionmaker[Session], *, filler: int = FILLER) -> tuple[World, int]:
    """Build the world, import its social-insurance file and run the linkage to the end."""
    from dancu.linkage import runs, service, tasks

    with factory() as session:
        w = build(session, filler=filler)
        out = service.import_dataset(
            session,
            social_insurance_csv(w).encode(),
            file_name="bhxh.csv",
            source_type="social_insurance",
            province_code=PROVINCE,
            actor=clerk(),
            today=TODAY,
            name="BHXH Đắk Lắk",
        )
        job = runs.enqueue_run(session, out.source.id, actor=clerk())
        session.commit()
    done = tasks.run_job(factory, job.id)
    assert done.status == "done", done.error
    return w, out.source.id
