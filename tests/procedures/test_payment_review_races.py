"""Two officers settling at the same moment, on PostgreSQL: two real connections, each its
own transaction. The first decides and holds its transaction open; the second is started
and has read the entry still open (its checks pass) when it reaches the decision's
conditional UPDATE, where it waits; the first commits. The second must then be refused
(``payment.entry_settled`` or ``payment.apply_paid``): the fee is paid once, the entry
decided once. A check-then-act decision (read, then write) would take both.

The rows are committed, so the module works in a database of its own (created, migrated
and dropped here), leaving the shared test database as it was.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from dancu.common.errors import DancuError
from dancu.procedures.models import Dossier, DossierHistory
from dancu.procedures.payment import camt, review, statements
from dancu.procedures.payment.models import FeePayment, StatementEntry
from dancu.procedures.payment.schemas import ResolveIn
from tests.conftest import BACKENDS, migrated_database
from tests.procedures.test_payment_statement import finance, statement, unpaid

pytestmark = [
    pytest.mark.xdist_group("races"),
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs PostgreSQL"),
]


@pytest.fixture(scope="module")
def own_db() -> Iterator[sessionmaker[Session]]:
    yield from migrated_database("dancu_test_fee_races")


def _setup(
    factory: sessionmaker[Session], name: str, *movements: camt.Movement
) -> tuple[str, list[int]]:
    """A committed unpaid dossier and the ids of the statement's entries kept for review."""
    with factory() as s:
        dossier = unpaid(s, name)
        code = dossier.code or ""
        s.commit()
    with factory() as s:
        ref = uuid.uuid4().hex[:6]
        moved = [camt.Movement(f"{ref}{m.reference}", m.amount, m.text) for m in movements]
        result = statements.import_statement(s, statement(*moved), actor=finance())
        s.commit()
    return code, [e.id for e in result.problems if e.id is not None]


def _waiting_on_a_lock(factory: sessionmaker[Session]) -> bool:
    with factory() as s:
        waiting = s.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def _first_holds_then_second(
    factory: sessionmaker[Session],
    first: Callable[[Session], object],
    second: Callable[[Session], object],
) -> tuple[object, object]:
    """``first`` runs and keeps its transaction open until ``second`` waits on a lock (or
    10 s); then ``first`` commits and ``second`` finishes. Each result, or its refusal."""
    results: list[object] = [None, None]

    def run_second() -> None:
        with factory() as s:
            try:
                results[1] = second(s)
                s.commit()
            except DancuError as exc:
                s.rollback()
                results[1] = exc

    with factory() as s:
        results[0] = first(s)
        thread = threading.Thread(target=run_second)
        thread.start()
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock(factory) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_on_a_lock(factory), "the second decision did not wait for the first"
        s.commit()
    thread.join(30)
    assert not thread.is_alive()
    return results[0], results[1]


def _decide(entry_id: int, decision: str, code: str | None = None) -> Callable[[Session], object]:
    taken = ResolveIn(decision=decision, reason="đối chiếu", dossier_code=code)  # type: ignore[arg-type]
    return lambda s: review.resolve(s, entry_id, taken, actor=finance()).decision


def _paid_once(factory: sessionmaker[Session], code: str) -> None:
    with factory() as s:
        dossier = s.scalars(select(Dossier).where(Dossier.code == code)).one()
        payments = s.scalar(select(func.count()).where(FeePayment.dossier_code == code))
        paid = s.scalar(
            select(func.count()).where(
                DossierHistory.dossier_id == dossier.id, DossierHistory.action == "paid"
            )
        )
        assert (dossier.fee_state, dossier.paid_amount, payments, paid) == ("paid", 15000, 1, 1)


def _code(result: object) -> str:
    return result.code if isinstance(result, DancuError) else str(result)


def test_the_same_transfer_applied_twice_at_once_pays_once(own_db) -> None:  # type: ignore[no-untyped-def]
    code, [entry_id] = _setup(own_db, "Đặng Văn An", camt.Movement("R1", 15000, "nop le phi"))
    first, second = _first_holds_then_second(
        own_db, _decide(entry_id, "apply", code), _decide(entry_id, "apply", code)
    )
    assert (_code(first), _code(second)) == ("apply", "payment.entry_settled")
    _paid_once(own_db, code)


def test_two_decisions_on_one_transfer_at_once_keep_the_first(own_db) -> None:  # type: ignore[no-untyped-def]
    _dossier, [entry_id] = _setup(own_db, "Đặng Thị Bình", camt.Movement("R1", 15000, "x"))
    first, second = _first_holds_then_second(
        own_db, _decide(entry_id, "refund"), _decide(entry_id, "ignore")
    )
    assert (_code(first), _code(second)) == ("refund", "payment.entry_settled")
    with own_db() as s:
        assert s.get_one(StatementEntry, entry_id).decision == "refund"


def test_two_transfers_applied_to_one_dossier_at_once_pay_it_once(own_db) -> None:  # type: ignore[no-untyped-def]
    code, [one, two] = _setup(
        own_db,
        "Đặng Văn Cường",
        camt.Movement("R1", 15000, "nop le phi"),
        camt.Movement("R2", 15000, "nop lai"),
    )
    first, second = _first_holds_then_second(
        own_db, _decide(one, "apply", code), _decide(two, "apply", code)
    )
    assert (_code(first), _code(second)) == ("apply", "payment.apply_paid")
    _paid_once(own_db, code)
    with own_db() as s:
        assert s.get_one(StatementEntry, two).decision is None  # still to review: refund it
