"""Request-scoped dependencies: the unit of work and the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.db import unit_of_work
from dancu.web.auth import current_actor


def db_session() -> Iterator[Session]:
    """One transaction per request, committed when the route returns, before the response."""
    with unit_of_work() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]
CurrentActor = Annotated[Actor, Depends(current_actor)]
