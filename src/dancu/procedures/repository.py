"""Every query of the procedures domain. Officers' queries start from ``dossiers_of_units``
so a dossier outside the officer's units is simply not found."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.procedures.models import Dossier, DossierFile, DossierHistory, DossierStep


def dossiers_of_units(actor: Actor) -> Select[tuple[Dossier]]:
    """Dossiers handled in the actor's units (a province's officer: its communes too)."""
    stmt = select(Dossier)
    if actor.nationwide:
        return stmt
    return stmt.where(
        or_(
            Dossier.province_code.in_(actor.province_units),
            Dossier.unit_code.in_(actor.commune_units),
        )
    )


def by_code(session: Session, code: str, *, for_update: bool = False) -> Dossier | None:
    stmt = select(Dossier).where(Dossier.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def visible_by_code(session: Session, actor: Actor, code: str) -> Dossier | None:
    return session.scalars(dossiers_of_units(actor).where(Dossier.code == code)).first()


def of_applicant(session: Session, pid: str, code: str) -> Dossier | None:
    stmt = select(Dossier).where(Dossier.code == code, Dossier.applicant_pid == pid)
    return session.scalars(stmt).first()


def by_key(session: Session, pid: str, key: str) -> Dossier | None:
    stmt = select(Dossier).where(Dossier.applicant_pid == pid, Dossier.idempotency_key == key)
    return session.scalars(stmt).first()


def drafts_of(session: Session, pid: str, procedure_code: str) -> Dossier | None:
    stmt = (
        select(Dossier)
        .where(
            Dossier.applicant_pid == pid,
            Dossier.procedure_code == procedure_code,
            Dossier.status == "draft",
        )
        .order_by(Dossier.id.desc())
    )
    return session.scalars(stmt).first()


def list_of_applicant(session: Session, pid: str, *, limit: int = 100) -> list[Dossier]:
    stmt = (
        select(Dossier).where(Dossier.applicant_pid == pid).order_by(Dossier.id.desc()).limit(limit)
    )
    return list(session.scalars(stmt))


def without_account(session: Session, pid: str) -> list[Dossier]:
    """The citizen's dossiers that name no e-ID account, locked (``documents.join_account``
    and the result's signing take the same row lock, so one sees the other's work)."""
    stmt = (
        select(Dossier)
        .where(Dossier.applicant_pid == pid, Dossier.account_id.is_(None))
        .order_by(Dossier.id)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def steps_of(session: Session, dossier_id: int) -> list[DossierStep]:
    stmt = select(DossierStep).where(DossierStep.dossier_id == dossier_id).order_by(DossierStep.seq)
    return list(session.scalars(stmt))


def step(session: Session, dossier_id: int, seq: int) -> DossierStep | None:
    stmt = select(DossierStep).where(DossierStep.dossier_id == dossier_id, DossierStep.seq == seq)
    return session.scalars(stmt).first()


def files_of(session: Session, dossier_id: int) -> list[DossierFile]:
    stmt = select(DossierFile).where(DossierFile.dossier_id == dossier_id).order_by(DossierFile.id)
    return list(session.scalars(stmt))


def history_of(session: Session, dossier_id: int) -> list[DossierHistory]:
    stmt = (
        select(DossierHistory)
        .where(DossierHistory.dossier_id == dossier_id)
        .order_by(DossierHistory.id)
    )
    return list(session.scalars(stmt))


def stored_in_use(session: Session, digests: list[str]) -> set[str]:
    """Which of these stored files a dossier points to: an upload or a signed result."""
    uploads = select(DossierFile.sha256).where(DossierFile.sha256.in_(digests))
    result = Dossier.result["pdf_sha256"].as_string()
    results = select(result).where(result.in_(digests))
    return set(session.scalars(uploads)) | set(session.scalars(results))
