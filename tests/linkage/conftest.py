"""Fixtures of the linkage tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.linkage.world import World, import_and_run


@pytest.fixture
def linked(factory: sessionmaker[Session]) -> tuple[World, int]:
    """The hand-made world imported as a social-insurance dataset and linked."""
    return import_and_run(factory)
