"""Registering a level-1 account: the form, the phone code, done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dancu.common.errors import DancuError, ErrorCode, InvalidState, ValidationFailed
from dancu.common.i18n import N_
from dancu.identity.accounts import service as accounts
from dancu.identity.accounts.schemas import RegistrationIn
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.pages.common import PENDING_REGISTRATION, client_ip, page, parse_date, refused
from dancu.identity.pages.forms import build
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import DbSession

router = APIRouter()
FIELDS = ("pid", "full_name", "birth_date", "phone", "email")
MAX_PHOTO_BYTES = 2 * 1024 * 1024


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request) -> HTMLResponse:
    return page(request, "register.html", {"form": dict.fromkeys(FIELDS, "")})


async def _photo(upload: UploadFile | None) -> tuple[bytes, str]:
    if upload is None or not upload.filename:
        raise ValidationFailed(
            "A face photo is required", code=ErrorCode.FORM_REQUIRED, field="photo"
        )
    data = await upload.read(MAX_PHOTO_BYTES + 1)
    return data, (upload.content_type or "")


@router.post("/register", response_model=None)
async def register(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    pid: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    birth_date: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password2: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = {
        "pid": pid,
        "full_name": full_name,
        "birth_date": birth_date,
        "phone": phone,
        "email": email,
    }
    try:
        for name, value in form.items():
            if not value.strip():
                raise ValidationFailed(
                    f"{name} is required", code=ErrorCode.FORM_REQUIRED, field=name
                )
        if password != password2:
            raise ValidationFailed(
                "The two passwords differ",
                code=IdentityErrorCode.PASSWORD_REPEAT,
                field="password2",
            )
        data, content_type = await _photo(photo)
        entry = build(
            RegistrationIn,
            pid="".join(pid.split()),
            full_name=full_name.strip(),
            birth_date=parse_date(birth_date, "birth_date"),
            phone=phone,
            email=email,
            password=password,
            photo=data,
            photo_type=content_type,
        )
        account = accounts.register(db, entry, ip=client_ip(request))
    except DancuError as exc:
        return refused(request, "register.html", exc, {"form": form})
    request.session[PENDING_REGISTRATION] = account.id
    return RedirectResponse("/register/confirm", status_code=303)


def _pending(request: Request) -> int | None:
    value = request.session.get(PENDING_REGISTRATION)
    return value if isinstance(value, int) else None


@router.get("/register/confirm", response_model=None)
def confirm_form(request: Request) -> Response:
    if _pending(request) is None:
        return RedirectResponse("/register", status_code=303)
    return page(request, "register_confirm.html")


@router.post("/register/confirm", response_model=None)
def confirm(
    request: Request, db: DbSession, _csrf: CsrfChecked, code: Annotated[str, Form()] = ""
) -> Response:
    account_id = _pending(request)
    if account_id is None:
        return RedirectResponse("/register", status_code=303)
    try:
        refusal = accounts.confirm_phone(db, account_id, code)
    except InvalidState:
        refusal = None  # confirmed already (a second tab): nothing left to do here
    if refusal is not None:
        # returned, not raised: the wrong try is committed with the page
        return refused(request, "register_confirm.html", refusal)
    request.session.pop(PENDING_REGISTRATION, None)
    return RedirectResponse("/register/done", status_code=303)


@router.post("/register/resend", response_model=None)
def resend(request: Request, db: DbSession, _csrf: CsrfChecked) -> Response:
    account_id = _pending(request)
    if account_id is None:
        return RedirectResponse("/register", status_code=303)
    try:
        accounts.resend_phone_code(db, account_id)
    except DancuError as exc:
        return refused(request, "register_confirm.html", exc)
    return page(request, "register_confirm.html", {"notice": N_("A new code is on its way.")})


@router.get("/register/done", response_class=HTMLResponse)
def done(request: Request) -> HTMLResponse:
    return page(request, "register_done.html")
