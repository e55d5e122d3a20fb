"""The FastAPI application factory: mounts each domain's API and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from dancu import __version__
from dancu.common import adminunits, audit
from dancu.common.tasks import Periodic
from dancu.db import get_engine, get_sessionmaker
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
        lifespan=_lifespan(settings),
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


def _lifespan(settings: Settings):  # type: ignore[no-untyped-def]
    """Start the audit sealer with the server (not in tests that never start the app)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        adminunits.preload()  # the first request should not pay for reading the unit tables
        sealer = None
        if settings.audit_seal_seconds > 0:
            sealer = Periodic(
                "audit-sealer",
                settings.audit_seal_seconds,
                lambda: audit.seal_pending(get_sessionmaker()),
            )
            sealer.start()
        yield
        if sealer is not None:
            sealer.stop()

    return lifespan


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
