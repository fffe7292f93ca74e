"""The Android gateway phone driver: signed webhooks in (401 / once / 422), and replies out
through its send API — here the SMS stand-in, a real HTTP server speaking that API."""
from __future__ import annotations

import json
import time

import pytest

from backend.extensions import db
from backend.sms.gateways.standin import SmsStandIn
from backend.sms.gateways.webhook import WebhookGateway, signature
from backend.sms.models import SmsMessage
from backend.sms.service import gateway_round, queue_sms
from tests.helpers import row_counts
from tests.sms.helpers import inbound, regency_id

SECRET = "s3cret-signing-key"


def _event(event_id="Ey6ECgOkVVFjz3CL48B8C", text="Tolong ada kecelakaan di Sungai Lilin",
           number="6281234567890", **extra):
    return {"deviceId": "ffffffffceb0b1db00000193991c27e5", "event": "sms:received",
            "id": event_id, "webhookId": "LreFUt-Z3sSq0JufY9uWB",
            "payload": {"messageId": "69bde8d0", "message": text, "phoneNumber": number,
                        "simNumber": 1, "receivedAt": "2026-11-29T21:46:11.000+07:00"},
            **extra}


def _post(client, event, *, secret=SECRET, stamp=None, body=None):
    body = body if body is not None else json.dumps(event).encode()
    stamp = stamp or str(int(time.time()))
    return client.post("/v1/sms/webhook", data=body, content_type="application/json",
                       headers={"X-Timestamp": stamp,
                                "X-Signature": signature(secret, body, stamp)})


@pytest.fixture
def webhook_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_WEBHOOK_SECRET", SECRET)
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "webhook")
    return app


@pytest.fixture
def standin(webhook_app, monkeypatch):
    server = SmsStandIn()
    server.start()
    monkeypatch.setitem(webhook_app.extensions, "siaga.sms",
                        WebhookGateway(server.url + "/message", "siaga:pw"))
    yield server
    server.stop()


def test_a_signed_delivery_is_stored_and_answered_after_commit(webhook_app, client):
    response = _post(client, _event())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["stored"] is True
    (row,) = inbound()
    assert row.id == body["sms_id"] and row.gateway == "webhook"
    assert row.gateway_id == "Ey6ECgOkVVFjz3CL48B8C"
    assert row.number == "+6281234567890" and row.kind == "text"
    assert row.parse["category"] == "accident"
    assert row.received_at.isoformat() == "2026-11-29T14:46:11+00:00"


def test_a_duplicate_delivery_is_stored_once(webhook_app, client):
    assert _post(client, _event()).get_json()["stored"] is True
    again = _post(client, _event())                          # the app retried
    assert again.status_code == 200 and again.get_json() == {"stored": False, "sms_id": None}
    # Same text, same content-based messageId, another event: a second SMS, kept.
    other = _post(client, _event(event_id="zzZ4oiiZZRm-h_A3mrp2"))
    assert other.get_json()["stored"] is True
    assert len(inbound()) == 2


@pytest.mark.parametrize("fault", ["no_signature", "wrong_key", "stale", "tampered",
                                   "no_secret_configured"])
def test_an_unauthenticated_delivery_is_401_and_writes_nothing(webhook_app, client, fault,
                                                               monkeypatch):
    before = row_counts()
    body = json.dumps(_event()).encode()
    if fault == "no_signature":
        response = client.post("/v1/sms/webhook", data=body, content_type="application/json")
    elif fault == "wrong_key":
        response = _post(client, None, body=body, secret="guess")
    elif fault == "stale":
        response = _post(client, None, body=body, stamp=str(int(time.time()) - 3600))
    elif fault == "tampered":
        stamp = str(int(time.time()))
        response = client.post("/v1/sms/webhook", data=body.replace(b"Sungai", b"Sungei"),
                               content_type="application/json",
                               headers={"X-Timestamp": stamp,
                                        "X-Signature": signature(SECRET, body, stamp)})
    else:
        monkeypatch.setitem(webhook_app.config, "SMS_WEBHOOK_SECRET", "")
        response = _post(client, None, body=body, secret="")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert row_counts() == before


