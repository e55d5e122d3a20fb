"""The FastAPI application factory: mounts each domain's API and pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from dancu import __version__
from dancu.db import get_engine
from dancu.registry import api as registry_api
from dancu.registry import pages as registry_pages
from dancu.settings import Settings, get_settings
from dancu.web import errors
from dancu.web.auth import app_settings, optional_actor, sign_out
from dancu.web.templating import SRC, render


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="dancu",
        version=__version__,
        description="Population registry and electronic identity (Project 06).",
    )
    app.state.settings = settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="dancu_session",
        same_site="lax",
        https_only=settings.env == "production",
        max_age=8 * 3600,
    )
    errors.install(app)
    app.mount("/static", StaticFiles(directory=SRC / "web" / "static"), name="static")
    app.include_router(registry_api.router)
    app.include_router(registry_pages.router)
    if settings.dev_login:
        from dancu.web import devlogin

        app.include_router(devlogin.router)
    _core_routes(app)
    return app


def _core_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    def healthz() -> JSONResponse:
        """Liveness and readiness: the database answers."""
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return JSONResponse({"status": "ok"})

    @app.get("/", include_in_schema=False, response_model=None)
    def home(request: Request) -> HTMLResponse | RedirectResponse:
        if optional_actor(request) is None:
            if app_settings(request).dev_login:
                return RedirectResponse("/dev/login", status_code=303)
            return render(request, "error.html", {"code": "auth.required", "message": "Sign in"})
        return RedirectResponse("/registry/search", status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request) -> RedirectResponse:
        sign_out(request)
        return RedirectResponse("/", status_code=303)
