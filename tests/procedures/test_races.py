"""Two officers on the same dossier at the same moment, on PostgreSQL: two real connections
in two threads, each its own transaction, started together. Taking the lock and approving
are ``UPDATE ... WHERE`` statements, so exactly one wins; the other gets a clear refusal
(``procedures.locked`` or ``procedures.transition``), never a second approval.

The dossiers are committed, so the module works in a database of its own (created, migrated
and dropped here), leaving the shared test database as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dancu.common.errors import DancuError
from dancu.procedures import console
from dancu.procedures import service as dossiers
from dancu.procedures.models import Dossier, DossierHistory
from tests.conftest import BACKENDS, migrated_database
from tests.procedures.helpers import TODAY, citizen_with_account, key, officer

pytestmark = [
    pytest.mark.xdist_group("races"),
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs PostgreSQL"),
]
ONE = officer(name="Cán bộ Một")
TWO = replace(officer(name="Cán bộ Hai"), id="officer:two")


@pytest.fixture(scope="module")
def own_db() -> Iterator[sessionmaker[Session]]:
    yield from migrated_database("dancu_test_races")


def _submitted(factory: sessionmaker[Session], name: str) -> str:
    with factory() as s:
        _c, applicant = citizen_with_account(s, name)
        dossier = dossiers.save(
            s,
            applicant,
            "1.004873",
            {"purpose": "Kết hôn"},
            [],
            key=key(),
            submit=True,
            today=TODAY,
        )
        s.commit()
        return dossier.code or ""


def _together(factory: sessionmaker[Session], *works: Callable[[Session], object]) -> list[object]:
    """Run each work in its own thread and transaction, released at the same instant."""
    barrier, results = threading.Barrier(len(works)), [None] * len(works)

    def run(i: int) -> None:
        with factory() as s:
            barrier.wait()
            try:
                results[i] = works[i](s)
                s.commit()
            except DancuError as exc:
                s.rollback()
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _codes(results: list[object]) -> list[str]:
    return sorted(r.code if isinstance(r, DancuError) else "won" for r in results)


def test_two_officers_take_the_same_dossier_at_once(own_db) -> None:  # type: ignore[no-untyped-def]
    code = _submitted(own_db, "Đặng Thị Khoá")
    results = _together(
        own_db,
        lambda s: console.lock(s, ONE, code).locked_by,
        lambda s: console.lock(s, TWO, code).locked_by,
    )
    assert _codes(results) == ["procedures.locked", "won"]
    winner = next(r for r in results if isinstance(r, str))
    with own_db() as s:
        assert s.scalar(select(Dossier.locked_by).where(Dossier.code == code)) == winner


def test_two_officers_approve_the_same_dossier_at_once(own_db) -> None:  # type: ignore[no-untyped-def]
    code = _submitted(own_db, "Đặng Văn Duyệt")
    results = _together(
        own_db,
        lambda s: console.approve(s, ONE, code, today=TODAY).status,
        lambda s: console.approve(s, TWO, code, today=TODAY).status,
    )
    codes = _codes(results)
    assert codes[-1] == "won" and codes[0] in ("procedures.locked", "procedures.transition")
    refused = next(r for r in results if isinstance(r, DancuError))
    assert refused.message  # a sentence an officer can act on, not a driver error
    with own_db() as s:
        dossier = s.scalars(select(Dossier).where(Dossier.code == code)).one()
        approvals = s.scalar(
            select(func.count()).where(
                DossierHistory.dossier_id == dossier.id, DossierHistory.action == "approve"
            )
        )
        assert (dossier.status, dossier.locked_by, approvals) == ("approved", None, 1)