@pytest.mark.parametrize("body", [
    b"{not json",
    json.dumps({"event": "sms:received", "payload": {}}).encode(),          # no id
    json.dumps(_event(payload={"message": "x"})).encode(),                 # no phoneNumber
    json.dumps(_event(payload={"message": 7, "phoneNumber": "0812"})).encode(),
    json.dumps(_event(payload={"message": "x", "phoneNumber": "0812",
                               "receivedAt": "yesterday"})).encode(),
])
def test_a_bad_payload_is_422_and_writes_nothing(webhook_app, client, body):
    before = row_counts()
    response = _post(client, None, body=body)
    # Not JSON at all is the project-wide 400 malformed_json; JSON of the wrong shape a 422.
    expected = (400, "malformed_json") if body == b"{not json" else (422, "validation_error")
    assert (response.status_code, response.get_json()["error"]["code"]) == expected
    assert row_counts() == before


def test_control_characters_are_cleaned_not_refused(webhook_app, client):
    response = _post(client, _event(text="KEBAKARAN\x00 di\x07 Sekayu"))
    assert response.status_code == 200
    assert inbound()[0].text == "KEBAKARAN di Sekayu"


def test_other_events_are_acknowledged_without_a_write(webhook_app, client):
    before = row_counts()
    ping = {"id": "p1", "event": "system:ping", "payload": {"health": {}}}
    assert _post(client, ping).get_json() == {"stored": False, "sms_id": None}
    assert row_counts() == before


def test_replies_go_through_the_phone_apps_send_api(webhook_app, standin):
    row_id = queue_sms(regency_id=regency_id(), number="0812-3456-7890",
                       text="Laporan R-7 diterima.").id
    db.session.commit()
    assert gateway_round()["sent"] == 1
    (sent,) = standin.sent
    assert sent == {"id": f"siaga-{row_id}", "text": "Laporan R-7 diterima.",
                    "phoneNumbers": ["+6281234567890"], "at": sent["at"]}
    row = db.session.get(SmsMessage, row_id)
    assert row.status == "sent" and row.gateway_id == f"siaga-{row_id}" and row.sent_at


def test_a_failing_phone_is_retried_with_backoff_then_fails_visibly(webhook_app, standin,
                                                                    client, monkeypatch):
    standin.script.extend([{"status": 503}])
    row_id = queue_sms(regency_id=regency_id(), number="+6281234567890", text="Diterima.").id
    db.session.commit()
    assert gateway_round()["retry"] == 1
    row = db.session.get(SmsMessage, row_id)
    assert row.status == "queued" and row.error_code == "send_retry" and row.attempts == 1
    assert gateway_round()["retry"] == 0 and standin.attempts == 1   # not due yet (backoff)
    row = db.session.get(SmsMessage, row_id)
    row.next_attempt_at = row.created_at   # the backoff has passed
    db.session.commit()
    assert gateway_round()["sent"] == 1 and len(standin.sent) == 1

    standin.script.extend([{"status": 400, "message": "invalid phone number"}])
    bad_id = queue_sms(regency_id=regency_id(), number="+6281234567890", text="x").id
    db.session.commit()
    assert gateway_round()["failed"] == 1
    bad = db.session.get(SmsMessage, bad_id)
    assert bad.status == "failed" and bad.error_code == "send_failed"
    assert "invalid phone number" in bad.parse["error"]


def test_the_phone_reports_a_send_failure_later(webhook_app, standin, client):
    row_id = queue_sms(regency_id=regency_id(), number="+6281234567890", text="Diterima.").id
    db.session.commit()
    gateway_round()
    event = {"id": "ev-failed-1", "event": "sms:failed",
             "payload": {"messageId": f"siaga-{row_id}", "phoneNumber": "+6281234567890",
                         "reason": "RESULT_ERROR_NO_SERVICE",
                         "failedAt": "2026-11-29T21:46:11.000+07:00"}}
    assert _post(client, event).get_json() == {"stored": False, "sms_id": row_id}
    db.session.expire_all()
    row = db.session.get(SmsMessage, row_id)
    assert row.status == "failed" and row.parse == {"error": "RESULT_ERROR_NO_SERVICE"}


def test_the_standin_injects_a_signed_webhook_like_the_phone(webhook_app, live_server):
    server = SmsStandIn()
    server.start()
    try:
        status, body = server.inject(webhook=f"{live_server}/v1/sms/webhook", secret=SECRET,
                                     text="pingsan di desa Kayu Ara", **{"from": "0813111222"})
    finally:
        server.stop()
    assert status == 200 and body["status"] == 200
    (row,) = inbound()
    assert row.number == "+62813111222" and row.parse["category"] == "health"
