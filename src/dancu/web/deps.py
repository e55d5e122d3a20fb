"""Request-scoped dependencies: the unit of work and the acting user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dancu.common.access import Actor
from dancu.db.engine import get_autocommit_sessionmaker
from dancu.db.uow import unit_of_work
from dancu.web import auth


async def db_session() -> AsyncIterator[Session]:
    """One transaction per request, committed when the route returns, before the response.

    Opening a session does no I/O, so it happens on the event loop; the commit (or the
    rollback) and the outbox dispatch run in the thread pool. A sync generator would cost
    one more hop to the pool on every request.
    """
    work = unit_of_work()
    session = work.__enter__()
    try:
        yield session
    except BaseException as exc:
        if not await run_in_threadpool(work.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await run_in_threadpool(work.__exit__, None, None, None)


T = TypeVar("T")


def unit_of_work_for(
    app: FastAPI, *, autocommit: bool = False
) -> Callable[[], AbstractContextManager[Session]]:
    """The unit of work ``db_session`` would give, as a context manager to open in a thread
    (``autocommit``: on sessions whose statements each commit on their own, see
    ``db.engine.autocommit_sessionmaker``).

    Honours a replacement of ``db_session`` in ``app.dependency_overrides`` (the tests'
    rolled-back sessions), so a route that opens its own unit of work sees the same database
    as every other route.
    """
    override = app.dependency_overrides.get(db_session)
    if override is not None:
        return contextmanager(override)
    if autocommit:
        return partial(unit_of_work, get_autocommit_sessionmaker())
    return unit_of_work


async def in_unit_of_work(
    request: Request, work: Callable[[Session], T], *, autocommit: bool = False
) -> T:
    """Run ``work`` and the unit of work's commit (or rollback) in ONE thread-pool hop.

    A ``DbSession`` route pays a hop for its work and another for the commit; for the hot
    token endpoint that second hop was a visible share of the CPU. The commit still happens
    before the response is sent: the route builds the response only from what ``work``
    returns. ``autocommit`` is for work whose writes are one statement (no ``BEGIN`` and
    ``COMMIT`` round trips on PostgreSQL); work that needs a savepoint must not ask for it.
    """
    opener = unit_of_work_for(request.app, autocommit=autocommit)

    def run() -> T:
        with opener() as session:
            return work(session)

    return await run_in_threadpool(run)


DbSession = Annotated[Session, Depends(db_session, scope="function")]


async def current_actor(request: Request, session: DbSession) -> Actor:
    """``web.auth.current_actor`` on the request's unit of work (a bearer token is looked up
    in it; the cookie path does no I/O)."""
    return await auth.current_actor(request, session)


CurrentActor = Annotated[Actor, Depends(current_actor, scope="function")]


@dataclass(frozen=True, slots=True)
class ActorWork:
    """A hot route's whole work in ONE thread-pool hop: the actor resolved (a bearer token
    looked up on the unit of work's session), the service called, the commit done, before
    the response is built. ``CurrentActor`` + ``DbSession`` cost three hops (token, route,
    commit). ``await work(lambda session, actor: service.f(session, ..., actor=actor))``."""

    request: Request

    async def __call__(
        self, work: Callable[[Session, Actor], T], *, single_statement: bool = False
    ) -> T:
        """``single_statement``: the work writes at most one statement (and reads), so it
        runs in autocommit on PostgreSQL, one round trip instead of three; a DPoP-bound
        token records its proof under a savepoint, so its requests keep the transaction."""
        request = self.request
        autocommit = single_statement and not auth.presents_dpop(request)
        return await in_unit_of_work(
            request,
            lambda session: work(session, auth.actor_in_thread(request, session)),
            autocommit=autocommit,
        )


async def actor_work(request: Request) -> ActorWork:
    """``web/openapi.py`` declares a route with this dependency as one that needs an actor."""
    return ActorWork(request)


ActorUnitOfWork = Annotated[ActorWork, Depends(actor_work)]
