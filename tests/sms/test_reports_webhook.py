"""The same SMS reports through the Android gateway phone (signed webhooks in, its send API
out — the SMS stand-in): compact SOS once across both paths, plain text answered, AML
attached to the voice call."""
from __future__ import annotations

import sqlalchemy as sa

from backend.reports.models import Report
from backend.sms.intake import reply_sos
from backend.sms.models import AmlFix
from backend.sms.service import gateway_round
from tests.helpers import Console, create_op, fetch, register, sync
from tests.helpers import now_iso
from tests.sms.helpers import aml_text
from tests.sms.test_gateway_webhook import _event, _post, standin, webhook_app  # noqa: F401
from tests.sms.test_reports_gammu import _s1


def _deliver(client, text: str, number: str, event_id: str) -> None:
    event = _event(event_id=event_id, text=text, number=number)
    event["payload"]["receivedAt"] = now_iso()
    response = _post(client, event)
    assert response.status_code == 200 and response.get_json()["stored"], response.get_json()


def _reports() -> list[Report]:
    return fetch(sa.select(Report).order_by(Report.id))


def test_compact_sos_by_webhook_then_sync_is_one_report(webhook_app, standin, client):
    key = register(client)
    op = create_op(category="natural_disaster")
    _deliver(client, _s1(key, op), "6281311112222", "ev-compact-1")
    (report,) = _reports()
    assert report.source == "sms" and report.client_op_id == op["id"]
    assert sync(client, key, [op]).get_json()["results"][0] == {
        "id": op["id"], "status": "duplicate", "ref": {"report": report.ref}}
    _deliver(client, _s1(key, op), "6281311112222", "ev-compact-2")   # sent twice: still one
    assert len(_reports()) == 1
    assert gateway_round()["sent"] == 1
    (sent,) = standin.sent
    assert sent["text"] == reply_sos(report.ref) and sent["phoneNumbers"] == ["+6281311112222"]


def test_sync_then_compact_by_webhook_links_and_answers(webhook_app, standin, client):
    key = register(client)
    op = create_op()
    applied = sync(client, key, [op]).get_json()["results"][0]
    _deliver(client, _s1(key, op), "6281311112222", "ev-compact-3")
    (report,) = _reports()
    assert report.ref == applied["ref"]["report"] and report.source == "app"
    gateway_round()
    assert [s["text"] for s in standin.sent] == [reply_sos(report.ref)]


def test_plain_text_by_webhook_is_a_report_answered_through_the_phone(webhook_app, standin,
                                                                       client):
    _deliver(client, "tolong ada kecelakaan di Sungai Lilin", "6281234567890", "ev-text-1")
    (report,) = _reports()
    assert report.source == "sms_text" and report.category == "accident"
    assert report.caller_phone == "+6281234567890"
    gateway_round()
    (sent,) = standin.sent
    assert report.ref in sent["text"] and "akan menelepon" in sent["text"]


def test_aml_by_webhook_is_attached_to_the_call(webhook_app, standin, client, staff):
    _deliver(client, aml_text(), "6281298765432", "ev-aml-1")
    console = Console(client, "operator1")
    created = console.post("/v1/operator/reports", json={
        "category": "health", "note": "sesak napas", "caller_phone": "081298765432"})
    assert created.status_code == 201
    (fix,) = fetch(sa.select(AmlFix))
    assert fix.report_id == _reports()[0].id
    detail = console.get(f"/v1/operator/reports/{created.get_json()['ref']}").get_json()
    assert detail["aml"]["method"] == "gnss" and detail["report"]["lat"] is None


def test_a_silent_sos_by_sms_is_stored_but_not_answered_by_sms(webhook_app, standin, client):
    key = register(client)
    op = create_op(category="violence_women_children", silent=True)
    _deliver(client, _s1(key, op), "6281311112222", "ev-silent-1")
    (report,) = _reports()
    assert report.silent and report.source == "sms"
    gateway_round()
    assert standin.sent == []         # the phone of someone who cannot safely speak stays quiet
    assert sync(client, key, [op]).get_json()["results"][0]["ref"] == {"report": report.ref}
