"""Escalation when nobody acknowledges, responder scoping, and the embedded (no Redis) runtime."""
from __future__ import annotations

import time
import uuid

import sqlalchemy as sa

from backend.dispatches.models import Dispatch
from backend.extensions import db
from tests.helpers import Console, now_iso, register, sync
from tests.push.conftest import (
    incident_for_sos,
    make_push_app,
    responder_phone,
    unit_id,
)
from tests.push.test_delivery import dispatch_dmk, outbox, work


def _dispatches():
    rows = db.session.scalars(sa.select(Dispatch).order_by(Dispatch.id)).all()
    db.session.expunge_all()
    db.session.rollback()
    return rows


def test_unacknowledged_dispatch_times_out_and_the_next_unit_is_proposed(push_app, standin):
    push_app.config["ESCALATION_SECONDS"] = "fire=1,default=120"
    client, console, phone, citizen, number, dispatch_id = dispatch_dmk(push_app)
    cursor = console.get("/v1/operator/inbox").get_json()["cursor"]
    work(push_app)                                   # alert sent; nobody answers
    time.sleep(2.3)                                  # deadline (1 s) + scheduler grace (1 s)
    work(push_app)                                   # the scheduled escalate_job is due now
    first, = _dispatches()
    assert (first.status, first.needs_attention) == ("timed_out", True)
    stream = client.get(f"/v1/operator/feed?cursor={cursor}", buffered=False)
    events = []
    for chunk in stream.response:
        if b"dispatch.escalated" in chunk:
            events.append(chunk)
            break
    stream.close()
    assert b'"why": "timed_out"' in events[0] and b"Damkar Sekayu 2" in events[0]
    late = {"id": str(uuid.uuid4()), "type": "dispatch.ack", "at": now_iso(),
            "data": {"dispatch": dispatch_id}}
    result = sync(client, phone, [late]).get_json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "invalid_transition")


def test_escalation_can_dispatch_the_next_unit_itself(push_app, standin):
    push_app.config.update(ESCALATION_SECONDS="fire=1,default=120", ESCALATION_MODE="dispatch")
    client = push_app.test_client()
    responder_phone(client, "dmk-sky-2", "tok-dmk-sky-2")
    dispatch_dmk(push_app)
    work(push_app)
    time.sleep(2.3)                                  # deadline (1 s) + scheduler grace (1 s)
    work(push_app)
    first, second = _dispatches()
    assert first.status == "timed_out"
    assert second.unit_id == unit_id("DMK-SKY-2") and second.status == "notified"
    assert sorted(m["message"]["token"] for m in standin.messages) == [
        "tok-dmk-sky-1", "tok-dmk-sky-2"]


def test_decline_flags_and_proposes(push_app, standin):
    client, console, phone, citizen, number, dispatch_id = dispatch_dmk(push_app)
    declined = client.post(f"/v1/responder/dispatches/{dispatch_id}/decline",
                           json={"reason": "mobil rusak"},
                           headers={"Authorization": f"Bearer {phone}"})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    dispatch, = _dispatches()
    assert dispatch.needs_attention is True


def test_responder_status_flow_drives_the_incident(push_app, standin):
    client, console, phone, citizen, number, dispatch_id = dispatch_dmk(push_app)
    auth = {"Authorization": f"Bearer {phone}"}
    listed = client.get("/v1/responder/dispatches", headers=auth).get_json()["dispatches"]
    assert [d["dispatch"] for d in listed] == [dispatch_id] and listed[0]["incident"] == number
    ops = [{"id": str(uuid.uuid4()), "type": "dispatch.status", "at": now_iso(),
            "data": {"dispatch": dispatch_id, "status": s}} for s in ("en_route", "on_scene")]
    ops.append({"id": str(uuid.uuid4()), "type": "responder.location", "at": now_iso(),
                "data": {"lat": -2.88, "lon": 103.85, "accuracy_m": 8}})
    results = sync(client, phone, ops).get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3
    detail = console.get(f"/v1/operator/incidents/{number}").get_json()
    assert detail["incident"]["status"] == "on_scene"
    assert detail["dispatches"][0]["status"] == "on_scene"
    back = client.post(f"/v1/responder/dispatches/{dispatch_id}/status",
                       json={"status": "en_route"}, headers=auth)
    assert back.status_code == 409 and back.get_json()["error"]["code"] == "invalid_transition"
    done = client.post(f"/v1/responder/dispatches/{dispatch_id}/status",
                       json={"status": "completed"}, headers=auth)
    assert done.get_json()["status"] == "completed"
    assert client.get("/v1/responder/dispatches", headers=auth).get_json()["dispatches"] == []


