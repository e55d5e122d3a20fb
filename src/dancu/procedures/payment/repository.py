"""The payment package's queries: dossiers by the codes a statement names, and the entries
waiting for review in an officer's units (a forgotten scope finds nothing, not everything)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.procedures.models import Dossier
from dancu.procedures.payment.errors import EntryOutcome
from dancu.procedures.payment.models import StatementEntry

MATCHED = "matched"
# Entries that need no officer: a transfer that paid its dossier, a refund going out.
SETTLED = (MATCHED, EntryOutcome.REFUND)


def dossiers_by_code(session: Session, codes: Iterable[str]) -> dict[str, Dossier]:
    """The dossiers among ``codes`` (any unit: the caller checks the officer's area)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.scalars(select(Dossier).where(Dossier.code.in_(wanted)))
    return {d.code: d for d in rows if d.code}


def entries_of_units(actor: Actor) -> Select[tuple[StatementEntry]]:
    """Statement entries kept in the actor's units (a province's officer: its communes)."""
    stmt = select(StatementEntry)
    if actor.nationwide:
        return stmt
    return stmt.where(
        or_(
            StatementEntry.province_code.in_(actor.province_units),
            StatementEntry.unit_code.in_(actor.commune_units),
        )
    )


def to_review(session: Session, actor: Actor, *, limit: int = 200) -> list[StatementEntry]:
    """The entries of the actor's units that paid no dossier and no officer settled yet,
    newest first."""
    stmt = (
        entries_of_units(actor)
        .where(StatementEntry.outcome.not_in(SETTLED), StatementEntry.decision.is_(None))
        .order_by(StatementEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def decided(session: Session, actor: Actor, *, limit: int = 200) -> list[StatementEntry]:
    """The entries of the actor's units an officer settled, latest decision first."""
    stmt = (
        entries_of_units(actor)
        .where(StatementEntry.decision.is_not(None))
        .order_by(StatementEntry.decided_at.desc(), StatementEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def refund_recorded(session: Session, account: str, reference: str) -> bool:
    """Whether an officer recorded ``reference`` as the bank's reference of a refund."""
    stmt = select(StatementEntry.id).where(
        StatementEntry.account == account,
        StatementEntry.decision == "refund",
        StatementEntry.refund_reference == reference,
    )
    return session.execute(stmt.limit(1)).first() is not None


def entry_by_reference(
    session: Session, account: str, reference: str, *, for_update: bool = False
) -> StatementEntry | None:
    stmt = select(StatementEntry).where(
        StatementEntry.account == account, StatementEntry.reference == reference
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def entry_of_units(session: Session, actor: Actor, entry_id: int) -> StatementEntry | None:
    """One entry, if it lies in the actor's units (another unit's is not found)."""
    return session.scalars(entries_of_units(actor).where(StatementEntry.id == entry_id)).first()


def owing(session: Session, province_code: str, *, limit: int) -> list[Dossier]:
    """Open dossiers of the province that still owe their fee, oldest first (the demo pays
    a few by a simulated statement)."""
    stmt = (
        select(Dossier)
        .where(
            Dossier.province_code == province_code,
            Dossier.fee_state == "unpaid",
            Dossier.fee_amount > 0,
            Dossier.status.in_(("submitted", "processing")),
            Dossier.code.is_not(None),
        )
        .order_by(Dossier.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
