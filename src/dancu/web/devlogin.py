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


# The demo officers: (key, unit level, id suffix, name, roles, organization); "{province}"
# and "{commune}" stand for the unit names (the commune is the province's first one).
_OFFICERS: tuple[tuple[str, str, str, str, tuple[Role, ...], str], ...] = (
    ("province-clerk", "province", "clerk", "Nguyễn Thị Hồng (cán bộ tư pháp tỉnh)",
     (Role.REGISTRY_CLERK,), "Sở Tư pháp {province}"),
    ("province-police", "province", "police", "Trần Văn Minh (công an tỉnh)",
     (Role.POLICE, Role.REGISTRY_CLERK), "Công an {province}"),
    ("commune-clerk", "commune", "clerk", "Lê Thị Lan (cán bộ {commune})",
     (Role.REGISTRY_CLERK,), "UBND {commune}"),
    ("procedure-officer", "commune", "procedures", "Vũ Thị Thu (bộ phận một cửa {commune})",
     (Role.PROCEDURE_OFFICER,), "UBND {commune}"),
    ("commune-leader", "commune", "leader", "Hoàng Văn Nam (Chủ tịch UBND {commune})",
     (Role.COMMUNE_LEADER,), "UBND {commune}"),
    ("finance-officer", "commune", "finance", "Ngô Thị Hạnh (kế toán {commune})",
     (Role.FINANCE_OFFICER,), "UBND {commune}"),
    ("social-officer", "commune", "social", "Hoàng Thị Mai (cán bộ xã hội {commune})",
     (Role.SOCIAL_OFFICER,), "UBND {commune}"),
    ("social-preparer", "province", "social-preparer", "Đặng Văn Phúc (chuẩn bị chi trả, tỉnh)",
     (Role.SOCIAL_APPROVER,), "Sở Y tế {province}"),
    ("social-approver", "province", "social-approver", "Bùi Thị Thu (phê duyệt chi trả, tỉnh)",
     (Role.SOCIAL_APPROVER,), "Sở Y tế {province}"),
    ("steering-viewer", "province", "steering", "Phạm Quốc Huy (Ban Chỉ đạo 06)",
     (Role.STEERING_VIEWER,), "Ban Chỉ đạo Đề án 06 {province}"),
)  # fmt: skip


def demo_officers(province_code: str) -> dict[str, Actor]:
    """Officers of the demo province: provincial clerk and police, a commune clerk, the
    commune's one-stop-shop officer, its leader and its accountant, social-payment officers
    (a commune's, and the province's preparer and approver), a viewer."""
    commune = adminunits.communes(province_code)[0]
    codes = {"province": province_code, "commune": commune.code}
    names = {"province": adminunits.province(province_code).name, "commune": commune.name}
    return {
        key: Actor(
            id=f"officer:{codes[level]}-{suffix}",
            name=name.format(**names),
            roles=frozenset(roles),
            units=(codes[level],),
            organization=organization.format(**names),
        )
        for key, level, suffix, name, roles, organization in _OFFICERS
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
