"""Seeded mutation fuzzing of /v1/sync: whatever the body, never a 500, always our shapes."""
from __future__ import annotations

import copy
import json
import random

import pytest

from tests.helpers import create_op, now_iso, register

NASTY = [None, True, False, 0, -1, 1.5, 10 ** 30, 10 ** 400, -(10 ** 400), 1e308, "", "x" * 5000,
         "R-000001", "2026-13-45T99:99:99Z", "0001-01-01T00:00:00+14:00",
         "9999-12-31T23:59:59-14:00", "2026-11-29T03:00:00", "\u0000", "💥", [], {}, [1, [2]],
         {"a": {"b": {}}}, "00000000-0000-0000-0000-000000000000", "c1.1.1", "c1.-1.0",
         "c1.99999999999999999999.1"]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _paths(inner, prefix + (i,))


def _mutate(body, rng):
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(list(_paths(body))[1:])
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        if rng.random() < 0.15 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = rng.choice(NASTY)
    return body


def _sample_body():
    cancel = {"id": "6f1c1f7e-3a4b-4c5d-8e9f-0a1b2c3d4e5f", "type": "report.cancel",
              "at": now_iso(), "data": {"report": "7e1c1f7e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"}}
    return {"protocol": 1, "device_time": now_iso(), "cursor": None,
            "ops": [create_op(), create_op(category="health"), cancel]}


@pytest.mark.parametrize("seed", range(4))
def test_mutated_sync_bodies_never_break_the_server(client, seed):
    rng = random.Random(seed)
    key = register(client)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for _ in range(60):
        body = _mutate(_sample_body(), rng)
        response = client.post("/v1/sync", data=json.dumps(body), headers=headers)
        assert response.status_code in {200, 400, 413, 422}, (body, response.get_data()[:500])
        reply = response.get_json()
        if response.status_code == 200:
            ops = body.get("ops", [])
            assert len(reply["results"]) == len(ops)
            assert all(r["status"] in {"applied", "duplicate", "rejected", "conflict"}
                       for r in reply["results"])
        else:
            assert set(reply["error"]) == {"code", "message", "details"}
