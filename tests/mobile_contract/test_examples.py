"""mobile_contract/examples/ are real request/response pairs; they must match the spec."""
from __future__ import annotations

import json
import pathlib

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from sync.ops import OP_DATA_SCHEMAS

ROOT = pathlib.Path(__file__).parents[2] / "mobile_contract"
SPEC = json.loads((ROOT / "openapi.json").read_text())
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def _json_schema(node):
    """OpenAPI 3.0 schema objects → JSON Schema (nullable becomes a null alternative)."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = node["enum"] + [None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


REGISTRY = Registry().with_resource("urn:spec", Resource.from_contents(
    _json_schema(SPEC), default_specification=DRAFT7))


def validate(instance, ref: str):
    validator = Draft7Validator({"$ref": f"urn:spec{ref}"}, registry=REGISTRY)
    errors = sorted(validator.iter_errors(instance), key=lambda e: e.path)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def response_ref(path: str, method: str, status: int) -> str:
    responses = SPEC["paths"][path][method.lower()]["responses"]
    entry = responses.get(str(status), responses["default"])
    if "$ref" in entry:
        entry = SPEC["components"]["responses"][entry["$ref"].rsplit("/", 1)[1]]
    schema = entry["content"]["application/json"]["schema"]
    return schema["$ref"].removeprefix("urn:spec").replace("#", "#", 1)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_matches_the_spec(path):
    example = json.loads(path.read_text())
    request, response = example["request"], example["response"]
    assert response["headers"]["Siaga-Sync"] == "1"
    if request["path"] == "/v1/sync" and response["status"] == 200:
        # Ops the server rejected are allowed to break the spec: that is why they were.
        rejected = {r["id"] for r in response["body"]["results"] if r["status"] == "rejected"}
        accepted = [op for op in request["body"]["ops"] if op["id"] not in rejected]
        validate({**request["body"], "ops": accepted}, "#/components/schemas/SyncRequest")
        for op in accepted:
            validate(op["data"], f"#/components/schemas/{OP_DATA_SCHEMAS[op['type']].__name__}")
    if response["body"] is not None:
        validate(response["body"], response_ref(request["path"], request["method"],
                                                response["status"]))


def test_examples_cover_every_op_and_every_result_status():
    ops, statuses = set(), set()
    for path in EXAMPLES:
        example = json.loads(path.read_text())
        body = example["request"]["body"] or {}
        ops |= {op["type"] for op in body.get("ops", [])}
        reply = example["response"]["body"] or {}
        statuses |= {r["status"] for r in reply.get("results", [])}
    assert set(OP_DATA_SCHEMAS) <= ops
    assert statuses == {"applied", "duplicate", "rejected", "conflict"}


def test_a_broken_example_is_caught():
    bad = {"protocol": 1, "device_time": "yesterday", "ops": "none"}
    with pytest.raises(AssertionError):
        validate(bad, "#/components/schemas/SyncRequest")
