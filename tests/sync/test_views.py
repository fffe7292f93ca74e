"""POST /v1/sync over HTTP: per-op results, idempotency, rejections, whole-request errors."""
from __future__ import annotations

import gzip
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.reports.models import Report
from tests.helpers import count, create_op, fetch, now_iso, register, row_counts, sos, sync


def test_create_applies_and_returns_receipt(client):
    key = register(client)
    op = create_op(silent=True)
    response = sync(client, key, [op])
    assert response.status_code == 200
    assert response.headers["Siaga-Sync"] == "1"
    body = response.get_json()
    assert body["protocol"] == 1
    assert body["results"] == [{"id": op["id"], "status": "applied", "ref": {"report": "R-000001"}}]
    report, = fetch(sa.select(Report))
    assert (report.category, report.status, report.lat, report.lon, report.silent) == (
        "fire", "received", -2.8851, 103.8467, True)
    assert report.client_op_id == op["id"] and report.regency_id is not None
    assert count("sync_ops") == 1
    # The device's registration and the report's creation (a first run on a fresh database
    # may also hold the areas' import by the seed: not this device's doing).
    actions = fetch(sa.select(AuditEvent.action).where(AuditEvent.action != "areas.import"))
    assert sorted(actions) == ["device.register", "report.create"]
    assert [c["data"] for c in body["changes"]] == []  # own txn's changes come next pull


def test_retry_after_lost_response_is_not_duplicated(client):
    key = register(client)
    ops = [create_op(), create_op(category="health")]
    first = sync(client, key, ops).get_json()
    # The response never reached the phone: it sends the very same batch again.
    second = sync(client, key, ops).get_json()
    assert [r["status"] for r in second["results"]] == ["duplicate", "duplicate"]
    assert [r["ref"] for r in second["results"]] == [r["ref"] for r in first["results"]]
    assert count("reports") == 2 and count("sync_ops") == 2


def test_same_id_different_body_is_conflict_and_first_write_stands(client):
    key = register(client)
    op = create_op(category="fire")
    sync(client, key, [op])
    altered = dict(op, data=dict(op["data"], category="riot"))
    result = sync(client, key, [altered]).get_json()["results"][0]
    assert result["status"] == "conflict" and result["code"] == "id_reused_with_different_body"
    assert [r.category for r in fetch(sa.select(Report))] == ["fire"]


def test_key_order_and_whitespace_do_not_make_a_conflict(client):
    key = register(client)
    op = create_op()
    sync(client, key, [op])
    reordered = {"data": dict(reversed(list(op["data"].items()))), "at": op["at"],
                 "type": op["type"], "id": op["id"]}
    assert sync(client, key, [reordered]).get_json()["results"][0]["status"] == "duplicate"


def test_repeated_id_inside_one_batch(client):
    key = register(client)
    op = create_op()
    other = dict(op, data=dict(op["data"], note="beda"))
    results = sync(client, key, [op, op, other]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "duplicate", "conflict"]
    assert results[0]["ref"] == results[1]["ref"]
    assert count("reports") == 1


BAD_OPS = [
    ({"id": "not-a-uuid", "type": "report.create", "at": "2026-11-29T03:00:00Z",
      "data": {"category": "fire"}}, "invalid_op_id"),
    ({"type": "report.create", "at": "2026-11-29T03:00:00Z", "data": {}}, "invalid_op_id"),
    ("just a string", "invalid_op"),
    ({"id": str(uuid.uuid4()), "type": "report.create", "at": "yesterday",
      "data": {"category": "fire"}}, "invalid_op"),
    ({"id": str(uuid.uuid4()), "type": "report.create", "at": "2026-11-29T03:00:00",
      "data": {"category": "fire"}}, "invalid_op"),  # no timezone
    ({"id": str(uuid.uuid4()), "type": "teleport", "at": "2026-11-29T03:00:00Z",
      "data": {}}, "unknown_op_type"),
    ({"id": str(uuid.uuid4()), "type": "dispatch.ack", "at": "2026-11-29T03:00:00Z",
      "data": {"dispatch": 1}}, "op_not_allowed"),
]


