"""Request-scoped dependencies: the unit of work and the acting user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dancu.common.access import Actor
from dancu.db import unit_of_work
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


DbSession = Annotated[Session, Depends(db_session, scope="function")]


async def current_actor(request: Request, session: DbSession) -> Actor:
    """``web.auth.current_actor`` on the request's unit of work (a bearer token is looked up
    in it; the cookie path does no I/O)."""
    return await auth.current_actor(request, session)


CurrentActor = Annotated[Actor, Depends(current_actor, scope="function")]
