"""The birth registration form (khai sinh): the child enters the registry with a new ID
number and joins a parent's household. Opened from a parent's record (that parent filled
in) or from the registration page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from dancu.common.access import Actor, Permission
from dancu.common.bounds import Code
from dancu.common.errors import DancuError
from dancu.registry import civil_status
from dancu.registry import validation as rules
from dancu.registry.pages import common
from dancu.registry.schemas import BirthIn
from dancu.web.deps import CurrentActor, DbSession

router = APIRouter()
TEMPLATE = "registry/birth.html"
Text = Annotated[str, Form(max_length=200)]


def _page(
    request: Request, actor: Actor, form: dict[str, str], error: DancuError | None = None
) -> HTMLResponse:
    context = {"form": form, "communes": common.communes_for(actor)}
    return common.show(request, TEMPLATE, context, error)


@router.get("/births/new", response_class=HTMLResponse)
def birth_page(
    request: Request, actor: CurrentActor, mother_pid: Code = "", father_pid: Code = ""
) -> HTMLResponse:
    """An empty birth form; a parent's record fills in that parent's ID number."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {
        "full_name": "",
        "birth_date": "",
        "sex": "",
        "mother_pid": mother_pid,
        "father_pid": father_pid,
        "ethnicity": "Kinh",
        "religion": "Không",
        "place_of_birth": "",
        "commune_code": "",
        "address_detail": "",
        "key": common.new_key(),
    }
    return _page(request, actor, form)


@router.post("/births/new", response_model=None, dependencies=common.CHECKED)
def birth_submit(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    full_name: Annotated[str, Form(max_length=200)] = "",
    birth_date: Annotated[str, Form(max_length=40)] = "",
    sex: Annotated[str, Form(max_length=1)] = "",
    mother_pid: Annotated[str, Form(max_length=40)] = "",
    father_pid: Annotated[str, Form(max_length=40)] = "",
    ethnicity: Annotated[str, Form(max_length=40)] = "",
    religion: Annotated[str, Form(max_length=40)] = "",
    place_of_birth: Text = "",
    commune_code: Annotated[str, Form(max_length=5)] = "",
    address_detail: Text = "",
    key: Annotated[Code, Form()] = "",
) -> Response:
    """Register the birth with the API's own rules; the child's record opens after."""
    actor.require(Permission.CIVIL_STATUS_RECORD)
    form = {
        "full_name": full_name,
        "birth_date": birth_date,
        "sex": sex,
        "mother_pid": mother_pid,
        "father_pid": father_pid,
        "ethnicity": ethnicity,
        "religion": religion,
        "place_of_birth": place_of_birth,
        "commune_code": commune_code,
        "address_detail": address_detail,
        "key": key,
    }

    def record() -> str:
        data = common.build(
            BirthIn,
            full_name=rules.valid_name(
                common.required(full_name, "full_name", "Enter the child's full name")
            ),
            birth_date=common.required_day(birth_date, "birth_date", "Enter the birth date"),
            sex=rules.valid_sex(common.required(sex, "sex", "Choose the child's sex")),
            mother_pid=mother_pid.strip() or None,
            father_pid=father_pid.strip() or None,
            ethnicity=ethnicity.strip() or "Kinh",
            religion=religion.strip() or "Không",
            place_of_birth=place_of_birth.strip(),
            commune_code=commune_code or None,
            address_detail=address_detail.strip() or None,
        )
        event = civil_status.register_birth(db, data, actor=actor, key=key or None)
        return common.record_url(event.citizen_pid, "birth")

    return common.submit(db, record, lambda error: _page(request, actor, form, error))
