"""The unit of work: one transaction per request, command or job.

Services receive a ``Session`` and only ``flush()``. The boundary (a route, a CLI command, a
job) opens a unit of work, commits once, then dispatches the outbox. It sits above the
audit log (refusals a failed request kept are written in a fresh transaction) and the
outbox, which both need ``db.base``: hence its own module, ranked above ``common``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from dancu.common import audit, outbox
from dancu.db.engine import get_sessionmaker


@contextmanager
def unit_of_work(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error, then dispatch the outbox."""
    factory = factory or get_sessionmaker()
    session = factory()
    try:
        yield session
        audit.write_kept(session, audit.take_kept(session))
        session.commit()
        emitted = outbox.emitted_in(session)
    except BaseException:
        session.rollback()
        kept = audit.take_kept(session)
        if kept:  # refusals are audited even though the request's own work is undone
            with factory() as fresh, fresh.begin():
                audit.write_kept(fresh, kept)
        raise
    finally:
        session.close()
    if emitted:
        outbox.dispatch_pending(factory)
