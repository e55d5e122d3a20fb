"""Every domain's tables, imported so that ``Base.metadata`` knows them all (Alembic, tests)."""

from dancu.common import audit, outbox  # noqa: F401
from dancu.db import Base
from dancu.identity import (
    api_tokens,  # noqa: F401
    oidc_models,  # noqa: F401
    passkey_models,  # noqa: F401
    wallet_models,  # noqa: F401
)
from dancu.identity import models as identity_models  # noqa: F401
from dancu.linkage import models as linkage_models  # noqa: F401
from dancu.registry import models as registry_models  # noqa: F401

metadata = Base.metadata
