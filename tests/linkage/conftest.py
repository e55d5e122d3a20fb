"""Fixtures of the linkage tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dancu import settings
from tests.linkage.world import World, import_and_run


@pytest.fixture(autouse=True)
def _upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Uploads wait in the test's own folder."""
    folder = tmp_path / "uploads"
    monkeypatch.setenv("DANCU_LINKAGE_UPLOAD_DIR", str(folder))
    settings.get_settings.cache_clear()
    folder.mkdir()
    yield folder
    settings.get_settings.cache_clear()


@pytest.fixture
def linked(factory: sessionmaker[Session]) -> tuple[World, int]:
    """The hand-made world imported as a social-insurance dataset and linked."""
    return import_and_run(factory)
