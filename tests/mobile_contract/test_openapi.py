"""mobile_contract/openapi.json is generated from the code and committed; they must agree."""
import json
import pathlib

import pytest

SPEC_FILE = pathlib.Path(__file__).parents[2] / "mobile_contract" / "openapi.json"


def _generated(app) -> dict:
    return json.loads(json.dumps(app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
                                 .spec.to_dict()))


def test_committed_spec_matches_the_code(app):
    committed = json.loads(SPEC_FILE.read_text())
    assert committed == _generated(app), (
        "mobile_contract/openapi.json is stale: run `make spec` and commit the result")


def test_served_spec_is_the_generated_one(app, client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == _generated(app)


def test_drift_is_detected_when_a_schema_changes(app, monkeypatch):
    """Prove the check bites: a field added to a schema changes the generated spec."""
    from marshmallow import fields

    from sync.protocol import ReportCreateData

    before = _generated(app)["components"]["schemas"]
    from backend import create_app
    monkeypatch.setitem(ReportCreateData._declared_fields, "mood", fields.String())
    app2 = create_app({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PUSH_THREAD": False})
    assert _generated(app2)["components"]["schemas"] != before


@pytest.mark.parametrize("path,method", [("/v1/sync", "post"), ("/v1/devices", "post"),
                                         ("/v1/reports/{ref}", "get")])
def test_error_responses_are_documented_in_the_error_shape(path, method):
    spec = json.loads(SPEC_FILE.read_text())
    responses = spec["paths"][path][method]["responses"]
    errors = {k: v for k, v in responses.items() if k.startswith(("4", "5"))}
    assert errors
    for status, response in errors.items():
        if "$ref" in response:
            continue
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}, status
