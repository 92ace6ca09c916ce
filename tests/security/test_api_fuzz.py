"""The API fuzzed against its own OpenAPI document (schemathesis, in-process through Django's
WSGI application: no server). Every operation, with a token of every role of the permission
matrix (and none), gets generated requests, valid and invalid; no answer may be a server
error, and every answer must conform to the document: a documented status, the documented
content type (problem details for refusals) and the documented schema.

Bounded in time: a few examples per operation and mode (``API_FUZZ_EXAMPLES``, default 4),
every role answering each example.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.api_world import role_tokens
from tests.security.world import build

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db):
    """The document, read from the application itself. Django's WSGI handler closes the
    database connection after each request (as Django's test client stops it from doing):
    that would end the test's transaction, so it is kept open here too."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz(operation, mode: GenerationMode, tokens: dict[str, str | None]) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        for token in tokens.values():
            headers = {"Accept-Language": "en", "Accept-Encoding": "identity"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_for_every_role_answers_as_documented(api_schema, mode):
    world = build()
    tokens = role_tokens(world)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        _fuzz(operation, mode, tokens)