@pytest.mark.parametrize("bad,code", BAD_OPS)
def test_invalid_op_is_rejected_and_does_not_block_the_queue(client, bad, code):
    key = register(client)
    good_before, good_after = create_op(), create_op()
    results = sync(client, key, [good_before, bad, good_after]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["code"] == code and results[1]["message"]
    assert count("reports") == 2


@pytest.mark.parametrize("data,code", [
    ({"category": "alien_invasion"}, "invalid_category"),
    ({"category": 7}, "invalid_category"),
    ({}, "invalid_category"),
    ({"category": "fire", "location": {"lat": 91, "lon": 103}}, "invalid_location"),
    ({"category": "fire", "location": {"lat": -2.8, "lon": 181}}, "invalid_location"),
    ({"category": "fire", "location": {"lat": "-2.8", "lon": 103.8}}, "invalid_location"),
    ({"category": "fire", "location": {"lat": True, "lon": 103.8}}, "invalid_location"),
    ({"category": "fire", "location": {"lat": -2.8}}, "invalid_location"),
    ({"category": "fire", "location": {"lat": -2.8, "lon": 103.8, "accuracy_m": -1}},
     "invalid_location"),
    ({"category": "fire", "location": {"lat": -2.8, "lon": 103.8, "source": "dowsing"}},
     "invalid_location"),
    ({"category": "fire", "location": "here"}, "invalid_location"),
    ({"category": "fire", "note": "x" * 1001}, "invalid_data"),
    ({"category": "fire", "note": 12}, "invalid_data"),
    ({"category": "fire", "silent": "yes"}, "invalid_data"),
    # PostgreSQL cannot store NUL: a 5xx here would make the phone retry this op forever.
    ({"category": "fire", "note": "api\u0000"}, "invalid_data"),
])
def test_invalid_report_data_is_rejected_with_stable_code(client, data, code):
    key = register(client)
    op = {"id": str(uuid.uuid4()), "type": "report.create", "at": now_iso(), "data": data}
    result = sync(client, key, [op]).get_json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", code), result
    assert result["details"]
    assert count("reports") == 0 and count("sync_ops") == 0


def test_report_without_location_is_accepted(client):
    key = register(client)
    op = {"id": str(uuid.uuid4()), "type": "report.create", "at": now_iso(),
          "data": {"category": "health", "location": None}}
    assert sync(client, key, [op]).get_json()["results"][0]["status"] == "applied"
    assert fetch(sa.select(Report))[0].lat is None


def test_unknown_fields_from_newer_apps_are_ignored(client):
    key = register(client)
    op = create_op(battery_pct=4)
    op["priority_hint"] = "high"
    result = sync(client, key, [op]).get_json()["results"][0]
    assert result["status"] == "applied"


def test_cancel_and_update_note(client):
    key = register(client)
    create = create_op()
    sync(client, key, [create])
    note = {"id": str(uuid.uuid4()), "type": "report.update_note", "at": now_iso(),
            "data": {"report": create["id"], "note": "dua rumah terbakar"}}
    cancel = {"id": str(uuid.uuid4()), "type": "report.cancel", "at": now_iso(),
              "data": {"report": create["id"], "reason": "sudah padam"}}
    results = sync(client, key, [note, cancel]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[1]["ref"] == {"report": "R-000001"}
    report, = fetch(sa.select(Report))
    assert (report.status, report.note, report.status_reason) == (
        "cancelled", "dua rumah terbakar", "sudah padam")
    # The reporter's phone learns the new status on its next pull.
    changes = sync(client, key).get_json()["changes"]
    assert [c["data"]["status"] for c in changes] == ["received", "cancelled"]


def test_cancel_twice_is_invalid_transition_and_leaves_no_receipt(client):
    key = register(client)
    create = create_op()
    cancel = {"id": str(uuid.uuid4()), "type": "report.cancel", "at": now_iso(),
              "data": {"report": create["id"]}}
    again = dict(cancel, id=str(uuid.uuid4()))
    note_late = {"id": str(uuid.uuid4()), "type": "report.update_note", "at": now_iso(),
                 "data": {"report": create["id"], "note": "terlambat"}}
    results = sync(client, key, [create, cancel, again, note_late]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"]
    assert results[2]["code"] == results[3]["code"] == "invalid_transition"
    assert count("sync_ops") == 2


def test_cannot_touch_another_devices_report(client):
    owner, intruder = register(client), register(client)
    create = create_op()
    sync(client, owner, [create])
    cancel = {"id": str(uuid.uuid4()), "type": "report.cancel", "at": now_iso(),
              "data": {"report": create["id"]}}
    result = sync(client, intruder, [cancel]).get_json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "report_not_found")
    assert fetch(sa.select(Report))[0].status == "received"


def test_same_op_id_from_two_devices_is_two_reports(client):
    a, b = register(client), register(client)
    op = create_op()
    assert sync(client, a, [op]).get_json()["results"][0]["status"] == "applied"
    assert sync(client, b, [op]).get_json()["results"][0]["status"] == "applied"
    assert count("reports") == 2


def test_clock_skew_is_corrected_and_flagged(client):
    key = register(client)
    now = datetime.now(timezone.utc)
    behind = timedelta(hours=5)
    op = create_op()
    op["at"] = (now - behind - timedelta(minutes=30)).isoformat()
    body = sync(client, key, [op], device_time=(now - behind).isoformat()).get_json()
    assert body["clock"]["flagged"] is True
    assert body["clock"]["offset_ms"] == pytest.approx(behind.total_seconds() * 1000, abs=5000)
    report, = fetch(sa.select(Report))
    assert report.clock_skew_flagged and report.time_source == "device_corrected"
    assert abs(report.captured_at - (now - timedelta(minutes=30))) < timedelta(seconds=5)
    assert report.device_captured_at == datetime.fromisoformat(op["at"])


def test_gzip_body_is_accepted(client):
    key = register(client)
    ops = [create_op() for _ in range(20)]
    raw = json.dumps({"protocol": 1, "device_time": now_iso(), "cursor": None, "ops": ops})
    response = client.post("/v1/sync", data=gzip.compress(raw.encode()), headers={
        "Authorization": f"Bearer {key}", "Content-Encoding": "gzip",
        "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_json()
    assert count("reports") == 20


# ---- whole-request errors: structured 4xx, nothing written ----

def _post(client, key, data, **headers):
    return client.post("/v1/sync", data=data, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers})


def _envelope(**overrides):
    return {"protocol": 1, "device_time": now_iso(), "cursor": None,
            "ops": [create_op()], **overrides}


WHOLE_REQUEST_ERRORS = [
    ("malformed json", lambda: b'{"protocol": 1, "ops": [', {}, 400, "malformed_json"),
    ("empty body", lambda: b"", {}, 400, "malformed_json"),
    ("not utf-8", lambda: b'{"protocol": 1, "x": "\xff"}', {}, 400, "malformed_json"),
    ("NaN", lambda: json.dumps(_envelope()).replace('"accuracy_m": 12', '"accuracy_m": NaN')
     .encode(), {}, 400, "malformed_json"),
    ("Infinity", lambda: json.dumps(_envelope()).replace('-2.8851', 'Infinity').encode(), {},
     400, "malformed_json"),
    ("array body", lambda: b"[1, 2]", {}, 422, "validation_error"),
    ("protocol 2", lambda: json.dumps(_envelope(protocol=2)).encode(), {}, 400,
     "unsupported_protocol"),
    ("protocol as string", lambda: json.dumps(_envelope(protocol="1")).encode(), {}, 400,
     "unsupported_protocol"),
    ("ops not a list", lambda: json.dumps(_envelope(ops={"a": 1})).encode(), {}, 422,
     "validation_error"),
    ("device_time missing", lambda: json.dumps(
        {k: v for k, v in _envelope().items() if k != "device_time"}).encode(), {}, 422,
     "validation_error"),
    ("device_time garbage", lambda: json.dumps(_envelope(device_time=12)).encode(), {}, 422,
     "validation_error"),
    ("bad cursor", lambda: json.dumps(_envelope(cursor="'; DROP TABLE reports")).encode(), {},
     422, "invalid_cursor"),
    ("too many ops", lambda: json.dumps(_envelope(ops=[create_op() for _ in range(101)]))
     .encode(), {}, 413, "too_many_ops"),
    ("oversized body", lambda: json.dumps(_envelope(ops=[create_op(note="x" * 900)] * 95))
     .encode() + b" " * 300_000, {}, 413, "payload_too_large"),
    ("gzip bomb", lambda: gzip.compress(b"[" + b" " * 50_000_000 + b"]"),
     {"Content-Encoding": "gzip"}, 413, "payload_too_large"),
    ("broken gzip", lambda: b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}, 400,
     "malformed_gzip"),
    ("truncated gzip", lambda: gzip.compress(json.dumps(_envelope()).encode())[:-12],
     {"Content-Encoding": "gzip"}, 400, "malformed_gzip"),
    ("brotli", lambda: b"xx", {"Content-Encoding": "br"}, 415, "unsupported_content_encoding"),
    ("text/plain", lambda: json.dumps(_envelope()).encode(), {"Content-Type": "text/plain"},
     415, "unsupported_media_type"),
    ("form", lambda: b"protocol=1", {"Content-Type": "application/x-www-form-urlencoded"},
     415, "unsupported_media_type"),
    # Matches the published pattern, exceeds the 64-bit columns: a 4xx the phone recovers
    # from (cursor: null), never a 5xx it retries forever.
    ("cursor beyond 64 bits", lambda: json.dumps(_envelope(
        cursor="c1.9999999999999999999.9999999999999999999")).encode(), {}, 422,
     "invalid_cursor"),
    ("NUL in device_time", lambda: json.dumps(_envelope(
        device_time="2026-11-29T10:00:00Z\u0000 ignored")).encode(), {}, 422,
     "validation_error"),
    ("junk after device_time", lambda: json.dumps(_envelope(
        device_time="2026-11-29T10:00:00Z99")).encode(), {}, 422, "validation_error"),
]


@pytest.mark.parametrize("name,body,headers,status,code", WHOLE_REQUEST_ERRORS,
                         ids=[e[0] for e in WHOLE_REQUEST_ERRORS])
def test_whole_request_errors_are_structured_and_write_nothing(client, name, body, headers,
                                                               status, code):
    key = register(client)
    before = row_counts()
    response = _post(client, key, body(), **headers)
    assert response.status_code == status, response.get_data()[:300]
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]
    assert response.headers["Siaga-Sync"] == "1"
    assert row_counts() == before


@pytest.mark.parametrize("auth,code", [
    (None, "missing_device_key"),
    ("Basic dXNlcjpwYXNz", "missing_device_key"),
    ("Bearer sk1_not-a-real-key", "invalid_device_key"),
])
def test_missing_or_bad_key_is_401_and_writes_nothing(client, auth, code):
    before = row_counts()
    headers = {"Authorization": auth} if auth else {}
    response = client.post("/v1/sync", json=_envelope(), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == code
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert row_counts() == before


def test_revoked_key_is_refused(client):
    key = register(client)
    assert client.delete("/v1/devices/me", headers={"Authorization": f"Bearer {key}"}
                         ).status_code == 204
    before = row_counts()
    response = sync(client, key, [create_op()])
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "revoked_device_key"
    assert row_counts() == before


def test_database_trouble_is_a_retryable_503(client, monkeypatch):
    from sync import views as sync_views

    def broken(**kwargs):
        raise sa.exc.OperationalError("INSERT ...", {}, Exception("server closed the connection"))

    key = register(client)
    monkeypatch.setattr(sync_views, "apply_ops", broken)
    response = sync(client, key, [create_op()])
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"] == "5"
    assert count("reports") == 0


def test_a_gzipped_batch_of_twenty_sos_costs_a_few_hundred_bytes_each():
    """The weak-signal budget of SYNC_PROTOCOL.md: one SOS fits a 10 kbit/s link easily."""
    import random

    ops = [create_op(lat=-2.8 - random.random(), lon=103.8 + random.random(),
                     note="kebakaran rumah warga") for _ in range(20)]
    body = gzip.compress(json.dumps({"protocol": 1, "device_time": now_iso(), "cursor": None,
                                     "ops": ops}, separators=(",", ":")).encode())
    assert len(body) / 20 < 300
    single = gzip.compress(json.dumps({"protocol": 1, "device_time": now_iso(), "cursor": None,
                                       "ops": ops[:1]}, separators=(",", ":")).encode())
    assert len(single) * 8 / 10_000 < 1.0  # under a second of a 10 kbit/s link


def test_every_element_of_ops_gets_its_own_answer_whatever_its_json_type(client):
    """A queue holding one null (or a number, a list...) must never be stuck for good."""
    key = register(client)
    good = create_op()
    ops = [None, 1, "x", [], {}, True, good]
    results = sync(client, key, ops).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 6 + ["applied"]
    assert [r["code"] for r in results[:6]] == ["invalid_op"] * 4 + ["invalid_op_id", "invalid_op"]
    assert results[6]["id"] == good["id"] and count("reports") == 1


@pytest.mark.parametrize("name,op", [
    ("integer as boolean", lambda: create_op(silent=1)),
    ("string as boolean", lambda: create_op(silent="true")),
    ("NUL in the op time", lambda: dict(create_op(), at="2026-11-29T10:00:00Z\x00junk")),
    ("escape character in the note", lambda: create_op(note="api \x1b[2J")),
    ("NUL in the note", lambda: create_op(note="api\x00")),
])
def test_strict_types_and_no_control_characters_per_op(client, name, op):
    key = register(client)
    result, = sync(client, key, [op()]).get_json()["results"]
    assert result["status"] == "rejected", result
    assert count("reports") == 0


def test_line_breaks_in_a_note_are_free_text_and_kept(client):
    key = register(client)
    ref = sos(client, key, note="rumah terbakar\ndekat masjid")
    assert ref and fetch(sa.select(Report.note)) == ["rumah terbakar\ndekat masjid"]
