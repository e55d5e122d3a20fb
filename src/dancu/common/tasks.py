"""The shared kernel's scheduled jobs: sealing the audit log, delivering leftover events.

Both are idempotent and pick up where the last success left off, so a failed run needs
no retry of its own: the next one, a second (or a minute) later, does the work.
"""

from __future__ import annotations

from dancu.common import audit_chain, audit_partitions, outbox
from dancu.common.jobs import every, periodic
from dancu.db import get_sessionmaker


@periodic(every(lambda settings: settings.audit_seal_seconds), priority=10)
def seal_audit_log() -> int:
    """Chain the audit entries committed since the last seal (ADR 0002)."""
    return audit_chain.seal_pending(get_sessionmaker())


@periodic(every(lambda settings: 6 * 3600.0), priority=-10)  # housekeeping: after the rest
def prepare_audit_partitions() -> list[str]:
    """Keep the audit log's monthly partitions ready ahead (PostgreSQL, ADR 0010)."""
    with get_sessionmaker()() as session, session.begin():
        return audit_partitions.ensure_partitions(session)


@periodic(every(lambda settings: settings.outbox_dispatch_seconds), priority=5)
def dispatch_outbox() -> int:
    """Deliver the events a crash or a failing handler left undelivered."""
    return outbox.dispatch_pending(get_sessionmaker())
