"""A phone's op receipts are found by op id, however many it has (PostgreSQL).

Every sync reads the receipts of the ops it carries (sync/apply.py `_receipts_select`). A
responder phone sends a location op a minute on duty and its receipts are kept for ever, so
one phone can hold hundreds of thousands among many phones holding a few. With the unique
index on (device_id, op_id, regency_id), PostgreSQL's generic plan — the one a prepared
statement settles on after five executions — looked the device up by (device_id, regency_id)
and filtered the op ids: it read every receipt the phone ever had, on every sync (442 ms for
a phone with 200,000, measured). The index leads with op_id (migration 0017_receipts_by_op),
so the only way in is by the op ids themselves.
"""
from __future__ import annotations

import json
import re
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from backend.extensions import db
from sync.apply import _load_receipts, _receipts_select

HEAVY = 20_000  # receipts of the one busy phone; 2,000 others hold two each


def _prepared_plan(regency_id: int, device_id: int, op_ids: list[str]) -> dict:
    """EXPLAIN ANALYZE of the very statement the app runs, prepared, on the generic plan."""
    compiled = _receipts_select().params(
        regency_id=regency_id, device_id=device_id, op_ids=op_ids).compile(
        dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
    names = re.findall(r"%\((\w+)\)s", compiled.string)
    text = compiled.string
    for n, name in enumerate(names, start=1):
        text = text.replace(f"%({name})s", f"${n}", 1)
    db.session.execute(sa.text("SET LOCAL plan_cache_mode = force_generic_plan"))
    db.session.execute(sa.text(f"PREPARE receipts_plan AS {text}"))
    values = ", ".join(repr(compiled.params[name]) if isinstance(compiled.params[name], int)
                       else "'" + compiled.params[name] + "'" for name in names)
    plan = db.session.execute(sa.text(
        f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE receipts_plan({values})")).scalar_one()
    db.session.execute(sa.text("DEALLOCATE receipts_plan"))
    return plan[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.postgres_only
def test_a_busy_phones_receipts_are_read_by_op_id_not_scanned(app):
    regency_id = db.session.execute(sa.text("SELECT min(id) FROM regencies")).scalar_one()
    db.session.execute(sa.text(
        "INSERT INTO devices (regency_id, kind, platform, app_version, locale, key_hash, "
        "created_at) SELECT :r, 'citizen', 'android', 't', 'id', md5(g::text), now() "
        "FROM generate_series(1, 2001) g"), {"r": regency_id})
    busy = db.session.execute(sa.text("SELECT max(id) FROM devices")).scalar_one()
    receipt = ("INSERT INTO sync_ops (regency_id, device_id, op_id, op_type, body_hash, "
               "applied_at) SELECT :r, {device}, gen_random_uuid()::text, 'responder.location', "
               "repeat('0', 64), now() FROM {rows}")
    db.session.execute(sa.text(receipt.format(
        device="d.id", rows="devices d, generate_series(1, 2) g WHERE d.id <> :busy")),
        {"r": regency_id, "busy": busy})
    db.session.execute(sa.text(receipt.format(device=":busy", rows="generate_series(1, :n)")),
                       {"r": regency_id, "busy": busy, "n": HEAVY})
    known = db.session.execute(sa.text(
        "SELECT op_id FROM sync_ops WHERE device_id = :busy LIMIT 3"), {"busy": busy}).scalars()
    db.session.commit()
    db.session.execute(sa.text("ANALYZE sync_ops"))

    op_ids = [*known, *(str(uuid.uuid4()) for _ in range(17))]  # a batch of 20, 3 applied
    plan = _prepared_plan(regency_id, busy, op_ids)
    scans = [n for n in _nodes(plan) if n["Node Type"].startswith(("Index", "Bitmap Index"))]
    assert scans, json.dumps(plan, indent=1)
    assert all("op_id" in n.get("Index Cond", "") for n in scans), json.dumps(plan, indent=1)
    read = sum(n.get("Rows Removed by Filter", 0) + n.get("Actual Rows", 0)
               for n in _nodes(plan))
    assert read < 100, json.dumps(plan, indent=1)           # not the phone's 20,000
    assert plan["Actual Rows"] == 3
    # And the app's own lookup finds exactly the stored ones.
    phone = SimpleNamespace(id=busy, regency_id=regency_id)
    assert sorted(_load_receipts(phone, op_ids)) == sorted(op_ids[:3])
