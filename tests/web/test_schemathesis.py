"""Every operation of ``/openapi.json``, fuzzed in-process by Schemathesis: no server error.

For each documented operation, Schemathesis generates requests from the document (a few
examples, derandomized, no deadline) and sends them to the ASGI app on the test's database
(rolled back afterwards), once anonymously and once with a development token of an officer
holding every role nationwide; ``not_a_server_error`` fails on any 5xx.

Before branch `bounds` was merged, this run found the 500s of an integer >= 2**63 in a path
parameter (GET /api/linkage/sources/{source_id} and .../export; with 40 examples also the
card transitions, linkage runs, jobs and the problems export); ``common/bounds.py`` now
declares and checks those maxima, and the run finds no server error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session, sessionmaker

from dancu.app import create_app
from dancu.common.access import Role
from dancu.db.uow import unit_of_work
from dancu.settings import get_settings
from dancu.web import deps
from tests.conftest import bearer, make_actor

MAX_EXAMPLES = 12
# Beyond "no 5xx": every status, content type and body the document declares (session 7: a
# body FastAPI could not parse was an undeclared 400 on every JSON and upload operation).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
DOCUMENT = create_app().openapi()  # no database needed to describe the routes
OPERATIONS = [(m.upper(), p) for p, ops in DOCUMENT["paths"].items() for m in ops]
OFFICER = make_actor(*Role, units=())  # every role, nationwide: reaches every code path
WHO = {"anonymous": {}, "officer": bearer(OFFICER)}


@pytest.fixture(scope="module")
def schema() -> Any:
    """The document as Schemathesis reads it from the app, loaded once. Schemathesis starts the
    app's lifespan and keeps it running, so the app is built without the in-process job
    worker (which would run jobs on the default database)."""
    app = create_app(get_settings().model_copy(update={"jobs_in_process": False}))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def api(schema: Any, factory: sessionmaker[Session]) -> Iterator[Any]:
    """The schema, its app on this test's database (rolled back afterwards)."""

    def test_session() -> Iterator[Session]:
        with unit_of_work(factory) as session:
            yield session

    schema.app.dependency_overrides[deps.db_session] = test_session
    yield schema
    schema.app.dependency_overrides.clear()


@pytest.mark.parametrize("who", list(WHO))
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_operation_answers_a_server_error(api: Any, method: str, path: str, who: str) -> None:
    operation = api[path][method]

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        response = case.call(headers=WHO[who])
        case.validate_response(response, checks=CHECKS)

    try:
        fuzz()
    except Exception as exc:  # Schemathesis' report (with a curl line) is the whole story
        raise AssertionError(f"{method} {path} ({who}): {exc}") from None
