"""Schemathesis on the guide's endpoints alone (the wide runs in tests/mobile_contract stop at
the first failing operation): valid and invalid requests to GET /v1/public/guide (no key)
and GET/PUT /v1/admin/guide (signed in as an admin) never get a 5xx, schema-valid edits are
accepted (or 409 on a stale base version), schema-invalid ones refused, and every answer
matches the spec. The edit's rules are published as patterns, so the spec says exactly what
the server checks."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth

from tests.helpers import Console


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_guide_endpoints_honour_the_spec(app, client, staff, mode):
    console = Console(client, "admin")
    headers = {"X-CSRF-Token": console.csrf}
    cookies = {"siaga_session": client.get_cookie("siaga_session").value}
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    operations = [r.ok() for r in schema.include(path_regex=r"/guide$").get_all_operations()]
    assert {(o.method.upper(), o.path) for o in operations} == {
        ("GET", "/v1/public/guide"), ("GET", "/v1/admin/guide"), ("PUT", "/v1/admin/guide")}
    statuses = []
    for operation in operations:
        @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            case.cookies = {**(case.cookies or {}), **cookies}
            response = case.call_and_validate(headers=headers, excluded_checks=[ignored_auth])
            statuses.append((operation.method.upper(), response.status_code))

        try:
            check()
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE
    assert all(status < 500 for _, status in statuses)
    if mode == GenerationMode.POSITIVE:  # schema-valid edits pass validation: 200 or 409
        puts = {status for method, status in statuses if method == "PUT"}
        assert puts and puts <= {200, 409}, statuses
        assert ("GET", 200) in statuses
