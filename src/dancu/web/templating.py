"""Jinja2 pages: one environment over the shared layout and every domain's templates."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from dancu.common.access import PURPOSES
from dancu.web.auth import app_settings, optional_actor
from dancu.web.csrf import csrf_token
from dancu.web.i18n import FIELD_LABELS, pick_language, purpose_choices, translate

SRC = Path(__file__).resolve().parent.parent
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _template_dirs() -> list[Path]:
    dirs = [SRC / "web" / "templates"]
    dirs += sorted(p for p in SRC.glob("*/templates") if p.parent.name != "web")
    return dirs


def _fmt_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _fmt_datetime(value: datetime | None) -> str:
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S") if value else ""


@cache
def templates() -> Jinja2Templates:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in _template_dirs()]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vndate"] = _fmt_date
    env.filters["vndatetime"] = _fmt_datetime
    return Jinja2Templates(env=env)


def language(request: Request) -> str:
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get("lang"),
        app_settings(request).default_language,
    )


def lang_url(request: Request, code: str) -> str:
    """This page in another language: the same path and query, ``lang`` replaced."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*params, ('lang', code)])}"


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    lang = language(request)

    def t(key: str, default: str | None = None, **params: Any) -> str:
        return translate(lang, key, default, **params)

    ctx = {
        "lang": lang,
        "t": t,
        "actor": optional_actor(request),
        "purposes": purpose_choices(),
        "purpose_label": lambda code: t(PURPOSES.get(code, code)),
        "field_label": lambda field: t(FIELD_LABELS[field]) if field in FIELD_LABELS else "",
        "lang_url": lambda code: lang_url(request, code),
        "dev_login": app_settings(request).dev_login,
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
        **(context or {}),
    }
    response = templates().TemplateResponse(request, name, ctx, status_code=status_code)
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response
