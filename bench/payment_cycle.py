"""``python -m bench.payment_cycle``: one month's payment cycle on PostgreSQL, against one
hand-written ``INSERT ... SELECT`` of the same instructions, side by side in one run.

A province of ``--citizens`` (``dancu demo``'s generator) with ``--beneficiaries`` active
beneficiaries of monthly social assistance (70% paid by bank). Measured:

* ``prepare_cycle``: the registry re-check (one audited bulk read of the province, every
  beneficiary judged: alive, living in the province, the category's ages), the amounts from
  the dated levels, the instructions inserted with ``ON CONFLICT DO NOTHING``;
* ``bank_files``: the pain.001 file of each bank, built with lxml and validated against the
  official XSD, and the instructions marked sent;
* the baseline: one ``INSERT ... SELECT`` joining beneficiaries to citizens (alive, in the
  province) and categories, computing the same amounts and end-to-end ids, into another
  month; the two months must hold the same number of instructions.

Defaults are small (20,000 citizens, 5,000 beneficiaries: a minute on two cores). The
issue's size is ``--citizens 1000000 --beneficiaries 500000`` (docs/performance.md).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.common import PROVINCE, Table, machine, stopwatch, temp_database
from bench.registry_load import load_demo_into
from dancu.common.access import Actor, Role
from dancu.db import make_engine
from dancu.payments import cycles, programmes
from dancu.payments.models import Instruction

MONTH = date(2026, 1, 1)
BASELINE_MONTH = date(2026, 2, 1)
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


def run(url: str, citizens: int, beneficiaries: int) -> Table:
    table = Table(f"payment_cycle ({citizens:,} citizens, {beneficiaries:,} beneficiaries)")
    social = _setup(url, beneficiaries)
    engine = make_engine(url)
    with Session(engine) as session, stopwatch() as prepared:
        out = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, MONTH, actor=PREPARER)
        session.commit()
    with Session(engine) as session:
        cycles.approve_cycle(session, out.id, actor=APPROVER)
        session.commit()
    with Session(engine) as session, stopwatch() as filed:
        files = cycles.bank_files(session, out.id, actor=PREPARER, execution_date=MONTH)
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
        same = _count(session, MONTH) == _count(session, BASELINE_MONTH) == out.count
    engine.dispose()
    ratio = prepared[0] / baseline[0]
    table.add(
        "prepare_cycle (registry re-check + instructions)",
        f"{prepared[0]:.2f} s",
        f"{out.count:,} instructions, {out.count / prepared[0]:,.0f}/s",
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
