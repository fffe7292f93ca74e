"""Plain-text SMS as reports, whatever the gateway: the sender's number, the parser's
category and desa (ambiguous names kept as candidates for the operator, never a guess),
flooding numbers flagged and not answered, blocked numbers never reported; the operator sees
the original text in the report detail and answers it by SMS (audited)."""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.db import utcnow
from backend.extensions import db
from backend.reports.models import Report
from backend.sms import service
from backend.sms.gateways import Inbound
from backend.sms.models import SmsMessage
from tests.helpers import Console, fetch


def _receive(number: str, text: str) -> None:
    service.receive(Inbound(uuid.uuid4().hex, number, text, utcnow()), gateway_name="standin")
    db.session.commit()


def _reports() -> list[Report]:
    return fetch(sa.select(Report).order_by(Report.id))


def _out() -> list[SmsMessage]:
    return fetch(sa.select(SmsMessage).where(SmsMessage.direction == "out")
                 .order_by(SmsMessage.id))


def test_an_ambiguous_desa_is_no_desa_and_the_candidates_are_shown(app, client, staff):
    _receive("0812-1111-2222", "kebakaran di desa mekar jaya")
    (report,) = _reports()
    assert report.source == "sms_text" and report.category == "fire"
    assert report.desa_code is None and report.lat is None
    assert report.place_said.count("Mekar Jaya") == 4 and report.place_said.endswith("?")

    console = Console(client, "operator1")
    detail = console.get(f"/v1/operator/reports/{report.ref}").get_json()
    assert detail["report"]["place_said"] == report.place_said
    assert detail["report"]["source"] == "sms_text"
    (original, reply) = detail["sms"]
    assert original["text"] == "kebakaran di desa mekar jaya" and original["direction"] == "in"
    assert {c["code"] for c in original["parse"]["candidates"]} == {
        "16.06.08.2005", "16.06.09.2058", "16.06.11.2027", "16.06.15.2011"}
    assert reply["direction"] == "out" and reply["report"] == report.ref
    assert "akan menelepon" in reply["text"]


def test_unknown_words_are_other_and_wait_for_the_operator(app):
    _receive("+6281311112222", "tolong pak cepat kesini")
    (report,) = _reports()
    assert report.category == "other" and report.caller_phone == "+6281311112222"
    assert report.note == "tolong pak cepat kesini" and report.desa_code is None


def test_over_the_limit_text_is_a_flooded_report_without_reply(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_LIMIT_PER_NUMBER", "2/minute")
    for i in range(4):
        _receive("081234567890", f"banjir di desa Kayu Ara {i}")
    reports = _reports()
    assert [r.flooded for r in reports] == [False, False, True, True]
    assert len(_out()) == 2                    # a flood is not answered message by message


def test_a_blocked_number_creates_nothing(app, client, staff):
    console = Console(client, "operator1")
    assert console.post("/v1/operator/sms/blocked", json={
        "number": "081234567890", "reason": "prank, every night"}).status_code == 201
    _receive("+6281234567890", "KEBAKARAN di Sekayu")
    assert _reports() == [] and _out() == []


def test_the_operator_answers_a_report_by_sms_audited(app, client, staff):
    _receive("081234567890", "kecelakaan motor di desa Kayu Ara")
    (report,) = _reports()
    console = Console(client, "operator1")
    sent = console.post(f"/v1/operator/reports/{report.ref}/sms",
                        json={"text": "Ambulans menuju lokasi. Tetap di tempat."})
    assert sent.status_code == 201, sent.get_json()
    body = sent.get_json()
    assert body["number"] == "+6281234567890" and body["status"] == "queued"
    assert body["report"] == report.ref
    events = fetch(sa.select(AuditEvent).where(AuditEvent.action == "sms.reply"))
    assert [e.entity_id for e in events] == [report.ref]
    assert events[0].after["text"] == "Ambulans menuju lokasi. Tetap di tempat."

    empty = console.post(f"/v1/operator/reports/{report.ref}/sms", json={"text": ""})
    assert empty.status_code == 422 and empty.get_json()["error"]["code"]
    missing = console.post("/v1/operator/reports/R-999999/sms", json={"text": "halo"})
    assert missing.status_code == 404
    assert len(_out()) == 2                    # the automatic reply and the operator's

    admin = Console(app.test_client(), "admin")        # sees reports, does not triage
    assert admin.post(f"/v1/operator/reports/{report.ref}/sms",
                      json={"text": "x"}).status_code == 403
