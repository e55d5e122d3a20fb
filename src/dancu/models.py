"""Every domain's tables, imported so that ``Base.metadata`` knows them all (Alembic, tests)."""

from dancu.common import audit, outbox  # noqa: F401
from dancu.db import Base
from dancu.registry import models as registry_models  # noqa: F401

metadata = Base.metadata
