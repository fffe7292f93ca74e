"""Signed S1 from responder phones (PROTOCOL.md §13): a crew member's own SOS and a report
taken at the post reach the centre by SMS when the phone has no data — stored exactly once
whichever copy (SMS or /v1/sync) arrives first; who may send what is the sync op table's
rule."""
from __future__ import annotations

import hashlib
import uuid

import sqlalchemy as sa

from backend.db import utcnow
from backend.devices.models import Device
from backend.extensions import db
from backend.metrics.instruments import SMS_INBOUND
from backend.reports.models import Report
from backend.sms import service
from backend.sms.compact import CompactError, decode, encode, sms_key_from_device_key
from backend.sms.gateways import Inbound
from backend.sms.models import SmsMessage
from sync.models import SyncOp
from tests.helpers import count, fetch, now_iso, register, sync
from tests.sync.test_post_report import crew_phone, unit_id

CREW_NUMBER = "+6281355500011"


def _device_id(key: str) -> int:
    return fetch(sa.select(Device).where(
        Device.key_hash == hashlib.sha256(key.encode()).hexdigest()))[0].id


def _sos_op(**data) -> dict:
    return {"id": str(uuid.uuid4()), "type": "report.create", "at": now_iso(),
            "data": {"category": "accident", "note": "", "silent": False,
                     "location": {"lat": -2.9011, "lon": 103.8123, "accuracy_m": 9,
                                  "source": "gps"}, **data}}


def _post_op(**data) -> dict:
    return {"id": str(uuid.uuid4()), "type": "post.report", "at": now_iso(),
            "data": {"category": "health", "via": "phone", "note": "", "location": None,
                     **data}}


def _sms(key: str, op: dict, gateway_id: str | None = None) -> SmsMessage | None:
    text = encode(op, _device_id(key), sms_key_from_device_key(key))
    row = service.receive(Inbound(gateway_id or uuid.uuid4().hex, CREW_NUMBER, text,
                                  utcnow()), gateway_name="standin")
    db.session.commit()
    return row


def _out() -> int:
    return len(fetch(sa.select(SmsMessage).where(SmsMessage.direction == "out")))


def _reports() -> list[Report]:
    return fetch(sa.select(Report).order_by(Report.id))


def test_a_crew_sos_by_sms_then_by_sync_is_one_report(client, staff):
    key = crew_phone(client)
    op = _sos_op()
    row = _sms(key, op)
    assert (row.kind, row.error_code) == ("compact", None)
    (report,) = _reports()
    assert (report.source, report.device_id, report.category) == (
        "sms", _device_id(key), "accident")
    assert report.caller_phone == CREW_NUMBER and report.taken_by_unit_id is None
    replies = fetch(sa.select(SmsMessage).where(SmsMessage.direction == "out"))
    assert [m.text for m in replies] == [
        f"Siaga112: SOS Anda diterima, nomor laporan {report.ref}. Petugas 112 sedang "
        f"menangani."]
    # The app's copy (with the note the SMS could not carry) when data returns.
    result = sync(client, key, [dict(op, data=dict(op["data"], note="motor jatuh, kaki patah"))]
                  ).get_json()["results"][0]
    assert (result["status"], result["ref"]["report"]) == ("duplicate", report.ref)
    assert len(_reports()) == 1 and _reports()[0].note == "motor jatuh, kaki patah"
    # A replayed SMS is the same op again.
    assert _sms(key, op).report_id == report.id and len(_reports()) == 1
    assert _out() == 1      # answered once


def test_a_crew_sos_by_sync_then_by_sms_is_one_report(client, staff):
    key = crew_phone(client)
    op = _sos_op(silent=True)
    first = sync(client, key, [op]).get_json()["results"][0]
    assert first["status"] == "applied", first
    before = SMS_INBOUND.labels("compact", "duplicate")._value.get()
    row = _sms(key, op)
    assert row.report_id is not None and len(_reports()) == 1
    assert _reports()[0].ref == first["ref"]["report"] and _reports()[0].source == "app"
    assert SMS_INBOUND.labels("compact", "duplicate")._value.get() == before + 1
    assert _out() == 0      # silent: no SMS answer


