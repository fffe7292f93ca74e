"""Dispatch → outbox → RQ worker → real firebase-admin → stand-in, and every way it can fail."""
from __future__ import annotations

import subprocess
import time
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from rq import SimpleWorker

from backend.devices.models import Device
from backend.dispatches.models import Dispatch
from backend.extensions import db
from push import jobs
from push.delivery import claim
from push.models import PushOutbox
from tests.helpers import Console, count, now_iso, register, sync
from tests.push.conftest import (
    incident_for_sos,
    make_push_app,
    responder_phone,
    unit_id,
)


def work(app):
    runtime = app.extensions["siaga.push"]
    SimpleWorker([runtime.queue], connection=runtime.redis).work(burst=True,
                                                                 with_scheduler=True)


def outbox():
    rows = db.session.scalars(sa.select(PushOutbox).order_by(PushOutbox.id)).all()
    db.session.expunge_all()
    db.session.rollback()
    return rows


def dispatch_dmk(push_app, token="tok-dmk-sky-1", call_sign="DMK-SKY-1"):
    """Citizen SOS → operator confirms → dispatches Damkar Sekayu 1 (responder phone ready)."""
    client = push_app.test_client()
    phone = responder_phone(client, call_sign.lower(), token)
    citizen = register(client)
    console = Console(client, "operator1")
    number = incident_for_sos(client, console, citizen, category="fire")
    sent = console.post(f"/v1/operator/incidents/{number}/dispatch",
                        json={"units": [unit_id(call_sign)]})
    assert sent.status_code == 201, sent.get_json()
    return client, console, phone, citizen, number, sent.get_json()[0]["dispatch"]


def test_dispatch_rings_the_phone_and_the_ack_reaches_operator_and_citizen(push_app, standin):
    client, console, phone, citizen, number, dispatch_id = dispatch_dmk(push_app)
    cursor = sync(client, citizen).get_json()["cursor"]
    assert standin.messages == []              # nothing before the worker runs
    work(push_app)

    message, = [m["message"] for m in standin.messages]
    assert message["token"] == "tok-dmk-sky-1"
    assert message["android"]["priority"] == "high"
    assert message["android"]["ttl"] == "600s"
    assert message["android"]["collapse_key"] == number
    assert message["android"]["notification"]["tag"] == number
    assert message["notification"]["title"] == f"112 KEBAKARAN · {number}"
    assert "km dari Pos Sekayu" in message["notification"]["body"]
    assert message["data"]["dispatch"] == str(dispatch_id)
    assert message["data"]["incident"] == number
    row, = outbox()
    assert row.status == "sent" and row.fcm_message_name.startswith("projects/")
    assert row.attempts == 1
    assert db.session.get(Dispatch, dispatch_id).status == "notified"
    db.session.rollback()

    ack = {"id": str(uuid.uuid4()), "type": "dispatch.ack", "at": now_iso(),
           "data": {"dispatch": dispatch_id}}
    result = sync(client, phone, [ack]).get_json()["results"][0]
    assert result == {"id": ack["id"], "status": "applied", "ref": {"dispatch": dispatch_id}}
    assert sync(client, phone, [ack]).get_json()["results"][0]["status"] == "duplicate"
    detail = console.get(f"/v1/operator/incidents/{number}").get_json()
    assert detail["dispatches"][0]["status"] == "acknowledged"
    assert detail["incident"]["status"] == "acknowledged"
    seen = [(c["type"], c["data"]["status"])
            for c in sync(client, citizen, cursor=cursor).get_json()["changes"]]
    assert ("incident.status", "acknowledged") in seen


def test_duplicate_job_runs_do_not_send_twice(push_app, standin):
    dispatch_dmk(push_app)
    ids = [r.id for r in outbox()]
    push_app.extensions["siaga.push"].queue.enqueue(jobs.deliver_job, ids)
    push_app.extensions["siaga.push"].queue.enqueue(jobs.deliver_job, ids)
    work(push_app)
    assert len(standin.messages) == 1
    assert [r.status for r in outbox()] == ["sent"]


