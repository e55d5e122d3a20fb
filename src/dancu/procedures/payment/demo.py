"""The demo's bank transfers: a few open dossiers paid through a simulated end-of-day
statement of the collecting account, imported as the province's finance officer would, so
the demo shows fees confirmed by the bank and the officer's page has transfers to review."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.common.textfold import fold
from dancu.procedures.payment import camt, statements, vietqr
from dancu.procedures.payment import repository as repo
from dancu.procedures.payment.schemas import ImportOut
from dancu.settings import get_settings


def pay_by_statement(
    session: Session, province_code: str, *, today: date, paid: int = 5
) -> ImportOut | None:
    """Transfers for ``paid`` open dossiers that owe a fee, one more for the wrong amount
    and one that names no dossier, as a camt.053 of ``today``, imported; None if no dossier
    owes a fee."""
    owing = repo.owing(session, province_code, limit=paid + 1)
    if not owing:
        return None
    movements = [
        camt.Movement(
            f"FT{today:%y%m%d}{d.id:08d}",
            d.fee_amount if n < paid else d.fee_amount + 1000,
            f"MBVCB.{9000000 + d.id}.{vietqr.reference(d.code or '')}.CT tu "
            f"{fold(d.applicant_name).upper()}",
            booked_on=today,
        )
        for n, d in enumerate(owing)
    ]
    movements.append(
        camt.Movement(f"FT{today:%y%m%d}99999999", 50000, "CHUYEN TIEN", booked_on=today)
    )
    data = camt.statement(
        get_settings().procedures_payee_account,
        movements,
        message_id=f"DEMO-{today:%Y%m%d}",
        created_at=datetime.combine(today, time(16), tzinfo=UTC),
    )
    officer = Actor(
        id="demo:finance",
        name="Kế toán (dữ liệu mẫu)",
        roles=frozenset({Role.FINANCE_OFFICER}),
        units=(province_code,),
        organization="demo",
    )
    return statements.import_statement(session, data, actor=officer)
