"""``python -m bench.payment_cycle``: one month's payment cycle on PostgreSQL, against one
hand-written ``INSERT ... SELECT`` of the same instructions, side by side in one run.

A province of ``--citizens`` (``dancu demo``'s generator) with ``--beneficiaries`` active
beneficiaries of monthly social assistance (70% paid by bank). Measured:

* ``prepare_cycle``: the registry re-check (the narrow audited read of the beneficiaries'
  birth date, life status and residence, ``registry.vitals``, in batches; every
  beneficiary judged: alive, living in the province, the category's ages), the amounts from
  the dated levels, the instructions inserted with ``ON CONFLICT DO NOTHING``;
* the same ``prepare_cycle`` for another month with the re-check as it was before
  (``registry.citizens_for_matching``: the whole province, every matching column), so the
  two reads are compared side by side; each with its peak memory (the process's high-water
  mark, reset before the step through ``/proc/self/clear_refs``);
* ``bank_files``: the pain.001 file of each bank, built with lxml and validated against the
  official XSD, and the instructions marked sent;
* the baseline: one ``INSERT ... SELECT`` joining beneficiaries to citizens (alive, in the
  province) and categories, computing the same amounts and end-to-end ids, into another
  month; the two months must hold the same number of instructions.

Defaults are small (20,000 citizens, 5,000 beneficiaries: a minute on two cores). The
issue's size is ``--citizens 1000000 --beneficiaries 500000`` (docs/performance.md).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.common import PROVINCE, Table, machine, stopwatch, temp_database
from bench.registry_load import load_demo_into
from dancu.common.access import Actor, Role
from dancu.db import make_engine
from dancu.payments import cycles, disbursement, eligibility, programmes
from dancu.payments.area import PURPOSE
from dancu.payments.models import Instruction
from dancu.registry import service as registry
from dancu.registry.vitals import Vitals

MONTH = date(2026, 1, 1)
BASELINE_MONTH = date(2026, 2, 1)
WHOLE_PROVINCE_MONTH = date(2026, 3, 1)
PREPARER = Actor(
    id="bench:preparer", name="Preparer", roles=frozenset({Role.SOCIAL_APPROVER}), units=(PROVINCE,)
)
APPROVER = Actor(
    id="bench:approver", name="Approver", roles=frozenset({Role.SOCIAL_APPROVER}), units=(PROVINCE,)
)

ENROL_SQL = """
INSERT INTO beneficiary (programme_id, category_code, pid, full_name, province_code,
    commune_code, status, channel, bank_code, account_id, source, reason, created_by,
    approved_by, created_at, updated_at)
SELECT :programme, 'disabled_severe', c.pid, c.full_name, c.province_code, c.commune_code,
    'active',
    CASE WHEN c.id % 10 < 7 THEN 'bank' ELSE 'cash' END,
    CASE WHEN c.id % 10 < 7 THEN (CASE WHEN c.id % 2 = 0 THEN '970405' ELSE '970436' END) END,
    CASE WHEN c.id % 10 < 7 THEN (CASE WHEN c.id % 2 = 0 THEN '10' ELSE '20' END) || c.pid END,
    'bench', '', 'bench', 'bench', now(), now()
FROM citizen c WHERE c.province_code = :province AND c.status = 'alive'
ORDER BY c.id LIMIT :n
"""

CYCLE_SQL = """
INSERT INTO payment_cycle (programme_id, province_code, month, status, prepared_by,
    prepared_by_name, prepared_at, exclusions)
VALUES (:p, :province, :m, 'prepared', 'bench', 'bench', now(), '[]')
"""

BASELINE_SQL = """
INSERT INTO payment_instruction (cycle_id, beneficiary_id, programme_id, month, pid,
    payee_name, commune_code, amount, channel, bank_code, account_id, end_to_end_id, status,
    attempts, created_at)
SELECT :cycle, b.id, b.programme_id, :month, b.pid, b.full_name, c.commune_code,
    :level * cat.coefficient / 1000, b.channel, b.bank_code, b.account_id,
    'P' || b.programme_id || '-' || :yyyymm || '-' || b.id, 'pending', 0, now()
FROM beneficiary b
JOIN citizen c ON c.pid = b.pid
JOIN payment_category cat ON cat.programme_id = b.programme_id AND cat.code = b.category_code
WHERE b.programme_id = :programme AND b.province_code = :province AND b.status = 'active'
  AND c.status = 'alive' AND c.province_code = :province
ON CONFLICT DO NOTHING
"""


def _setup(url: str, beneficiaries: int) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        programmes.ensure_programmes(session)
        social = programmes.get_programme(session, programmes.SOCIAL).id
        session.execute(
            text(ENROL_SQL), {"programme": social, "province": PROVINCE, "n": beneficiaries}
        )
        session.commit()
        session.execute(text("ANALYZE"))
    engine.dispose()
    return social


def _count(session: Session, month: date) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Instruction).where(Instruction.month == month)
        )
        or 0
    )


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


@contextmanager
def peak_memory() -> Iterator[list[float]]:
    """The MiB the process's resident set grew to above where it stood (Linux)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    start, out = _kib("VmRSS"), [0.0]
    yield out
    out[0] = (_kib("VmHWM") - start) / 1024


