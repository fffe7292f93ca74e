"""The op table (sync/ops.py): one registration per op type, run by sync/apply.py."""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from backend.extensions import db
from sync.ops import OPS, OPS_BY_DEVICE_KIND, OpType
from tests.helpers import create_op, now_iso, register, sync


def test_every_op_type_is_one_complete_registration():
    assert set(OPS) == {"report.create", "report.cancel", "report.update_note", "dispatch.ack",
                        "dispatch.decline", "dispatch.status", "responder.location",
                        "post.report"}
    for name, op_type in OPS.items():
        assert isinstance(op_type, OpType) and op_type.name == name
        assert op_type.senders and op_type.senders <= {"citizen", "responder"}
        creates = op_type.report is not None
        assert creates == (op_type.actor is not None) == (op_type.lock is None), name
    assert OPS_BY_DEVICE_KIND["citizen"] == {"report.create", "report.cancel",
                                             "report.update_note"}
    assert "post.report" in OPS_BY_DEVICE_KIND["responder"]


def test_the_published_op_envelope_lists_every_op_and_its_schema(client):
    spec = client.get("/v1/openapi.json").get_json()["components"]["schemas"]
    assert spec["Op"]["properties"]["type"]["enum"] == sorted(OPS)
    refs = {r["$ref"].rsplit("/", 1)[1] for r in spec["Op"]["properties"]["data"]["anyOf"]}
    assert refs == {t.data.__name__ for t in OPS.values()} and refs <= set(spec)


def test_an_unknown_op_type_is_answered_as_before(client):
    key = register(client)
    op = {"id": str(uuid.uuid4()), "type": "report.teleport", "at": now_iso(), "data": {}}
    result = sync(client, key, [op, create_op()]).get_json()["results"]
    assert result[0] == {"id": op["id"], "status": "rejected", "code": "unknown_op_type",
                         "message": "Unknown op type 'report.teleport'.",
                         "details": {"known": sorted(OPS)}}
    assert result[1]["status"] == "applied"


def test_a_batch_of_twenty_sos_is_still_a_handful_of_statements(client):
    """Measured before the op table: 8 statements on PostgreSQL (device, changes, receipts,
    desa, then one insert each of reports, changes, audit, receipts), 9 on SQLite (BEGIN
    IMMEDIATE, the areas' cache check in place of the PostGIS query)."""
    key = register(client)
    sync(client, key, [create_op()])  # warm the process's caches
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        body = sync(client, key, [create_op(lat=-2.5 + i * 0.03, lon=103.9)
                                  for i in range(20)]).get_json()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert [r["status"] for r in body["results"]] == ["applied"] * 20
    assert len(seen) <= (8 if db.engine.dialect.name == "postgresql" else 9), seen
    assert sum(s.lstrip().upper().startswith("INSERT INTO REPORTS") for s in seen) == 1
