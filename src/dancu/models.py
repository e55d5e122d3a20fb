"""Every domain's tables, imported so that ``Base.metadata`` knows them all (Alembic, tests)."""

from dancu.common import audit, outbox  # noqa: F401
from dancu.db import Base
from dancu.identity.accounts import models as identity_models  # noqa: F401
from dancu.identity.auth import models as passkey_models  # noqa: F401
from dancu.identity.oidc import bearer as api_tokens  # noqa: F401
from dancu.identity.oidc import models as oidc_models  # noqa: F401
from dancu.identity.wallet import models as wallet_models  # noqa: F401
from dancu.linkage import models as linkage_models  # noqa: F401
from dancu.payments import models as payment_models  # noqa: F401
from dancu.registry import models as registry_models  # noqa: F401

metadata = Base.metadata
