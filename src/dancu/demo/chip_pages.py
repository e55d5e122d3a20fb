"""The demo's card reader as a download: the officer at the level-2 desk gets the chip
bundle of a demo citizen's card and uploads it to the desk's chip field."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from dancu.common.access import Role
from dancu.common.bounds import Code
from dancu.common.errors import Forbidden
from dancu.demo.chip_reader import read_demo_card
from dancu.demo.errors import DemoErrorCode
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(tags=["chip"], include_in_schema=False)


@router.get("/desk/demo-chip/{pid}")
def demo_chip_bundle(pid: Code, db: DbSession, actor: CurrentActor) -> Response:
    """The simulated reader's JSON bundle (EF.SOD, DG1, DG2, printed MRZ) for ``pid``."""
    if Role.POLICE not in actor.roles:
        raise Forbidden("Only the police read chip cards", code=DemoErrorCode.CHIP_FORBIDDEN)
    bundle = read_demo_card(db, pid, actor=actor)
    return Response(
        bundle.to_json(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="chip-{pid}.json"'},
    )
