"""Every domain's tables, imported so that ``Base.metadata`` knows them all (Alembic, tests)."""

from dancu.common import audit, outbox  # noqa: F401
from dancu.db import Base
from dancu.exchange.checkin import models as exchange_checkin_models  # noqa: F401
from dancu.exchange.cleaning import models as cleaning_models  # noqa: F401
from dancu.exchange.consent import models as exchange_consent_models  # noqa: F401
from dancu.exchange.hygiene import models as exchange_hygiene_models  # noqa: F401
from dancu.exchange.insurance import models as exchange_insurance_models  # noqa: F401
from dancu.exchange.messagelog import models as exchange_log_models  # noqa: F401
from dancu.exchange.partners import models as exchange_partner_models  # noqa: F401
from dancu.identity.accounts import models as identity_models  # noqa: F401
from dancu.identity.auth import models as passkey_models  # noqa: F401
from dancu.identity.oidc import bearer as api_tokens  # noqa: F401
from dancu.identity.oidc import models as oidc_models  # noqa: F401
from dancu.identity.wallet import models as wallet_models  # noqa: F401
from dancu.linkage import models as linkage_models  # noqa: F401
from dancu.payments import models as payments_models  # noqa: F401
from dancu.procedures import models as procedures_models  # noqa: F401
from dancu.procedures.npsp import models as npsp_models  # noqa: F401
from dancu.procedures.payment import models as fee_models  # noqa: F401
from dancu.registry import models as registry_models  # noqa: F401

metadata = Base.metadata
