"""Building the payments world for tests: officers, citizens, enrolled beneficiaries."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.payments import beneficiaries, cycles, disbursement, programmes, reconcile
from dancu.payments.schemas import BeneficiaryOut, EnrolIn
from dancu.payments.simulated import BankNetwork
from dancu.registry.models import Citizen
from tests.conftest import COMMUNE, PROVINCE
from tests.registry.factories import person

TODAY = date(2026, 1, 15)
JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)
BANK = "970405"


def officer(name: str = "Cán bộ xã", commune: str = COMMUNE) -> Actor:
    return Actor(
        id=f"officer:{name}",
        name=name,
        roles=frozenset({Role.SOCIAL_OFFICER}),
        units=(commune,),
        organization="UBND xã",
    )


def approver(name: str = "Phê duyệt A") -> Actor:
    return Actor(
        id=f"officer:{name}",
        name=name,
        roles=frozenset({Role.SOCIAL_APPROVER}),
        units=(PROVINCE,),
        organization="Sở Y tế",
    )


PREPARER = approver("Chuẩn bị")
CHECKER = approver("Phê duyệt")


def elder(session: Session, name: str = "Trần Thị Bình", **kwargs: object) -> Citizen:
    return person(session, name, birth_date=date(1940, 3, 2), sex="F", **kwargs)  # type: ignore[arg-type]


def enrol(
    session: Session,
    citizen: Citizen,
    *,
    bank: bool = True,
    category: str = "elderly_80_no_pension",
    programme: str = programmes.SOCIAL,
    network: BankNetwork | None = None,
    approve: bool = True,
) -> BeneficiaryOut:
    network = network or BankNetwork()
    data = EnrolIn(
        pid=citizen.pid,
        programme=programme,
        category=category,
        commune_code=citizen.commune_code,
        reason="list of the commune",
        bank_code=BANK if bank else "",
        account_id=network.account_of(citizen.pid) if bank else "",
        consent=bank,
    )
    out = beneficiaries.enrol(
        session, data, actor=officer(commune=citizen.commune_code), directory=network, today=TODAY
    )
    if approve:
        change = beneficiaries.pending(session, actor=CHECKER)[-1].change
        beneficiaries.decide(session, change.id, approve=True, actor=CHECKER)
    return out


def pay_month(session: Session, month: date) -> None:
    """Prepare, approve and pay the month's cycle through the simulated banks."""
    cycle = cycles.prepare_cycle(session, programmes.SOCIAL, PROVINCE, month, actor=PREPARER)
    cycles.approve_cycle(session, cycle.id, actor=CHECKER)
    for f in disbursement.bank_files(session, cycle.id, actor=PREPARER):
        _, content = disbursement.file_content(session, f.id, actor=PREPARER)
        _, notice = BankNetwork().execute(content.encode(), booked_on=month)
        reconcile.import_notification(session, notice, actor=PREPARER)
