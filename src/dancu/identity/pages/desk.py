"""The police officer's level-2 activation desk (officers sign in; the actor is in the session)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.common.bounds import Code
from dancu.common.errors import DancuError, ValidationFailed
from dancu.identity.accounts import desk, levels
from dancu.identity.accounts.schemas import LevelTwoIn
from dancu.identity.chip.reader import CardReader
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.pages.common import page, refused
from dancu.identity.pages.forms import build, required
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/desk")
MAX_BUNDLE_BYTES = 256 * 1024


def _reader(request: Request) -> CardReader | None:
    """The reader the server can drive itself (the demo's simulated one), if installed."""
    return getattr(request.app.state, "card_reader", None)


def _case(request: Request, db: Session, pid: str, actor: Actor) -> dict[str, Any]:
    demo = _reader(request) is not None
    return {"case": desk.lookup(db, pid, actor=actor), "pid": pid, "demo_reader": demo}


@router.get("/level2", response_class=HTMLResponse)
def desk_page(request: Request, db: DbSession, actor: CurrentActor, pid: Code = "") -> HTMLResponse:
    desk.require_police(actor)
    context: dict[str, Any] = {"pid": pid, "case": None, "done": None}
    if pid.strip():
        try:
            context.update(_case(request, db, pid.strip(), actor))
        except DancuError as exc:
            return refused(request, "desk.html", exc, context)
    return page(request, "desk.html", context)


async def _bundle(upload: UploadFile | None) -> str | None:
    if upload is None or not upload.filename:
        return None
    data = await upload.read(MAX_BUNDLE_BYTES + 1)
    if len(data) > MAX_BUNDLE_BYTES:
        raise ValidationFailed(
            "The chip data is too large", code=IdentityErrorCode.CHIP_UNREADABLE, field="chip"
        )
    return data.decode("utf-8", errors="replace")


@router.post("/level2", response_model=None)
async def raise_level(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    pid: Annotated[str, Form()] = "",
    mrz: Annotated[str, Form()] = "",
    face_checked: Annotated[str, Form()] = "",
    chip: Annotated[UploadFile | None, File()] = None,
    demo_reader: Annotated[str, Form()] = "",
) -> Response:
    desk.require_police(actor)
    context: dict[str, Any] = {"pid": pid, "case": None, "done": None, "mrz": mrz}
    try:
        context.update(_case(request, db, required(pid, "pid"), actor))
        record = context["case"].citizen  # read once (and audited once) for this request
        bundle = await _bundle(chip)
        reader = _reader(request)
        if demo_reader == "yes" and reader is not None:  # a reader the server drives
            read = reader(db, record.pid, actor=actor, record=record)
            bundle, mrz = read.to_json(), mrz.strip() or read.mrz
            context["mrz"] = mrz
        zone = "\n".join(line.strip() for line in required(mrz, "mrz").splitlines() if line.strip())
        if face_checked != "yes":
            raise ValidationFailed(
                "Compare the person with the account's photo and the card first",
                code=IdentityErrorCode.FACE_UNCHECKED,
                field="face_checked",
            )
        verdict = desk.check_chip(bundle, zone) if bundle is not None else "not_checked"
        data = build(LevelTwoIn, pid=record.pid, mrz=zone, chip_verified=verdict)
        levels.raise_to_level2(db, data, actor=actor, record=record)
    except DancuError as exc:
        return refused(request, "desk.html", exc, context)
    context["case"] = desk.with_account(db, record)
    context["done"] = verdict
    return page(request, "desk.html", context)