_WHOLE: dict[str, Vitals] = {}  # the province as the old re-check held it, read once


def whole_province_facts(
    session: Session, province_code: str, pids: Iterable[str], *, actor: Actor
) -> eligibility.Facts:
    """The re-check as it was: every citizen of the province, every matching column, read
    once and held for the whole cycle (the loop asks a batch at a time)."""
    if not _WHOLE:
        rows = registry.citizens_for_matching(session, province_code, actor=actor, purpose=PURPOSE)
        for r in rows:
            _WHOLE[r["pid"]] = Vitals(
                r["pid"],
                r["birth_date"],
                r["status"],
                r["death_date"],
                r["province_code"],
                r["commune_code"],
            )
        _WHOLE["__rows__"] = rows  # type: ignore[assignment]  # kept alive, as it was
    return {p: _WHOLE[p] for p in pids if p in _WHOLE}


def _prepare_in_child(
    url: str,
    month: date,
    whole: bool,
    answer: mp.queues.Queue,  # type: ignore[name-defined]
) -> None:
    if whole:
        eligibility.registry_facts = whole_province_facts  # type: ignore[assignment]
    engine = make_engine(url)
    with Session(engine) as session, peak_memory() as mib, stopwatch() as took:
        out = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, month, actor=PREPARER)
        session.commit()
    engine.dispose()
    answer.put((out.id, out.count, took[0], mib[0]))


def _prepare(url: str, month: date, *, whole: bool) -> tuple[int, int, float, float]:
    """One prepare_cycle in a process of its own, so each read's peak memory is its own."""
    ctx = mp.get_context("fork")
    answer = ctx.Queue()
    child = ctx.Process(target=_prepare_in_child, args=(url, month, whole, answer))
    child.start()
    result = answer.get()
    child.join()
    return result


def run(url: str, citizens: int, beneficiaries: int) -> Table:
    table = Table(f"payment_cycle ({citizens:,} citizens, {beneficiaries:,} beneficiaries)")
    social = _setup(url, beneficiaries)
    engine = make_engine(url)
    _, whole_count, whole_s, whole_mib = _prepare(url, WHOLE_PROVINCE_MONTH, whole=True)
    cycle_id, count, narrow_s, narrow_mib = _prepare(url, MONTH, whole=False)
    prepared = [narrow_s]
    with Session(engine) as session:
        cycles.approve_cycle(session, cycle_id, actor=APPROVER)
        session.commit()
    with Session(engine) as session, stopwatch() as filed:
        files = disbursement.bank_files(session, cycle_id, actor=PREPARER, execution_date=MONTH)
        session.commit()
    with Session(engine) as session, stopwatch() as baseline:
        level = programmes.level_on(session, social, BASELINE_MONTH)
        session.execute(text(CYCLE_SQL), {"p": social, "province": PROVINCE, "m": BASELINE_MONTH})
        cycle_id = session.scalar(text("SELECT max(id) FROM payment_cycle"))
        session.execute(
            text(BASELINE_SQL),
            {
                "cycle": cycle_id,
                "month": BASELINE_MONTH,
                "level": level,
                "yyyymm": f"{BASELINE_MONTH:%Y%m}",
                "programme": social,
                "province": PROVINCE,
            },
        )
        session.commit()
    with Session(engine) as session:
        same = _count(session, MONTH) == _count(session, BASELINE_MONTH) == count == whole_count
    engine.dispose()
    ratio = prepared[0] / baseline[0]
    table.add(
        "prepare_cycle, re-check reading the whole province (before)",
        f"{whole_s:.2f} s",
        f"peak +{whole_mib:,.0f} MiB",
    )
    table.add(
        "prepare_cycle, narrow read of the beneficiaries (now)",
        f"{prepared[0]:.2f} s",
        f"peak +{narrow_mib:,.0f} MiB; {count:,} instructions, {count / prepared[0]:,.0f}/s",
    )
    table.add(
        "ratio narrow / whole province: time, peak memory",
        f"{narrow_s / whole_s:.2f}x",
        f"{narrow_mib / max(whole_mib, 0.1):.2f}x memory",
    )
    table.add(
        "bank_files (pain.001 per bank, XSD-validated)",
        f"{filed[0]:.2f} s",
        f"{len(files)} files, {sum(f.lines for f in files):,} transfers",
    )
    table.add(
        "INSERT ... SELECT of the same instructions",
        f"{baseline[0]:.2f} s",
        "same count" if same else "COUNTS DIFFER",
    )
    table.add("ratio prepare_cycle / INSERT ... SELECT", f"{ratio:.1f}x", "")
    table.add(
        "ratio cycle with files / INSERT ... SELECT",
        f"{(prepared[0] + filed[0]) / baseline[0]:.1f}x",
        "",
    )
    return table


def main(
    citizens: Annotated[int, typer.Option(help="registry size")] = 20_000,
    beneficiaries: Annotated[int, typer.Option(help="active beneficiaries")] = 5_000,
) -> None:
    print(f"machine: {machine()}", flush=True)
    with temp_database("payments") as url:
        print(f"loading {citizens:,} demo citizens ...", flush=True)
        load_demo_into(url, citizens)
        table = run(url, citizens, beneficiaries)
    print()
    print(table.render())


if __name__ == "__main__":
    typer.run(main)
