"""The API documentation page (``/docs``), with every file it needs served by this server.

FastAPI's own ``/docs`` loads Swagger UI's script and stylesheet from a CDN, so it stays blank
in a provincial data centre without internet. The app is therefore built with
``docs_url=None`` (and ``redoc_url=None``: ReDoc would come from a CDN too, and one
documentation UI is enough), and this module serves FastAPI's Swagger UI page pointed at the
unmodified Swagger UI distribution that the ``swagger-ui-bundle-v2`` package installs.

The page starts Swagger UI with a small inline script, which the site's Content Security
Policy (``web/security.py``) refuses; ``/docs`` therefore carries its own policy, the site's
with that one script allowed by its SHA-256 hash (any other inline script is still refused).
Swagger UI sets its elements' styles through the DOM, which the policy allows, so inline
style stays refused here too.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"  # swagger-ui-bundle.js, swagger-ui.css, favicons, oauth2-redirect
# Swagger UI's default validatorUrl shows a badge image fetched from validator.swagger.io.
_SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(page: str) -> str:
    """The Content Security Policy of the docs page: its inline scripts allowed by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(page)
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and Swagger UI's files under ``/docs/assets`` (no-op without OpenAPI)."""
    openapi_url = app.openapi_url
    if openapi_url is None:
        return
    app.mount(ASSETS_URL, StaticFiles(directory=Path(swagger_ui_path)), name="apidocs")
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        oauth2_redirect_url=f"{ASSETS_URL}/oauth2-redirect.html",
        swagger_ui_parameters=_SWAGGER_UI_PARAMETERS,
    ).body.decode()
    headers = {"Content-Security-Policy": docs_policy(page)}

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)
