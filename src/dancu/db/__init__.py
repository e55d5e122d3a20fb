"""The database kernel: the declarative base and UTC timestamps (``db.base``), engines and
sessions (``db.engine``), and the unit of work (``db.uow``, imported from there: it sits
above the audit log and the outbox, which need the base).

The names most modules need are re-exported here; ``unit_of_work`` is not, so importing
``dancu.db`` never pulls in the audit log.
"""

from dancu.db.base import NAMING_CONVENTION, Base, UTCDateTime, utcnow
from dancu.db.engine import (
    get_autocommit_sessionmaker,
    get_engine,
    get_sessionmaker,
    is_postgres,
    make_engine,
)

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "UTCDateTime",
    "get_autocommit_sessionmaker",
    "get_engine",
    "get_sessionmaker",
    "is_postgres",
    "make_engine",
    "utcnow",
]
