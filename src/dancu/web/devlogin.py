"""The development-only sign-in: pick a demo officer. Never mounted in production.

The identity domain replaces it with OpenID Connect sign-in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dancu.common import adminunits
from dancu.common.access import Actor, Role
from dancu.common.errors import ErrorCode, ValidationFailed
from dancu.web.auth import app_settings, sign_in
from dancu.web.redirects import local_path
from dancu.web.templating import render

router = APIRouter()


def demo_officers(province_code: str) -> dict[str, Actor]:
    """Officers of the demo province: provincial clerk and police, a commune clerk, the
    commune's one-stop-shop officer and its leader, social-payment officers (a commune's, and
    the province's preparer and approver), a viewer."""
    province = adminunits.province(province_code)
    first_commune = adminunits.communes(province_code)[0]
    org = f"Công an {province.name}"
    return {
        "province-clerk": Actor(
            id=f"officer:{province_code}-clerk",
            name="Nguyễn Thị Hồng (cán bộ tư pháp tỉnh)",
            roles=frozenset({Role.REGISTRY_CLERK}),
            units=(province_code,),
            organization=f"Sở Tư pháp {province.name}",
        ),
        "province-police": Actor(
            id=f"officer:{province_code}-police",
            name="Trần Văn Minh (công an tỉnh)",
            roles=frozenset({Role.POLICE, Role.REGISTRY_CLERK}),
            units=(province_code,),
            organization=org,
        ),
        "commune-clerk": Actor(
            id=f"officer:{first_commune.code}-clerk",
            name=f"Lê Thị Lan (cán bộ {first_commune.name})",
            roles=frozenset({Role.REGISTRY_CLERK}),
            units=(first_commune.code,),
            organization=f"UBND {first_commune.name}",
        ),
        "procedure-officer": Actor(
            id=f"officer:{first_commune.code}-procedures",
            name=f"Vũ Thị Thu (bộ phận một cửa {first_commune.name})",
            roles=frozenset({Role.PROCEDURE_OFFICER}),
            units=(first_commune.code,),
            organization=f"UBND {first_commune.name}",
        ),
        "commune-leader": Actor(
            id=f"officer:{first_commune.code}-leader",
            name=f"Hoàng Văn Nam (Chủ tịch UBND {first_commune.name})",
            roles=frozenset({Role.COMMUNE_LEADER}),
            units=(first_commune.code,),
            organization=f"UBND {first_commune.name}",
        ),
        "social-officer": Actor(
            id=f"officer:{first_commune.code}-social",
            name=f"Hoàng Thị Mai (cán bộ xã hội {first_commune.name})",
            roles=frozenset({Role.SOCIAL_OFFICER}),
            units=(first_commune.code,),
            organization=f"UBND {first_commune.name}",
        ),
        "social-preparer": Actor(
            id=f"officer:{province_code}-social-preparer",
            name="Đặng Văn Phúc (chuẩn bị chi trả, tỉnh)",
            roles=frozenset({Role.SOCIAL_APPROVER}),
            units=(province_code,),
            organization=f"Sở Y tế {province.name}",
        ),
        "social-approver": Actor(
            id=f"officer:{province_code}-social-approver",
            name="Bùi Thị Thu (phê duyệt chi trả, tỉnh)",
            roles=frozenset({Role.SOCIAL_APPROVER}),
            units=(province_code,),
            organization=f"Sở Y tế {province.name}",
        ),
        "steering-viewer": Actor(
            id=f"officer:{province_code}-steering",
            name="Phạm Quốc Huy (Ban Chỉ đạo 06)",
            roles=frozenset({Role.STEERING_VIEWER}),
            units=(province_code,),
            organization=f"Ban Chỉ đạo Đề án 06 {province.name}",
        ),
    }


def _safe_next(target: str | None) -> str:
    return local_path(target, "/")  # never another site; home suits every role


def unit_name(code: str) -> str:
    """A province (2 digits) or commune (5 digits) by name, as officers know them."""
    try:
        return adminunits.province(code).name if len(code) == 2 else adminunits.commune(code).name
    except adminunits.UnknownUnitError:
        return code


@router.get("/dev/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    officers = demo_officers(app_settings(request).demo_province)
    context = {"officers": officers.items(), "next": _safe_next(next), "unit_name": unit_name}
    return render(request, "dev_login.html", context)


@router.post("/dev/login")
def login(
    request: Request, officer: Annotated[str, Form()], next: Annotated[str, Form()] = ""
) -> RedirectResponse:
    officers = demo_officers(app_settings(request).demo_province)
    if officer not in officers:
        raise ValidationFailed(
            "Unknown demo officer", code=ErrorCode.AUTH_UNKNOWN_OFFICER, field="officer"
        )
    sign_in(request, officers[officer])
    return RedirectResponse(_safe_next(next), status_code=303)
