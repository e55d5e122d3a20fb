"""The API documentation page (``/docs``), with every file it needs served by this server.

FastAPI's own ``/docs`` loads Swagger UI's script and stylesheet from a CDN, so it stays blank
in a provincial data centre without internet. The app is therefore built with
``docs_url=None`` (and ``redoc_url=None``: ReDoc would come from a CDN too, and one
documentation UI is enough), and this module serves FastAPI's Swagger UI page pointed at the
unmodified Swagger UI distribution that the ``swagger-ui-bundle-v2`` package installs.
"""

from __future__ import annotations

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


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and Swagger UI's files under ``/docs/assets`` (no-op without OpenAPI)."""
    openapi_url = app.openapi_url
    if openapi_url is None:
        return
    app.mount(ASSETS_URL, StaticFiles(directory=Path(swagger_ui_path)), name="apidocs")
    title = f"{app.title} - Swagger UI"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            oauth2_redirect_url=f"{ASSETS_URL}/oauth2-redirect.html",
            swagger_ui_parameters=_SWAGGER_UI_PARAMETERS,
        )
