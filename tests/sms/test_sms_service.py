"""What happens to an inbound SMS whatever the gateway: numbers normalised, per-number limits
that flag and never drop, the operators' block list (audited), a failing handler that keeps
the message, forged compact SOS refused, and `flask sms inject` for developers."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.audit.models import AuditEvent
from backend.db import utcnow
from backend.extensions import db
from backend.sms import service
from backend.sms.gateways import Inbound
from tests.helpers import Console, fetch
from tests.sms.helpers import compact_text, inbound


def _receive(number: str, text: str):
    row = service.receive(Inbound(uuid.uuid4().hex, number, text, utcnow()),
                          gateway_name="standin")
    db.session.commit()
    db.session.refresh(row)     # a loaded copy, and no transaction left open (SQLite's lock)
    db.session.expunge(row)
    db.session.commit()
    return row


@pytest.mark.parametrize("raw,expected", [
    ("081234567890", "+6281234567890"), ("6281234567890", "+6281234567890"),
    ("+62 812-3456-7890", "+6281234567890"), ("+60123456789", "+60123456789"),
    ("TELKOMSEL", "TELKOMSEL"), ("3636", "3636")])
def test_numbers_are_normalised_to_e164(app, raw, expected):
    assert service.normalise_number(raw) == expected


def test_over_the_limit_sms_are_stored_flagged_never_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_LIMIT_PER_NUMBER", "3/minute")
    for i in range(5):
        _receive("081234567890", f"tolong kebakaran {i}")
    _receive("081399998888", "banjir")                    # another number: its own count
    rows = inbound()
    assert len(rows) == 6 and all(r.status == "processed" and r.kind == "text" for r in rows)
    assert [r.rate_limited for r in rows] == [False, False, False, True, True, False]


def test_blocked_numbers_are_stored_not_forwarded_and_the_list_is_audited(app, client, staff):
    console = Console(client, "operator1")
    blocked = console.post("/v1/operator/sms/blocked",
                           json={"number": "0812-3456-7890", "reason": "prank calls, 40 a day"})
    assert blocked.status_code == 201, blocked.get_json()
    assert blocked.get_json()["number"] == "+6281234567890"
    again = console.post("/v1/operator/sms/blocked",
                         json={"number": "+6281234567890", "reason": "again"})
    assert again.status_code == 201 and again.get_json()["reason"] == "prank calls, 40 a day"

    row = _receive("+6281234567890", "KEBAKARAN di Sekayu")
    assert row.status == "blocked" and row.error_code == "blocked_number" and row.kind is None
    listed = console.get("/v1/operator/sms/messages?status=blocked").get_json()["messages"]
    assert [m["text"] for m in listed] == ["KEBAKARAN di Sekayu"]

    assert console.post("/v1/operator/sms/unblock",
                        json={"number": "6281234567890"}).status_code == 204
    assert console.post("/v1/operator/sms/unblock",
                        json={"number": "6281234567890"}).status_code == 404
    assert _receive("+6281234567890", "KEBAKARAN lagi").status == "processed"
    assert console.get("/v1/operator/sms/blocked").get_json() == {"blocked": []}
    audit = [tuple(r) for r in db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "sms_number").order_by(AuditEvent.id))]
    operator = str(fetch(sa.select(User.id).where(User.username == "operator1"))[0])
    assert audit == [("sms.blocked", "+6281234567890", operator),
                     ("sms.unblocked", "+6281234567890", operator)]


def test_block_list_needs_a_triage_role_and_valid_input(app, client, staff):
    admin = Console(client, "admin")
    assert admin.post("/v1/operator/sms/blocked",
                      json={"number": "+6281234567890", "reason": "abuse"}).status_code == 403
    operator = Console(client.application.test_client(), "operator1")
    bad = operator.post("/v1/operator/sms/blocked", json={"number": "call me", "reason": "x"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_error"
    assert fetch(sa.select(AuditEvent.id).where(AuditEvent.entity_type == "sms_number")) == []


def test_a_failing_handler_keeps_the_message(app, monkeypatch):
    def broken(message):
        message.kind = "text"
        raise RuntimeError("report pipeline bug")

    monkeypatch.setattr(service, "handle_inbound", broken)
    row = _receive("+6281234567890", "KEBAKARAN")
    assert row.status == "failed" and row.error_code == "handler_error"
    (stored,) = inbound()
    db.session.commit()
    assert stored.text == "KEBAKARAN" and stored.kind is None   # the savepoint rolled back


def test_compact_sos_is_verified_and_forgeries_are_refused(app):
    text, _ = compact_text()
    assert _receive("+6281234567890", text).parse["verified"] is True
    forged = text[:-16] + ("A" if text[-16] != "A" else "B") + text[-15:]
    row = _receive("+6281234567890", forged)
    assert row.kind == "compact" and row.error_code == "compact_bad_mac"
    truncated = _receive("+6281234567890", text[:40])
    assert truncated.error_code == "compact_truncated"
    parts = text.split(" ")
    parts[1] = "zzzz"                                    # a device id nobody has
    unknown = _receive("+6281234567890", " ".join(parts))
    assert unknown.error_code == "compact_unknown_device"


def test_garbled_aml_is_kept_with_its_refusal(app):
    row = _receive("+6281234567890", 'A"ML=1;lt=-2.8;lg=103.8;rd=20;ml=9')
    assert row.kind == "aml" and row.status == "processed"
    assert row.error_code.startswith("aml_") and row.parse["error"]["code"]


def test_flask_sms_inject(app):
    result = app.test_cli_runner().invoke(args=["sms", "inject", "081234567890",
                                                "KEBAKARAN di desa Kayu Ara"])
    assert result.exit_code == 0, result.output
    assert "+6281234567890: processed text" in result.output and '"fire"' in result.output
    (row,) = inbound()
    assert row.gateway == "standin" and row.parse["desa"]["name"] == "Kayu Ara"
