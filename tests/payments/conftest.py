from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dancu.payments import programmes


@pytest.fixture
def programmed(session: Session) -> Session:
    """A session whose database holds the programmes, categories and levels."""
    programmes.ensure_programmes(session)
    return session
