"""The memory of a sector import: peak RSS of ``dancu linkage import`` of generated CSV files
of growing size, each in a fresh process over a fresh SQLite file.

``python -m bench.linkage_import --lines 20000 --lines 200000`` prints, per file, its size,
the import's wall time and the process's peak resident memory (``ru_maxrss`` of the child):
a streamed import's peak should barely move with the file (docs/linkage.md, "Imports").
``write_csv`` is also what ``tests/linkage/test_import_server.py`` uploads.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from dancu.common.pid import make_pid

HEADER = "ma_so_bhxh,ho_ten,so_cccd,ngay_sinh,gioi_tinh,dia_chi\n"
FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLES = ("Văn", "Thị", "Minh", "Đức", "Ngọc", "Quang", "Thanh", "Hữu")
GIVENS = ("Anh", "Bảo", "Châu", "Duy", "Giang", "Hà", "Khánh", "Linh", "Mai", "Nam", "Phúc")
COMMUNES = ("24121", "22015")  # communes of Đắk Lắk (province 66)


def write_csv(path: Path, lines: int, *, seed: int = 6) -> int:
    """A social-insurance file of ``lines`` data lines (1% without a name); its size."""
    rng = random.Random(seed)
    born0 = date(1940, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        for i in range(lines):
            born = born0 + timedelta(days=rng.randrange(30_000))
            sex = rng.choice("MF")
            name = f"{rng.choice(FAMILIES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}"
            if i % 100 == 99:
                name = ""
            pid = make_pid(province_code="66", birth_date=born, sex=sex, serial=i % 1_000_000)
            sex_text = "Nữ" if sex == "F" else "Nam"
            commune = COMMUNES[i % 2]
            f.write(f"BH{i:08d},{name},{pid},{born:%d/%m/%Y},{sex_text},{commune}\n")
    return path.stat().st_size


def measure(lines: int, folder: Path) -> tuple[int, float, int]:
    """(file bytes, seconds, peak RSS in KiB) of importing a file of ``lines`` lines."""
    csv_path = folder / f"bhxh-{lines}.csv"
    size = write_csv(csv_path, lines)
    env = {
        **os.environ,
        "DANCU_DATABASE_URL": f"sqlite:///{folder / f'import-{lines}.db'}",
        "DANCU_JOBS_URL": "memory://",
    }
    dancu = [sys.executable, "-c", "from dancu.cli import app; app()"]
    subprocess.run([*dancu, "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_AT_EXIT, "linkage", "import", str(csv_path), *TYPE],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak = int(done.stderr.rsplit("PEAK_RSS_KIB ", 1)[1].split()[0])
    return size, seconds, peak


TYPE = ("--type", "social_insurance", "--province", "66")
# The CLI, printing its own peak resident memory (Linux: KiB) as it exits.
PEAK_AT_EXIT = """
import atexit, resource, sys
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
atexit.register(lambda: print("PEAK_RSS_KIB", peak(), file=sys.stderr))
from dancu.cli import app
app()
"""


def main(lines: Annotated[list[int], typer.Option(help="data lines of each file")]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print("lines,file_mb,seconds,peak_rss_mb")
        for n in sorted(lines):
            size, seconds, peak = measure(n, Path(tmp))
            print(f"{n},{size / 2**20:.1f},{seconds:.1f},{peak / 1024:.0f}")


if __name__ == "__main__":
    typer.run(main)
