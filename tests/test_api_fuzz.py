"""schemathesis against the app's own OpenAPI schema: every operation, as a planner, with
generated valid and invalid input. Fails on any 5xx and on any response (status code,
content type, headers, body) that the schema does not document."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import Seeded

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("SCHEDULER_FUZZ_EXAMPLES", "8"))
"""Examples per operation and mode; ``SCHEDULER_FUZZ_EXAMPLES=200`` for a long run."""


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as error:  # schemathesis raises its failed checks as a group
            failures.append(f"{operation.label} [{mode.value}]: {error}"[:2000])

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # an operation with no parameters has no invalid input to generate
    return failures


def test_every_operation_as_a_planner(
    app: FastAPI, seeded: Seeded, planner: dict[str, str]
) -> None:
    """No generated request, valid or invalid, makes the server answer 5xx or break its
    documented schema, for every operation in the OpenAPI document."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures: list[str] = []
    for operation in operations:
        if operation.path == "/api/auth/logout":
            continue  # would end the planner's session for the operations after it
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures.extend(_fuzz(operation, mode, planner))
    assert failures == [], "\n\n".join(failures[:20])
