"""A real `flask worker` recovers by itself from a Redis restart: a private redis-server is
stopped and started while it runs, once while the worker waits for jobs and once while it is
inside a job. rq 2.12 loses its scheduler process in both cases and, in the second, quits
its work loop altogether (push/worker.py says why and what restarts them). Afterwards a
delayed job (the ack-deadline escalation) still runs and the alert committed while Redis
was down is delivered, each within a bound."""
from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import Queue

from backend.extensions import db
from push import jobs
from push.models import PushOutbox
from tests.helpers import Console, register
from tests.push.conftest import incident_for_sos, make_push_app, responder_phone, unit_id
from tests.servers import PrivateRedis, PushWorker, app_env

# Relay every 5 s, scheduler check every 10 s, 1 s pause before the work loop starts again:
# everything is back well within this after Redis is.
BOUND_S = 30


def wait_for(condition, what: str, worker: PushWorker, timeout: float = BOUND_S) -> float:
    """Seconds until `condition()` held; fails with the worker's log if it never did."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            with open(worker.log_path, errors="replace") as f:
                pytest.fail(f"{what}: not after {timeout} s; worker log tail:\n{f.read()[-4000:]}")
        time.sleep(0.2)
    return time.monotonic() - started


def statuses() -> list[str]:
    try:
        return list(db.session.scalars(sa.select(PushOutbox.status).order_by(PushOutbox.id)))
    finally:
        db.session.rollback()  # never sit on SQLite's write lock while the worker writes


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    yield server
    server.stop()


@pytest.mark.parametrize("outage", ["while_idle", "inside_a_job"])
def test_worker_recovers_from_a_redis_restart_by_itself(app, staff, db_backend, standin,
                                                         redis_server, tmp_path, outage):
    push_app = make_push_app(db_backend, REDIS_URL=redis_server.url, FCM_ENDPOINT=standin.url)
    worker = PushWorker(app_env(db_backend[1], REDIS_URL=redis_server.url,
                                FCM_ENDPOINT=standin.url), log_path=str(tmp_path / "worker.log"))
    redis = Redis.from_url(redis_server.url)
    queue = Queue("siaga-alerts", connection=redis)
    try:
        with push_app.app_context():
            client = push_app.test_client()
            responder_phone(client, "dmk-sky-1", "tok-dmk-sky-1")
            console = Console(client, "operator1")
            number = incident_for_sos(client, console, register(client), category="fire")
            wait_for(lambda: redis.exists("rq:scheduler-lock:siaga-alerts"),
                     "worker and scheduler up", worker)
            if outage == "inside_a_job":  # a job that ends while Redis is down
                busy = queue.enqueue("time.sleep", 3)
                wait_for(lambda: busy.get_status(refresh=True) == "started", "job started",
                         worker)

            redis_server.stop()
            # Committed while Redis is down: the kick is lost (logged), the row waits.
            sent = console.post(f"/v1/operator/incidents/{number}/dispatch",
                                json={"units": [unit_id("DMK-SKY-1")]})
            assert sent.status_code == 201, sent.get_json()
            assert statuses() == ["queued"]
            time.sleep(4)  # > the job's end and several scheduler heartbeats
            redis_server.start()

            # A delayed job scheduled after the restart, as kick() does for an ack deadline.
            delayed = queue.enqueue_at(datetime.now(timezone.utc) + timedelta(seconds=1),
                                       jobs.escalate_job, job_timeout=120)
            wait_for(lambda: statuses() == ["sent"], "alert queued during the outage sent",
                     worker)
            assert [m["message"]["token"] for m in standin.messages] == ["tok-dmk-sky-1"]
            wait_for(lambda: delayed.get_status(refresh=True) == "finished",
                     "delayed job run", worker)
            assert worker.process.poll() is None

        # The faults did strike as described (else this test would prove nothing)...
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert "rq.scheduler:Scheduler [PID" in log and "raised an exception" in log
        if outage == "inside_a_job":
            assert "found an unhandled exception, quitting" in log
            assert "starting it again" in log
        # ...and a stop request still stops the worker, cleanly.
        os.kill(worker.process.pid, signal.SIGTERM)
        assert worker.process.wait(timeout=15) == 0
    finally:
        worker.stop()
        runtime = push_app.extensions["siaga.push"]
        if runtime._sender is not None:
            runtime._sender.close()