def test_a_responder_sees_and_touches_only_its_own_units_dispatches(push_app, standin):
    client, console, phone, citizen, number, dispatch_id = dispatch_dmk(push_app)
    other = responder_phone(client, "pol-sky", "tok-pol-sekayu")
    auth = {"Authorization": f"Bearer {other}"}
    assert client.get("/v1/responder/dispatches", headers=auth).get_json()["dispatches"] == []
    assert client.post(f"/v1/responder/dispatches/{dispatch_id}/ack", headers=auth
                       ).status_code == 404
    op = {"id": str(uuid.uuid4()), "type": "dispatch.ack", "at": now_iso(),
          "data": {"dispatch": dispatch_id}}
    result = sync(client, other, [op]).get_json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "dispatch_not_found")
    assert sync(client, other).get_json()["changes"] == []       # no alert data leaks either
    mine = [c["type"] for c in sync(client, phone).get_json()["changes"]]
    assert "dispatch.assigned" in mine


def test_phones_and_accounts_must_match(push_app, standin):
    client = push_app.test_client()
    citizen = register(client)
    refused = client.post("/v1/responder/session",
                          json={"username": "dmk-sky-1", "password": "siaga112-demo"},
                          headers={"Authorization": f"Bearer {citizen}"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "wrong_device_kind"
    phone = register(client, kind="responder")
    operator = client.post("/v1/responder/session",
                           json={"username": "operator1", "password": "siaga112-demo"},
                           headers={"Authorization": f"Bearer {phone}"})
    assert operator.get_json()["error"]["code"] == "not_a_responder"
    unsigned = sync(client, phone)
    assert unsigned.status_code == 401
    assert unsigned.get_json()["error"]["code"] == "responder_not_signed_in"


def test_embedded_profile_delivers_from_a_thread_without_redis(app, staff, db_backend,
                                                               standin):
    embedded = make_push_app(db_backend, FCM_ENDPOINT=standin.url, PUSH_THREAD=True)
    runtime = embedded.extensions["siaga.push"]
    assert type(runtime).__name__ == "ThreadRuntime"
    with embedded.app_context():
        client = embedded.test_client()
        responder_phone(client, "dmk-sky-1", "tok-embedded")
        console = Console(client, "operator1")
        number = incident_for_sos(client, console, register(client))
        console.post(f"/v1/operator/incidents/{number}/dispatch",
                     json={"units": [unit_id("DMK-SKY-1")]})
        deadline = time.monotonic() + 5
        while not standin.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["message"]["token"] for m in standin.messages] == ["tok-embedded"]
        for _ in range(50):
            if outbox()[0].status == "sent":
                break
            time.sleep(0.05)
        assert outbox()[0].status == "sent"
        runtime.stop()
        runtime._sender.close()
        db.session.remove()


def test_operator_console_flags_an_escalated_incident_until_someone_acknowledges(push_app,
                                                                                 standin):
    push_app.config["ESCALATION_SECONDS"] = "fire=1,default=120"
    client, console, phone, citizen, number, dispatch_id = dispatch_dmk(push_app)
    work(push_app)
    time.sleep(2.3)
    work(push_app)
    listed = console.get("/v1/operator/incidents").get_json()["incidents"]
    assert [(i["number"], i["needs_attention"]) for i in listed] == [(number, True)]
    page = client.get(f"/console/incidents/{number}").get_data(as_text=True)
    assert 'id="attention"' in page
    second = responder_phone(client, "dmk-sky-2", "tok-dmk-sky-2")
    sent = console.post(f"/v1/operator/incidents/{number}/dispatch",
                        json={"units": [unit_id("DMK-SKY-2")]}).get_json()[0]
    assert client.post(f"/v1/responder/dispatches/{sent['dispatch']}/ack",
                       headers={"Authorization": f"Bearer {second}"}).status_code == 200
    listed = console.get("/v1/operator/incidents").get_json()["incidents"]
    assert listed[0]["needs_attention"] is False
