"""Fixtures shared by the identity tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.identity.oidc_helpers import add_test_login_routes


@pytest.fixture
def web(app) -> TestClient:  # type: ignore[no-untyped-def]
    """A client of the app with the test-only sign-in routes (``add_test_login_routes``);
    a module that needs other routes defines its own ``web``."""
    add_test_login_routes(app)
    return TestClient(app)
