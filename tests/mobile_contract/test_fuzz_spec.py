"""Schemathesis against the served spec: generated valid and invalid requests for the phone
endpoints must never get a 500, and every response must match the published spec.

Scope: the mobile contract (devices, sync, citizen reports, categories, health), signed with
a real device key. DELETE /v1/devices/me is left out: it would revoke the key mid-run.
Bounded (25 cases per operation and mode) so CI stays fast. Driven through the hypothesis
strategies directly: schemathesis' pytest plugin does not load under pytest 9.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from tests.helpers import register

EXAMPLES = 25


def phone_operations(app):
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    schema = schema.include(path_regex=r"^/v1/(devices|sync|reports|categories|health)")
    return [result.ok() for result in schema.exclude(method="DELETE").get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_phone_endpoints_honour_the_spec(app, client, mode):
    headers = {"Authorization": f"Bearer {register(client)}"}
    operations = phone_operations(app)
    assert {op.path for op in operations} >= {"/v1/sync", "/v1/devices", "/v1/reports"}
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            case.call_and_validate(headers=headers)

        try:
            check()
        except Unsatisfiable:  # nothing invalid can be built (no parameters, no body)
            assert mode == GenerationMode.NEGATIVE
