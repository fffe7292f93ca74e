"""SMS become reports, through the real gammu-smsd (dummy phone): a compact SOS and a plain
text each become one report and are answered by SMS (read back from the modem's sent
folder); the SOS that travels both ways (SMS and /v1/sync) is stored once whichever copy
comes first; a forged SOS creates nothing and is counted."""
from __future__ import annotations

import hashlib
import os

import sqlalchemy as sa

from backend.devices.models import Device
from backend.extensions import db
from backend.metrics.instruments import SMS_INBOUND
from backend.reports.models import Report
from backend.sms.compact import encode, sms_key_from_device_key
from backend.sms.gateways.gammu import parse_backup
from backend.sms.intake import reply_sos
from backend.sms.models import SmsMessage
from backend.sms.service import gateway_round
from sync.models import SyncOp
from tests.helpers import create_op, fetch, register, sync

PHONE = "+6281311112222"


def _device_id(key: str) -> int:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return fetch(sa.select(Device.id).where(Device.key_hash == digest))[0]


def _s1(key: str, op: dict) -> str:
    return encode(op, _device_id(key), sms_key_from_device_key(key))


def _deliver(smsd, text: str, number: str = PHONE) -> None:
    before = len(smsd.files("processed"))
    smsd.phone_receives(number, text)
    smsd.wait_for("inbox", 1)
    assert gateway_round()["received"] == 1
    assert len(smsd.files("processed")) == before + 1


def _sent(smsd, count: int) -> list[tuple[str, str]]:
    names = smsd.wait_for("sent", count)
    return [parse_backup(open(os.path.join(smsd.path("sent"), n)).read())[:2] for n in names]


def _reports() -> list[Report]:
    return fetch(sa.select(Report).order_by(Report.id))


def inbound() -> list[SmsMessage]:
    return fetch(sa.select(SmsMessage).where(SmsMessage.direction == "in")
                 .order_by(SmsMessage.id))


def _counted(kind: str, result: str) -> float:
    return SMS_INBOUND.labels(kind, result)._value.get()


def test_a_compact_sos_becomes_one_report_and_is_answered_by_sms(gammu_app, smsd, client):
    key = register(client)
    op = create_op(category="health")
    before = _counted("compact", "created")
    _deliver(smsd, _s1(key, op))

    (report,) = _reports()
    assert report.source == "sms" and report.client_op_id == op["id"]
    assert report.device_id == _device_id(key) and report.category == "health"
    assert (report.lat, report.lon, report.accuracy_m) == (-2.8851, 103.8467, 12)
    assert report.desa_code is not None and report.note == ""     # placed; no note by SMS
    (row,) = inbound()
    assert row.report_id == report.id and row.kind == "compact" and row.status == "processed"
    assert [(n, t) for n, t in _sent(smsd, 1)] == [(PHONE, reply_sos(report.ref))]
    assert len(reply_sos(report.ref)) <= 160 and reply_sos(report.ref).isascii()
    assert _counted("compact", "created") == before + 1


def test_sms_first_then_sync_is_a_duplicate_with_the_same_ref(gammu_app, smsd, client):
    key = register(client)
    op = create_op(category="fire")            # the app's copy has a note; the SMS has none
    _deliver(smsd, _s1(key, op))
    (report,) = _reports()

    result = sync(client, key, [op]).get_json()["results"][0]
    assert result == {"id": op["id"], "status": "duplicate", "ref": {"report": report.ref}}
    again = sync(client, key, [op]).get_json()["results"][0]
    assert again["status"] == "duplicate" and again["ref"] == {"report": report.ref}
    (stored,) = _reports()
    assert stored.note == op["data"]["note"]    # the app's copy brings the note the SMS lacked
    assert stored.source == "sms" and stored.lat == report.lat
    assert len(fetch(sa.select(SyncOp).where(SyncOp.op_id == op["id"]))) == 1

    # The same SMS again (the phone resent it, or someone replays it): the same report, and
    # no second reply.
    before = _counted("compact", "duplicate")
    _deliver(smsd, _s1(key, op))
    assert len(_reports()) == 1 and [r.report_id for r in inbound()] == [report.id] * 2
    assert _counted("compact", "duplicate") == before + 1
    gateway_round()
    assert len(_sent(smsd, 1)) == 1


def test_sync_first_then_sms_links_the_message_to_the_report(gammu_app, smsd, client):
    key = register(client)
    op = create_op(category="accident")
    first = sync(client, key, [op]).get_json()["results"][0]
    assert first["status"] == "applied"

    _deliver(smsd, _s1(key, op))
    (report,) = _reports()
    assert report.ref == first["ref"]["report"] and report.source == "app"
    assert report.note == op["data"]["note"]                       # the app's copy stands
    (row,) = inbound()
    assert row.report_id == report.id and row.error_code is None
    # The phone asked by SMS, so it hears the number by SMS too (it may have lost the
    # sync answer).
    assert _sent(smsd, 1) == [(PHONE, reply_sos(report.ref))]
    assert sync(client, key, [op]).get_json()["results"][0]["status"] == "duplicate"


def test_a_plain_text_sms_becomes_a_report_with_a_reply(gammu_app, smsd):
    _deliver(smsd, "KEBAKARAN rumah di desa Kayu Ara tolong cepat", number="081234567890")
    (report,) = _reports()
    assert report.source == "sms_text" and report.caller_phone == "+6281234567890"
    assert report.category == "fire" and report.desa_code is not None
    assert report.note == "KEBAKARAN rumah di desa Kayu Ara tolong cepat"
    assert report.device_id is None and report.place_said is None
    ((number, text),) = _sent(smsd, 1)
    assert number == "+6281234567890" and report.ref in text
    assert "Operator 112 akan menelepon" in text and len(text) <= 160 and text.isascii()


def test_a_forged_compact_sos_creates_nothing_and_is_counted(gammu_app, smsd, client):
    key = register(client)
    genuine = _s1(key, create_op())
    forged = genuine[:-16] + ("A" if genuine[-16] != "A" else "B") + genuine[-15:]
    other_key = _s1(register(client), create_op())                # signed by another device
    impostor = " ".join(other_key.split(" ")[:1] + genuine.split(" ")[1:2]
                        + other_key.split(" ")[2:])
    before = _counted("compact", "compact_bad_mac")
    _deliver(smsd, forged)
    _deliver(smsd, impostor)
    _deliver(smsd, genuine[:40])                                      # cut short
    assert _reports() == []
    rows = inbound()
    assert [r.error_code for r in rows] == ["compact_bad_mac", "compact_bad_mac",
                                             "compact_truncated"]
    assert all(r.report_id is None for r in rows)
    assert _counted("compact", "compact_bad_mac") == before + 2
    gateway_round()
    assert fetch(sa.select(SmsMessage).where(SmsMessage.direction == "out")) == []
    assert smsd.files("sent") == [] and smsd.files("outbox") == []