def test_a_crew_phone_nobody_is_signed_in_to_still_gets_its_sos_through(client, staff):
    key = crew_phone(client)
    assert client.delete("/v1/responder/session",
                         headers={"Authorization": f"Bearer {key}"}).status_code in (200, 204)
    _sms(key, _sos_op())
    assert [r.source for r in _reports()] == ["sms"]
    # …but not a post report: it belongs to a unit's crew, as over /v1/sync.
    before = SMS_INBOUND.labels("compact", "compact_op_not_allowed")._value.get()
    row = _sms(key, _post_op())
    assert row.error_code == "compact_op_not_allowed" and row.report_id is None
    assert len(_reports()) == 1
    assert SMS_INBOUND.labels("compact", "compact_op_not_allowed")._value.get() == before + 1


def test_a_post_report_by_sms_then_by_sync_is_one_report_of_the_unit(client, staff):
    key = crew_phone(client)
    op = _post_op(via="walk_in", location={"lat": -2.8851, "lon": 103.8467,
                                            "accuracy_m": 30, "source": "manual"})
    row = _sms(key, op)
    assert row.error_code is None, row.parse
    (report,) = _reports()
    assert (report.source, report.taken_by_unit_id, report.taken_via) == (
        "post", unit_id(), "walk_in")
    assert report.location_source == "manual" and report.desa_code is not None
    assert report.caller_phone is None             # the visitor's number comes with the app
    (receipt,) = fetch(sa.select(SyncOp))
    assert (receipt.op_type, receipt.op_id) == ("post.report", op["id"])
    assert [m.text for m in fetch(sa.select(SmsMessage).where(
        SmsMessage.direction == "out"))] == [
        f"Siaga112: Laporan pos diterima, nomor laporan {report.ref}. Pusat 112 "
        f"menindaklanjuti."]
    full = dict(op, data=dict(op["data"], note="ibu hamil pendarahan",
                              caller_phone="+6281377001122"))
    result = sync(client, key, [full]).get_json()["results"][0]
    assert (result["status"], result["ref"]["report"]) == ("duplicate", report.ref)
    assert len(_reports()) == 1 and _reports()[0].note == "ibu hamil pendarahan"


def test_a_post_report_by_sync_then_by_sms_is_one_report(client, staff):
    key = crew_phone(client)
    op = _post_op(via="phone")
    assert sync(client, key, [op]).get_json()["results"][0]["status"] == "applied"
    row = _sms(key, op)
    assert row.report_id == _reports()[0].id and len(_reports()) == 1


def test_a_citizen_phone_cannot_send_a_post_report_by_sms(client, staff):
    key = register(client)
    row = _sms(key, _post_op())
    assert row.error_code == "compact_op_not_allowed" and _reports() == []
    assert count("sync_ops") == 0


def test_a_revoked_or_unknown_device_is_still_refused(client, staff):
    key = crew_phone(client)
    db.session.execute(sa.update(Device).where(Device.id == _device_id(key))
                       .values(revoked_at=utcnow()))
    db.session.commit()
    assert _sms(key, _sos_op()).error_code == "compact_unknown_device"
    assert _reports() == []


def test_the_flags_digit_round_trips_and_refuses_both_post_bits(client, staff):
    key = crew_phone(client)
    for via, silent, digit in (("phone", False, "2"), ("phone", True, "3"),
                               ("walk_in", False, "4"), ("walk_in", True, "5")):
        text = encode(_post_op(via=via, silent=silent), 7, sms_key_from_device_key(key))
        assert text.split(" ")[3][1] == digit
        sos = decode(text)
        assert (sos.op_type, sos.post_via, sos.silent) == ("post.report", via, silent)
    assert decode(encode(_sos_op(), 7, b"k")).op_type == "report.create"
    text = encode(_sos_op(), 7, b"k").split(" ")
    text[3] = text[3][0] + "6"
    try:
        decode(" ".join(text))
    except CompactError as exc:
        assert exc.code == "garbled"
    else:
        raise AssertionError("flags 6 decoded")
