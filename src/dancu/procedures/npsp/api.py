"""The portal's door in: ``POST /api/procedures/npsp/dossiers`` (scope ``procedures.npsp``).

The portal, a partner with a client-credentials token, posts each dossier submitted there;
the token's scope is the authorization (only the portal's client holds it); the answer
names our dossier code, and ``created`` is false when the portal sent the same
dossier before (the same code comes back, nothing is created twice).
"""

from __future__ import annotations

from fastapi import APIRouter

from dancu.procedures.npsp import inbound
from dancu.procedures.npsp.schemas import PortalDossierIn, ReceivedOut
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/procedures/npsp", tags=["procedures"])


@router.post("/dossiers", response_model=ReceivedOut)
def receive_dossier(data: PortalDossierIn, db: DbSession, _portal: CurrentActor) -> ReceivedOut:
    """Receive a dossier submitted on the National Public Service Portal (idempotent)."""
    received = inbound.receive(db, data, create=inbound.submit)
    return ReceivedOut(
        portal_dossier_id=data.portal_dossier_id,
        dossier_code=received.dossier_code,
        created=received.created,
    )
