"""The rows a synced SOS leaves — report, `report.status` change, audit event, receipt — hold
exactly what was sent, whichever way the dialect writes them (on PostgreSQL: fixed statements
whose rows travel as one JSON parameter per table, backend/reports/service.py)."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.db import utcnow
from backend.devices.models import Device
from backend.extensions import db
from backend.feed.models import Change
from backend.reports.models import Report
from backend.reports.service import NewReport, create_reports
from sync.apply import body_hash
from sync.models import SyncOp
from tests.helpers import count, create_op, fetch, register, sync

NOTE = 'Tolong! "api" di dapur\\gudang\n\tlantai 2 — 🔥 {"a": [1]} \'kutip\' é'


def test_every_row_of_a_synced_batch_holds_what_was_sent(client):
    key = register(client)
    ops = [create_op(note=NOTE, silent=True, lat=-2.885123456789012, lon=103.846712345678901),
           create_op(category="health", lat=-2.7001, lon=103.9002),
           {**create_op(), "data": {"category": "accident", "location": None}}]
    ops[0]["at"] = "2026-11-29T10:11:12.345678+07:00"
    results = sync(client, key, ops).get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3
    refs = [r["ref"]["report"] for r in results]

    reports = {r.client_op_id: r for r in fetch(sa.select(Report))}
    first, second, third = (reports[op["id"]] for op in ops)
    assert (first.note, first.silent, first.category) == (NOTE, True, "fire")
    assert (first.lat, first.lon) == (-2.885123456789012, 103.846712345678901)  # exact floats
    assert first.accuracy_m == 12.0 and first.location_source == "gps"
    assert first.device_captured_at == datetime.fromisoformat(ops[0]["at"])  # to the µs
    assert (second.category, second.silent, second.note) == ("health", False,
                                                             ops[1]["data"]["note"])
    assert (third.lat, third.lon, third.location_source, third.desa_code) == (None,) * 4
    for report in (first, second, third):
        assert (report.source, report.status, report.test, report.flooded) == \
            ("app", "received", False, False)
    assert first.desa_code and first.kecamatan_code and first.place_distance_m is not None
    assert [r.ref for r in (first, second, third)] == refs  # results in the ops' order

    changes = {c.data["report"]: c for c in fetch(sa.select(Change))}
    assert changes[refs[0]].type == "report.status"
    assert changes[refs[0]].data["status"] == "received"
    assert changes[refs[0]].data["place"].startswith(("Desa ", "Kel. "))
    assert "place" not in changes[refs[2]].data  # nowhere to name
    assert changes[refs[0]].device_id == first.device_id

    events = {e.entity_id: e for e in fetch(sa.select(AuditEvent))}
    assert events[refs[0]].action == "report.create"
    assert events[refs[0]].after == {"category": "fire", "status": "received"}
    assert events[refs[0]].before is None
    assert events[refs[0]].device_at == first.device_captured_at

    receipts = {s.op_id: s for s in fetch(sa.select(SyncOp))}
    for op, report in zip(ops, (first, second, third)):
        assert (receipts[op["id"]].op_type, receipts[op["id"]].report_id) == \
            ("report.create", report.id)
        assert receipts[op["id"]].body_hash == body_hash(op)


@pytest.mark.postgres_only
def test_a_value_longer_than_its_column_is_refused_not_cut(client, app):
    """Strings travel as text and only the INSERT into the column checks their length: a
    cast on the way would cut a long value short without a word."""
    register(client)
    with app.app_context():
        device = db.session.scalars(sa.select(Device)).one()
        before = count("reports")
        report = NewReport(category="fire", note="", silent=False, lat=None, lon=None,
                           accuracy_m=None, location_source=None, location_fix_at=None,
                           device_captured_at=None, captured_at=utcnow(),
                           time_source="server", client_op_id=str(uuid.uuid4()),
                           place_said="x" * 201)  # reports.place_said is varchar(200)
        with pytest.raises(sa.exc.DataError):
            create_reports(regency_id=device.regency_id, device=device,
                           actor=("device", device.id), reports=[report],
                           receipts=[("report.create", "0" * 64)])
        db.session.rollback()
        assert count("reports") == before