def test_unregistered_token_is_dropped_without_a_retry_storm(push_app, standin):
    standin.set_faults(unregistered=["tok-dmk-sky-1"])
    dispatch_dmk(push_app)
    work(push_app)
    row, = outbox()
    assert (row.status, row.attempts) == ("dropped", 1)
    device = db.session.scalar(sa.select(Device).where(Device.kind == "responder"))
    assert device.fcm_token is None and device.push_error == "UnregisteredError"
    dispatch = db.session.get(Dispatch, row.dispatch_id)
    assert dispatch.needs_attention is True and dispatch.status == "pending"
    db.session.rollback()
    push_app.extensions["siaga.push"].queue.enqueue(jobs.relay_job)
    work(push_app)
    assert standin.attempts == 1                # the relay does not try again


def test_429_with_retry_after_is_retried_later_not_lost(push_app, standin):
    standin.set_faults(script=[{"status": 429, "retry_after": 2}])
    dispatch_dmk(push_app)
    work(push_app)
    row, = outbox()
    assert (row.status, row.attempts, row.last_error) == ("queued", 1, "QuotaExceededError")
    wait = (row.next_attempt_at - datetime.now(timezone.utc)).total_seconds()
    assert 0.5 < wait <= 2.1                    # Retry-After (2 s) beats the 2 s backoff floor
    push_app.extensions["siaga.push"].queue.enqueue(jobs.relay_job)
    work(push_app)
    assert outbox()[0].status == "queued" and standin.messages == []   # not due yet
    time.sleep(wait + 0.2)
    push_app.extensions["siaga.push"].queue.enqueue(jobs.relay_job)
    work(push_app)
    row, = outbox()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(standin.messages) == 1


def test_a_worker_killed_after_claiming_leaves_the_alert_for_the_relay(push_app, standin):
    push_app.config["PUSH_LEASE_SECONDS"] = 1
    dispatch_dmk(push_app)
    ids = [r.id for r in outbox()]
    assert claim(ids) == ids                    # a worker claims... and dies before sending
    assert outbox()[0].status == "sending"
    push_app.extensions["siaga.push"].queue.enqueue(jobs.relay_job)
    work(push_app)
    assert standin.messages == []               # lease still held: nobody else sends
    time.sleep(1.2)
    push_app.extensions["siaga.push"].queue.enqueue(jobs.relay_job)
    work(push_app)
    row, = outbox()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(standin.messages) == 1


def test_invalid_argument_fails_visibly(push_app, standin):
    standin.set_faults(invalid=["tok-dmk-sky-1"])
    dispatch_dmk(push_app)
    work(push_app)
    row, = outbox()
    assert row.status == "failed" and row.last_error.startswith("InvalidArgumentError")
    assert db.session.get(Dispatch, row.dispatch_id).needs_attention is True
    db.session.rollback()


def test_no_alert_for_an_uncommitted_dispatch(push_app, standin):
    """A dispatch whose transaction rolls back leaves no outbox row and enqueues nothing."""
    from backend.accounts.models import User
    from backend.dispatches.service import dispatch_units

    client = push_app.test_client()
    responder_phone(client, "dmk-sky-1", "tok-dmk-sky-1")
    console = Console(client, "operator1")
    number = incident_for_sos(client, console, register(client))
    operator = db.session.scalar(sa.select(User).where(User.username == "operator1"))
    dispatch_units(actor=operator, number=number, unit_ids=[unit_id("DMK-SKY-1")])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushOutbox)) == 1
    db.session.rollback()
    assert count("push_outbox") == 0 and count("dispatches") == 0
    assert len(push_app.extensions["siaga.push"].queue) == 0
    work(push_app)
    assert standin.attempts == 0


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of our own that the test can stop and start (never the shared one)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", "--dir", str(tmp_path)]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        proc = None

        def start(self):
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
            from redis import Redis
            for _ in range(50):
                try:
                    Redis.from_url(self.url).ping()
                    return
                except Exception:
                    time.sleep(0.05)
            raise RuntimeError("redis did not start")

        def stop(self):
            self.proc.terminate()
            self.proc.wait(5)

    server = Server()
    yield server
    if server.proc and server.proc.poll() is None:
        server.stop()


