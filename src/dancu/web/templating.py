"""Jinja2 pages: one environment per language over the shared layout and every domain's templates.

Each environment has Jinja2's i18n extension with that language's catalogue installed
(new-style gettext: ``{{ _("Search") }}``, ``{{ pgettext("dataset", "Type") }}``,
``{{ ngettext("%(num)s result", "%(num)s results", n) }}``, ``{% trans %}``), ``translate(value,
default)`` for codes and labels known only at run time, and filters that format dates and
numbers for the language's locale: ``format_date``, ``format_datetime``, ``format_number``,
``format_percent(digits)``. One environment per language keeps the language out of shared
mutable state: a request picks the environment, nothing is installed per request.
"""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from dancu.common.access import PURPOSES
from dancu.web import i18n, navigation
from dancu.web.auth import app_settings, optional_actor
from dancu.web.csrf import csrf_token

SRC = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[Path]:
    dirs = [SRC / "web" / "templates"]
    dirs += sorted(p for p in SRC.glob("*/templates") if p.parent.name != "web")
    return dirs


@cache
def templates(lang: str) -> Jinja2Templates:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in _template_dirs()]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["translate"] = partial(i18n.translate, lang)
    env.filters["format_date"] = partial(_in_language, i18n.format_date, lang)
    env.filters["format_datetime"] = partial(_in_language, i18n.format_datetime, lang)
    env.filters["format_number"] = partial(_in_language, i18n.format_number, lang)
    env.filters["format_percent"] = partial(_in_language, i18n.format_percent, lang)
    return Jinja2Templates(env=env)


def _in_language(format_value: Any, lang: str, value: Any, *args: Any) -> str:
    """A filter's call ``value|format_x(*args)`` as ``format_x(value, lang, *args)``."""
    return format_value(value, lang, *args)


def language(request: Request) -> str:
    return i18n.pick_language(
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
    labels = i18n.FIELD_LABELS
    actor = optional_actor(request)
    citizen = "session" in request.scope and bool(request.session.get("login_sid"))
    ctx = {
        "lang": lang,
        "actor": actor,
        "nav": navigation.links(actor, citizen=citizen),
        "signed_in": actor is not None or citizen,
        "purposes": i18n.purpose_choices(),
        "purpose_label": lambda code: i18n.translate(lang, PURPOSES.get(code, code)),
        "field_label": lambda field: i18n.translate(lang, labels[field]) if field in labels else "",
        "lang_url": lambda code: lang_url(request, code),
        "dev_login": app_settings(request).dev_login,
        "csrf_token": csrf_token(request) if "session" in request.scope else "",
        **(context or {}),
    }
    response = templates(lang).TemplateResponse(request, name, ctx, status_code=status_code)
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response
