"""The FastAPI application factory: mounts each domain's API and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from dancu import __version__, home
from dancu.common import adminunits, jobs
from dancu.common import tasks as common_tasks  # noqa: F401 (declares the kernel's jobs)
from dancu.db import get_engine
from dancu.exchange import api as exchange_api
from dancu.exchange import pages as exchange_pages
from dancu.exchange import tasks as exchange_tasks
from dancu.exchange.cleaning import api as cleaning_api
from dancu.exchange.cleaning import tasks as cleaning_tasks
from dancu.exchange.ekyc import api as ekyc_api
from dancu.exchange.partners import service as exchange_partners
from dancu.exchange.registries import api as registries_api
from dancu.identity import pages as identity_pages
from dancu.identity import tasks as identity_tasks
from dancu.identity.oidc import api as oidc_api
from dancu.identity.oidc import bearer as api_tokens
from dancu.identity.oidc.gates import client_gates
from dancu.identity.pages.guard import live_login_only
from dancu.identity.wallet import api as wallet_api
from dancu.identity.wallet import pages as wallet_pages
from dancu.linkage import api as linkage_api
from dancu.linkage import pages as linkage_pages
from dancu.linkage import tasks as linkage_tasks
from dancu.payments import api as payments_api
from dancu.payments import pages as payments_pages
from dancu.payments import tasks as payments_tasks
from dancu.procedures import api as procedures_api
from dancu.procedures import pages as procedures_pages
from dancu.procedures import tasks as procedures_tasks
from dancu.procedures.documents import pages as procedures_papers
from dancu.procedures.npsp import api as npsp_api
from dancu.procedures.payment import api as payment_api
from dancu.procedures.payment import pages as payment_pages
from dancu.registry import api as registry_api
from dancu.registry import pages as registry_pages
from dancu.settings import Settings, get_settings
from dancu.web import apidocs, errors, openapi
from dancu.web.auth import api_scopes
from dancu.web.security import SecurityHeaders
from dancu.web.templating import SRC

# Pages trust an officer's roles in the cookie only while the e-ID login session lives.
_PAGE_GUARD = [Depends(live_login_only)]
# The scope an access token needs on each JSON API (GET: the first, other methods: the second).
_REGISTRY_API = [Depends(api_scopes("registry.read", "registry.write"))]
_LINKAGE_API = [Depends(api_scopes("linkage.read", "linkage.write"))]
_WALLET_API = [Depends(api_scopes("wallet.manage"))]
_PAYMENTS_API = [Depends(api_scopes("payments.read"))]
_PROCEDURES_API = [Depends(api_scopes("procedures.read", "procedures.write"))]
_NPSP_API = [Depends(api_scopes("procedures.npsp"))]
_GOVSTACK_API = [Depends(api_scopes("exchange.use"))]  # the door's scope (reads POST too)
_GOVSTACK_WRITE_API = [Depends(api_scopes("exchange.registries.write"))]
_EXCHANGE_API = [Depends(api_scopes("exchange.use"))]
_FAVICON = SRC / "web" / "static" / "favicon.svg"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="dancu",
        version=__version__,
        description="Population registry and electronic identity (Project 06).",
        lifespan=_lifespan(settings),
        docs_url=None,  # served by web.apidocs from the installed package, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    # API bearers: the provider's access tokens, each grant reused for a few seconds.
    app.state.bearer_verifier = (
        api_tokens.CachedVerifier(settings.api_token_cache_seconds)
        if settings.api_token_cache_seconds > 0
        else api_tokens.verify
    )
    identity_tasks.subscribe()  # outbox handlers: a death closes the account
    linkage_tasks.subscribe()  # ... and a queued linkage run goes to the job queue
    procedures_tasks.subscribe()  # ... and a dossier's change notifies its citizen
    cleaning_tasks.subscribe()  # ... and a bank's customer list to be cleaned
    exchange_tasks.subscribe()  # ... insurer's cards get linked, a newborn gets a card
    client_gates.install(exchange_partners.token_refusal)  # no token for a revoked partner
    payments_tasks.subscribe()  # ... a death stops payments, a move changes the commune list
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="dancu_session",
        same_site="lax",
        https_only=settings.env == "production",
        max_age=8 * 3600,
    )
    app.add_middleware(SecurityHeaders, production=settings.env == "production")  # CSP, HSTS...
    errors.install(app)
    # Routes are matched in this order: the probes first (``/healthz`` after some 180
    # routes spent half its CPU on matching), then the token endpoint, the busiest.
    _core_routes(app)
    app.include_router(oidc_api.router)
    app.mount("/static", StaticFiles(directory=SRC / "web" / "static"), name="static")
    app.include_router(registry_api.router, dependencies=_REGISTRY_API)
    app.include_router(registry_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(wallet_api.router, dependencies=_WALLET_API)
    app.include_router(wallet_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(identity_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(linkage_api.router, dependencies=_LINKAGE_API)
    app.include_router(linkage_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(procedures_api.router, dependencies=_PROCEDURES_API)
    app.include_router(procedures_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(procedures_papers.router, dependencies=_PAGE_GUARD)  # slips, results
    app.include_router(payment_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(payment_api.router)  # gateways authenticate by their signature
    app.include_router(payment_api.officer_router, dependencies=_PROCEDURES_API)  # statements
    app.include_router(npsp_api.router, dependencies=_NPSP_API)
    app.include_router(ekyc_api.router, dependencies=_EXCHANGE_API)
    app.include_router(ekyc_api.public_router)  # the JWKS that verifies eKYC results
    app.include_router(cleaning_api.router, dependencies=_EXCHANGE_API)
    app.include_router(registries_api.router, dependencies=_GOVSTACK_API)
    app.include_router(registries_api.write_router, dependencies=_GOVSTACK_WRITE_API)
    app.include_router(registries_api.meta_router, dependencies=_EXCHANGE_API)
    app.include_router(exchange_api.router, dependencies=_EXCHANGE_API)
    app.include_router(exchange_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(exchange_pages.kiosk_router)  # a kiosk device's cookie, no e-ID login
    app.include_router(payments_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(payments_api.router, dependencies=_PAYMENTS_API)
    app.include_router(payments_api.citizen_router)  # the citizen's own token (openid)
    app.include_router(home.router, dependencies=_PAGE_GUARD)  # / : what this person can do
    if settings.dev_login:  # the one switch for demo-only parts; Settings refuses it in production
        _mount_demo(app)
    openapi.install(app, scopes=api_tokens.API_SCOPES, public_url=settings.public_url)
    apidocs.install(app)
    return app


def _mount_demo(app: FastAPI) -> None:
    """The development sign-in, the sample relying party, the simulated card reader, the
    demo wallet documents, the message sink and the simulated banks (imported here:
    production never loads them)."""
    from dancu.demo import (
        chip_pages,
        chip_reader,
        message_pages,
        payment_pages,
        rp_pages,
        wallet_pages,
    )
    from dancu.payments import simulated as simulated_payments
    from dancu.web import devlogin

    app.state.card_reader = chip_reader.read_demo_card  # the level-2 desk's reader hook
    app.state.account_directory = simulated_payments.BankNetwork()  # the banks' mapper
    app.include_router(devlogin.router)
    app.include_router(rp_pages.router)
    app.include_router(chip_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(wallet_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(message_pages.router, dependencies=_PAGE_GUARD)
    app.include_router(payment_pages.router, dependencies=_PAGE_GUARD)  # simulated gateway


def _lifespan(settings: Settings):  # type: ignore[no-untyped-def]
    """Run a worker of the job queue inside the server unless ``DANCU_JOBS_IN_PROCESS`` is
    off (production runs ``dancu worker`` apart); tests that never start the app run none."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        adminunits.preload()  # the first request should not pay for reading the unit tables
        # this event loop's thread pool for synchronous routes (settings.web_threads)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        worker = jobs.start_in_process() if settings.jobs_in_process else None
        yield
        if worker is not None:
            worker.stop()

    return lifespan


def _core_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    def healthz() -> JSONResponse:
        """Liveness and readiness: the database answers."""
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return JSONResponse({"status": "ok"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it whatever the page links: the same icon as the header's."""
        return FileResponse(_FAVICON, media_type="image/svg+xml")