def test_redis_down_at_commit_then_back_the_alert_still_goes(app, staff, db_backend, standin,
                                                             private_redis):
    push_app = make_push_app(db_backend, REDIS_URL=private_redis.url,
                             FCM_ENDPOINT=standin.url)
    with push_app.app_context():
        client = push_app.test_client()
        responder_phone(client, "dmk-sky-1", "tok-dmk-sky-1")
        console = Console(client, "operator1")
        number = incident_for_sos(client, console, register(client))
        # Redis is not running: the dispatch still commits (the kick is lost, logged).
        sent = console.post(f"/v1/operator/incidents/{number}/dispatch",
                            json={"units": [unit_id("DMK-SKY-1")]})
        assert sent.status_code == 201
        assert [r.status for r in outbox()] == ["queued"]
        private_redis.start()
        push_app.extensions["siaga.push"].queue.enqueue(jobs.relay_job)  # the relay's round
        work(push_app)
        assert [r.status for r in outbox()] == ["sent"]
        assert len(standin.messages) == 1
        push_app.extensions["siaga.push"]._sender.close()
        db.session.remove()


def test_off_duty_or_tokenless_phones_get_no_alert_and_the_operator_is_told(push_app, standin):
    client = push_app.test_client()
    key = responder_phone(client, "dmk-sky-1", "tok-off-duty")
    assert client.put("/v1/responder/duty", json={"on_duty": False},
                      headers={"Authorization": f"Bearer {key}"}).get_json()["on_duty"] is False
    responder_phone(client, "dmk-sky-1")       # a second phone, signed in, no token yet
    console = Console(client, "operator1")
    number = incident_for_sos(client, console, register(client))
    console.post(f"/v1/operator/incidents/{number}/dispatch",
                 json={"units": [unit_id("DMK-SKY-1")]})
    assert outbox() == []
    dispatch = db.session.scalars(sa.select(Dispatch)).one()
    assert dispatch.needs_attention is True
    db.session.rollback()
    work(push_app)
    assert standin.attempts == 0


def test_a_crash_while_sending_reschedules_instead_of_waiting_out_the_lease(push_app,
                                                                            monkeypatch):
    dispatch_dmk(push_app)
    sender = push_app.extensions["siaga.push"].sender

    def broken(messages):
        raise RuntimeError("socket exploded")

    monkeypatch.setattr(sender, "send", broken)
    from push.delivery import deliver
    stats = deliver(None, sender)
    assert stats.retry == 1
    row, = outbox()
    assert row.status == "queued" and row.last_error.startswith("RuntimeError")


def test_claim_never_hands_out_more_than_its_limit(push_app):
    # Three incidents, three units (one unit cannot be on two open dispatches: invariant 8).
    for call_sign in ("DMK-SKY-1", "DMK-SKY-2", "DMK-SLL-1"):
        dispatch_dmk(push_app, token=f"tok-{uuid.uuid4()}", call_sign=call_sign)
    db.session.execute(sa.update(PushOutbox).values(status="queued"))
    db.session.commit()
    total = count("push_outbox")
    assert total == 3
    batches = [claim(None, limit=2) for _ in range(total)]
    assert all(len(b) <= 2 for b in batches)
    assert sorted(i for b in batches for i in b) == list(range(1, total + 1))


@pytest.mark.parametrize("mode", ["--no-fork", "--fork"])
def test_flask_worker_command_delivers(push_app, standin, mode):
    """The documented worker command, in both modes (forking renews the DB pool per child)."""
    dispatch_dmk(push_app)
    result = push_app.test_cli_runner().invoke(args=["worker", "--burst", mode])
    assert result.exit_code == 0, result.output
    assert [m["message"]["token"] for m in standin.messages] == ["tok-dmk-sky-1"]
    assert [r.status for r in outbox()] == ["sent"]


def test_flask_worker_refuses_to_run_without_redis(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output
