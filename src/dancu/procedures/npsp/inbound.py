"""Dossiers from the National Public Service Portal, each received once.

``receive`` first claims the portal's dossier id (a unique row in ``npsp_inbound``, inserted
in a savepoint): the first call creates the dossier through ``create`` (the procedures'
own submit, so a portal dossier is handled exactly like one of this portal) and records its
code; the same portal dossier again, even sent concurrently, finds the claim and answers
with the dossier already created. Nothing else decides, so there is no check-then-act.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.procedures.npsp.models import NpspInbound
from dancu.procedures.npsp.schemas import PortalDossierIn

# Creates the dossier for a portal submission and returns its code (procedures' submit).
CreateDossier = Callable[[Session, PortalDossierIn], str]


@dataclass(frozen=True, slots=True)
class Received:
    dossier_code: str
    created: bool


def receive(session: Session, data: PortalDossierIn, *, create: CreateDossier) -> Received:
    """The dossier for this portal submission: created now, or the one created before."""
    claim = NpspInbound(
        portal_dossier_id=data.portal_dossier_id, payload=_without_files(data), dossier_code=None
    )
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:
        return Received(_code_of(session, data.portal_dossier_id), created=False)
    claim.dossier_code = create(session, data)
    session.flush()
    return Received(claim.dossier_code, created=True)


def portal_id_of(session: Session, dossier_code: str) -> str | None:
    """The portal's id of a dossier that came from there (None for this portal's own)."""
    stmt = select(NpspInbound.portal_dossier_id).where(NpspInbound.dossier_code == dossier_code)
    return session.scalars(stmt).first()


def _code_of(session: Session, portal_id: str) -> str:
    stmt = select(NpspInbound.dossier_code).where(NpspInbound.portal_dossier_id == portal_id)
    code = session.scalars(stmt).one()
    if code is None:  # the claim and the dossier commit together: never seen half-made
        raise RuntimeError(f"portal dossier {portal_id} claimed without a dossier")
    return code


def _without_files(data: PortalDossierIn) -> dict[str, object]:
    """What is kept of the submission: everything but the files' bytes (kept by the dossier)."""
    kept = data.model_dump(mode="json", exclude={"files"})
    kept["files"] = [{"component": f.component, "file_name": f.file_name} for f in data.files]
    return kept
