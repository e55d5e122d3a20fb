"""The demo's social payments: two monthly programmes and three paid cycles.

Called by ``dancu demo`` (``demo/cli.py``) after the registry is seeded. Beneficiaries are
enrolled by a commune officer and approved by the province, each month is prepared by one
officer and approved by another, the bank files are paid by the simulated bank (one
closed account: its transfer fails and moves to cash), the postal list is paid at the
simulated post office, and after the third month a beneficiary's death is registered with
an earlier date: the payment made after it is flagged for recovery and the funeral
allowance opens.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from dancu.common.access import Actor, Role
from dancu.db.uow import unit_of_work
from dancu.payments import beneficiaries, cycles, disbursement, programmes, reconcile
from dancu.payments.schemas import EnrolIn
from dancu.payments.simulated import BankNetwork, PostOffice
from dancu.registry import civil_status
from dancu.registry import service as registry
from dancu.registry.schemas import DeathIn

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Seeded:
    beneficiaries: int
    cycles: int
    paid: int
    flagged: int


def _officers(province_code: str) -> tuple[Actor, Actor, Actor]:
    preparer = Actor(
        id=f"officer:{province_code}-social-preparer",
        name="Đặng Văn Phúc (chuẩn bị chi trả, tỉnh)",
        roles=frozenset({Role.SOCIAL_APPROVER}),
        units=(province_code,),
    )
    approver = Actor(
        id=f"officer:{province_code}-social-approver",
        name="Bùi Thị Thu (phê duyệt chi trả, tỉnh)",
        roles=frozenset({Role.SOCIAL_APPROVER}),
        units=(province_code,),
    )
    system = Actor(id="system:demo", name="Trình tạo dữ liệu mẫu", roles=frozenset({Role.SYSTEM}))
    return preparer, approver, system


def _months(today: date, count: int = 3) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(count):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
        out.append(first)
    return sorted(out)


def seed_payments(
    factory: sessionmaker[Session],
    *,
    province_code: str,
    today: date,
    seed: int = 6,
    size: int = 60,
    progress: Progress | None = None,
) -> Seeded:
    report = progress or (lambda step, done, total: None)
    preparer, approver, system = _officers(province_code)
    rng = random.Random(seed)
    network = BankNetwork()
    with unit_of_work(factory) as session:
        programmes.ensure_programmes(session)
        people = registry.citizens_for_matching(session, province_code, actor=system)
    alive = [p for p in people if p["status"] == "alive"]
    old = [p for p in alive if programmes.age_on(p["birth_date"], today) >= 81][: size * 2 // 3]
    adults = [p for p in alive if 30 <= programmes.age_on(p["birth_date"], today) < 80]
    merit = rng.sample(adults, min(len(adults), size // 3))
    plan = [(p, programmes.SOCIAL, "elderly_80_no_pension") for p in old]
    plan += [(p, programmes.MERIT, "martyr_relative") for p in merit]
    closed = None
    for n, (person, programme, category) in enumerate(plan, 1):
        bank = rng.random() < 0.75
        account = (
            network.account_of(person["pid"], rng.choice(["970405", "970436"])) if bank else ""
        )
        if bank and closed is None:
            closed = account
        maker = Actor(
            id=f"officer:{person['commune_code']}-social",
            name="Cán bộ xã hội (demo)",
            roles=frozenset({Role.SOCIAL_OFFICER}),
            units=(person["commune_code"],),
        )
        with unit_of_work(factory) as session:
            out = beneficiaries.enrol(
                session,
                EnrolIn(
                    pid=person["pid"],
                    programme=programme,
                    category=category,
                    commune_code=person["commune_code"],
                    reason="danh sách của xã",
                    bank_code=("970405" if account.startswith("10") else "970436") if bank else "",
                    account_id=account,
                    consent=bank,
                ),
                actor=maker,
                directory=network,
                today=today,
            )
            change = next(
                p
                for p in beneficiaries.pending(session, actor=approver)
                if p.beneficiary.id == out.id
            )
            beneficiaries.decide(session, change.change.id, approve=True, actor=approver)
        report("enrol", n, len(plan))
    bank = BankNetwork(closed={closed} if closed else set())
    months = _months(today)
    made = paid = 0
    for m, month in enumerate(months, 1):
        for programme in (programmes.SOCIAL, programmes.MERIT):
            made += 1
            paid += _pay_month(factory, programme, province_code, month, preparer, approver, bank)
        report("cycles", m, len(months))
    flagged = _late_death(factory, plan, months, system)
    with unit_of_work(factory) as session:  # the funeral allowance the death opened
        out = cycles.prepare_cycle(
            session, programmes.FUNERAL, province_code, months[-1], actor=preparer
        )
        if out.count:
            cycles.approve_cycle(session, out.id, actor=approver)
    return Seeded(len(plan), made, paid, flagged)


def _pay_month(
    factory: sessionmaker[Session],
    programme: str,
    province_code: str,
    month: date,
    preparer: Actor,
    approver: Actor,
    bank: BankNetwork,
) -> int:
    with unit_of_work(factory) as session:
        out = cycles.prepare_cycle(session, programme, province_code, month, actor=preparer)
    if not out.count:
        return 0
    with unit_of_work(factory) as session:
        cycles.approve_cycle(session, out.id, actor=approver)
        files = [
            disbursement.file_content(session, f.id, actor=preparer)[1]
            for f in disbursement.bank_files(session, out.id, actor=preparer, execution_date=month)
        ]
    for content in files:
        status, notice = bank.execute(content.encode(), booked_on=month.replace(day=10))
        with unit_of_work(factory) as session:
            reconcile.import_status_report(session, status, actor=preparer)
            reconcile.import_notification(session, notice, actor=preparer)
    with unit_of_work(factory) as session:
        for failed in disbursement.failed_of(session, out.id, actor=preparer):
            disbursement.move_to_cash(session, failed, actor=preparer)
        _, lines = disbursement.postal_list(session, out.id, actor=preparer)
        receipts = PostOffice().pay(lines, paid_on=month.replace(day=12))
        disbursement.record_receipts(session, receipts, actor=preparer)
        return cycles.get_cycle(session, out.id, actor=preparer).paid


def _late_death(
    factory: sessionmaker[Session], plan: list, months: list[date], system: Actor
) -> int:  # type: ignore[type-arg]
    """A beneficiary's death registered late, dated in the first month: later months were
    paid and are flagged for recovery."""
    social = [p for p, programme, _ in plan if programme == programmes.SOCIAL]
    if not social:
        return 0
    with unit_of_work(factory) as session:
        civil_status.register_death(
            session,
            DeathIn(pid=social[0]["pid"], death_date=months[0].replace(day=5)),
            actor=system,
        )
    return len(months) - 1
