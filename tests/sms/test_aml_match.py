"""AML and voice-call reports: held until the call report is created then attached, attached
at once to a call report within the window, never to one outside it; supplemental — the
report's own location stays until an operator accepts the AML (audited)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.db import utcnow
from backend.extensions import db
from backend.feed.models import Change
from backend.metrics.instruments import SMS_INBOUND
from backend.reports.models import Report
from backend.sms import service
from backend.sms.gateways import Inbound
from backend.sms.models import AmlFix, SmsMessage
from tests.helpers import Console, fetch
from tests.sms.helpers import aml_text

CALLER = "+6281298765432"


def _aml(number=CALLER, at=None, **kwargs) -> None:
    service.receive(Inbound(uuid.uuid4().hex, number, aml_text(**kwargs), at or utcnow()),
                    gateway_name="standin")
    db.session.commit()


def _call(console, phone="081298765432", **extra) -> str:
    response = console.post("/v1/operator/reports", json={
        "category": "health", "note": "ibu pingsan", "caller_phone": phone,
        "desa_code": "16.06.01.1009", **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["ref"]


def _fixes() -> list[AmlFix]:
    return fetch(sa.select(AmlFix).order_by(AmlFix.id))


def test_held_until_the_call_report_then_attached_not_applied(app, client, staff):
    held_before = SMS_INBOUND.labels("aml", "held")._value.get()
    _aml()
    (fix,) = _fixes()
    assert fix.report_id is None and fix.method == "gnss" and fix.radius_m == 20
    assert SMS_INBOUND.labels("aml", "held")._value.get() == held_before + 1

    console = Console(client, "operator1")
    ref = _call(console)
    detail = console.get(f"/v1/operator/reports/{ref}").get_json()
    aml, report = detail["aml"], detail["report"]
    assert (aml["lat"], aml["lon"], aml["radius_m"]) == (-2.8851, 103.8467, 20)
    assert aml["method"] == "gnss" and aml["accepted_at"] is None and aml["confidence"] == 68
    # Supplemental: the report is where the caller said (the desa's label point).
    assert report["location_source"] == "desa" and (report["lat"], report["lon"]) != (
        aml["lat"], aml["lon"])
    assert [m["kind"] for m in detail["sms"]] == ["aml"]          # the SMS is linked too


def test_attached_at_once_to_a_call_report_within_the_window(app, client, staff):
    console = Console(client, "operator1")
    ref = _call(console)
    _aml()
    (fix,) = _fixes()
    assert fix.report_id is not None and Report(id=fix.report_id).ref == ref
    (row,) = fetch(sa.select(SmsMessage).where(SmsMessage.kind == "aml"))
    assert row.report_id == fix.report_id and row.status == "processed"


def _aml_changes() -> list[tuple[int | None, dict]]:
    return [(c.device_id, c.data) for c in fetch(
        sa.select(Change).where(Change.type == "report.aml").order_by(Change.seq))]


def test_each_attachment_tells_the_console_on_the_feed(app, client, staff):
    """The inbox's open report and the incident's page redraw the AML from a `report.aml`
    change: one per attachment (held ones at the call report's creation), none for a fix
    that is held or refused, never addressed to a phone."""
    _aml()
    _aml(lat="+95.00000")                                 # refused: attaches nothing
    assert _aml_changes() == []                           # held: no report yet
    console = Console(client, "operator1")
    ref = _call(console)
    assert _aml_changes() == [(None, {"report": ref, "incident": None})]
    incident = console.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]
    _aml(lat="-2.91234", lon="+103.87654")                # attached at once, to the incident's
    assert _aml_changes() == [(None, {"report": ref, "incident": None}),
                              (None, {"report": ref, "incident": incident})]
    _call(console, phone="+6281200000000")                # another number: nothing to tell
    assert len(_aml_changes()) == 2


def test_outside_the_window_nothing_is_attached(app, client, staff, monkeypatch):
    monkeypatch.setitem(app.config, "AML_MATCH_WINDOW_MIN", 30)
    console = Console(client, "operator1")
    old = _call(console)
    db.session.execute(sa.update(Report).values(received_at=utcnow() - timedelta(minutes=45)))
    db.session.commit()
    _aml()                                              # 45 min after that call: held
    _aml(number="+6281311112222", at=utcnow() - timedelta(minutes=40))   # stale, held
    assert [f.report_id for f in _fixes()] == [None, None]

    fresh = _call(console, phone="+6281311112222")      # the stale fix stays held
    assert [f.report_id for f in _fixes()] == [None, None]
    assert console.get(f"/v1/operator/reports/{fresh}").get_json()["aml"] is None
    assert console.get(f"/v1/operator/reports/{old}").get_json()["aml"] is None
    other = _call(console, phone="+6281200000000")      # another number: nothing
    assert console.get(f"/v1/operator/reports/{other}").get_json()["aml"] is None


def test_accepting_the_aml_moves_the_report_and_is_audited(app, client, staff):
    console = Console(client, "operator1")
    ref = _call(console)
    before = console.get(f"/v1/operator/reports/{ref}").get_json()["report"]
    _aml(lat="-2.91234", lon="+103.87654")
    accepted = console.post(f"/v1/operator/reports/{ref}/aml/accept")
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    report = body["report"]
    assert (report["lat"], report["lon"], report["accuracy_m"]) == (-2.91234, 103.87654, 20)
    assert report["location_source"] == "aml" and body["aml"]["accepted_at"] is not None
    (event,) = fetch(sa.select(AuditEvent).where(AuditEvent.action == "report.aml_accepted"))
    assert event.entity_id == ref and event.before["lat"] == before["lat"]
    assert event.after["lat"] == -2.91234 and event.after["method"] == "gnss"

    no_aml = _call(console, phone="+6281200000000")
    refused = console.post(f"/v1/operator/reports/{no_aml}/aml/accept")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "no_aml"
    admin = Console(app.test_client(), "admin")
    assert admin.post(f"/v1/operator/reports/{ref}/aml/accept").status_code == 403


def test_a_malformed_aml_is_kept_refused_and_attaches_nothing(app, client, staff):
    console = Console(client, "operator1")
    ref = _call(console)
    before = SMS_INBOUND.labels("aml", "aml_out_of_range")._value.get()
    _aml(lat="+95.00000")
    assert _fixes() == []
    (row,) = fetch(sa.select(SmsMessage).where(SmsMessage.kind == "aml"))
    assert row.error_code == "aml_out_of_range" and row.report_id is None
    assert SMS_INBOUND.labels("aml", "aml_out_of_range")._value.get() == before + 1
    assert console.get(f"/v1/operator/reports/{ref}").get_json()["aml"] is None
