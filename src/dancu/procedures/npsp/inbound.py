"""Dossiers from the National Public Service Portal, each received once.

``receive`` first claims the portal's dossier id (a unique row in ``npsp_inbound``, inserted
in a savepoint): the first call creates the dossier through ``create`` (the procedures'
own submit, so a portal dossier is handled exactly like one of this portal) and records its
code; the same portal dossier again, even sent concurrently, finds the claim and answers
with the dossier already created. Nothing else decides, so there is no check-then-act.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dancu.common.errors import ErrorCode, ValidationFailed
from dancu.identity.accounts import service as accounts
from dancu.procedures import service as dossiers
from dancu.procedures.files import Upload
from dancu.procedures.npsp.models import NpspInbound
from dancu.procedures.npsp.schemas import PortalDossierIn
from dancu.procedures.prefill import Applicant

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


def submit(session: Session, data: PortalDossierIn) -> str:
    """Create a portal submission as a dossier of this system (``channel`` "npsp"), through
    the same submit as this portal's own: the same checks, steps, deadline and receipt. The
    portal signed the citizen in at level 2 (VNeID). The portal names no e-ID account: the
    applicant's is found by their ID number, so a credential result reaches their wallet
    and they are notified as for a dossier of this portal (none: the signed result only)."""
    account_id = accounts.active_account_id(session, data.applicant.pid)
    applicant = Applicant(data.applicant.pid, account_id, data.applicant.full_name, level=2)
    uploads = [Upload(f.component, f.file_name, _decode(f.content_base64)) for f in data.files]
    dossier = dossiers.save(
        session,
        applicant,
        data.procedure_code,
        dict(data.form),
        uploads,
        key=_key(data.portal_dossier_id),
        delivery=data.delivery,
        submit=True,
        channel="npsp",
    )
    if dossier.code is None:  # save(submit=True) always numbers the dossier
        raise RuntimeError("a submitted dossier without a code")
    return dossier.code


def _key(portal_id: str) -> str:
    """The idempotency key of the portal's dossier (the dossiers' keys are [A-Za-z0-9_-])."""
    return "npsp-" + hashlib.sha256(portal_id.encode()).hexdigest()[:40]


def _decode(content: str) -> bytes:
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            "A file is not valid base64", code=ErrorCode.FORM_INVALID, field="files"
        ) from exc
