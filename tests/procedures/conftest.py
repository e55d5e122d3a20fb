"""Fixtures of the procedures tests: uploads go to the test's own directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dancu.procedures import files


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    target = tmp_path / "procedures-files"
    monkeypatch.setattr(files, "root", lambda: target)
    yield target
