"""`flask worker`: an RQ worker plus the outbox relay loop.

Default: jobs run in the worker process (rq's SimpleWorker). Alerts are I/O-bound and
latency-critical; a warm process keeps the FCM sender, its token and its connections, and
measured 4× the throughput of forking a child per job (bench/push.py). Crash safety does not
come from the fork but from the outbox lease: a dead worker's alerts are re-sent by the
relay. `--fork` gives per-job isolation; the pool is then renewed in each child so no
database connection crosses a fork.

Redis faults. rq 2.12 survives a Redis outage only while it waits for a job: a Redis error
anywhere else (a job finishing while Redis is down: `perform_job` → `handle_execution_ended`
→ `job.heartbeat`) ends `Worker.work()` ("found an unhandled exception, quitting"), and with
it this process and the relay — every alert then waits for a manual restart. So run_worker
starts the work loop again until a stop is asked for. The scheduler (its own process) dies
at the first failed heartbeat of an outage, and rq starts it again only from the worker's
maintenance round, every 10 minutes by default; ours runs every MAINTENANCE_INTERVAL_S.
"""
from __future__ import annotations

import logging
import threading
import time

from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.exceptions import StopRequested

from backend.extensions import db
from push.runtime import RELAY_INTERVAL_S

log = logging.getLogger(__name__)
# How often the worker checks that its scheduler process lives (and restarts it) and cleans
# its registries. Escalations are also checked by the relay every RELAY_INTERVAL_S, so this
# bounds how long the ack-deadline jobs and other delayed jobs lag after a Redis outage.
MAINTENANCE_INTERVAL_S = 10
RESTART_PAUSE_S = 1.0


class Supervised:
    """Sets `stopping` on a stop signal: rq's `work()` returns the same way after SIGTERM as
    after quitting on a Redis error, and only the first may end the process."""

    stopping: threading.Event | None = None

    def request_stop(self, signum, frame):
        if self.stopping is not None:
            self.stopping.set()
        super().request_stop(signum, frame)


class SiagaSimpleWorker(Supervised, SimpleWorker):
    pass


class SiagaWorker(Supervised, Worker):
    """Each job runs in a forked child; it must not share the parent's DB connections."""

    def main_work_horse(self, *args, **kwargs):
        db.engine.dispose(close=False)  # in the child: fresh pool, parent's sockets untouched
        return super().main_work_horse(*args, **kwargs)


def warm(runtime) -> None:
    """Build the sender and fetch its OAuth token in the parent, so that every forked job
    starts with both instead of paying a key load and a token round trip per alert."""
    if runtime.configured:
        runtime.sender.app.credential.get_access_token()


def serve_metrics(app) -> None:
    """Alert sends and escalations are counted where they happen: in production, here.
    METRICS_WORKER_ADDR (host:port) serves this process's counters (and, with --fork and
    PROMETHEUS_MULTIPROC_DIR, its children's) for Prometheus; the database gauges are on the
    web app's /metrics."""
    addr = app.config["METRICS_WORKER_ADDR"]
    if addr:
        from prometheus_client import start_http_server

        from backend.metrics.service import process_registry

        host, _, port = addr.rpartition(":")
        start_http_server(int(port), addr=host or "127.0.0.1", registry=process_registry())


def run_worker(app, runtime, *, burst: bool = False, fork: bool = False) -> None:
    db.engine.dispose()
    warm(runtime)
    serve_metrics(app)
    stop = threading.Event()

    def relay():
        from push import jobs

        check_every = max(1, round(app.config["EVALUATION_CHECK_MINUTES"] * 60
                                   / RELAY_INTERVAL_S))
        rounds = 0
        while not stop.wait(RELAY_INTERVAL_S):
            rounds += 1
            # The SMS gateway's inbox is scanned here, not through Redis: SMS keep coming
            # in while Redis is down (the database is what they need).
            with app.app_context():
                runtime.run_sms_round()
            try:
                runtime.queue.enqueue(jobs.relay_job, job_timeout=300)
                if rounds % 360 == 0:  # every 30 min: tokens live an hour
                    warm(runtime)
                # Monthly evaluation reports: the job books itself at each month's start
                # (RQ scheduler); this check catches a month missed while Redis or the
                # worker was down, and makes the first booking.
                if app.config["EVALUATION_SCHEDULE"] and (rounds - 1) % check_every == 0:
                    runtime.queue.enqueue(jobs.evaluation_job, job_timeout=1800)
            except Exception:  # Redis or the token endpoint down: try again next round
                log.warning("relay round failed", exc_info=True)

    if not burst:
        threading.Thread(target=relay, name="siaga-relay", daemon=True).start()
    try:
        while True:
            worker = None
            try:  # the constructor talks to Redis already (CLIENT SETNAME)
                worker = (SiagaWorker if fork else SiagaSimpleWorker)(
                    [runtime.queue], connection=runtime.redis,
                    maintenance_interval=MAINTENANCE_INTERVAL_S)
                worker.stopping = stop  # shared: a signal may land on the previous worker
                worker.work(with_scheduler=True, burst=burst)
            except (RedisError, StopRequested):  # Redis down at (re)start or at teardown
                if burst:
                    raise
                if not stop.is_set():
                    log.exception("RQ worker failed")
            if burst or stop.is_set():
                return
            if worker is not None and worker.pubsub_thread is not None:
                worker.pubsub_thread.stop()  # teardown may not have reached unsubscribe()
            # A fresh worker registers again and starts a new scheduler (the old one was
            # stopped in teardown); while Redis is still down, it fails at once: pause.
            log.error("RQ worker loop quit without a stop request (Redis fault?); "
                      "starting it again in %.0f s", RESTART_PAUSE_S)
            try:
                time.sleep(RESTART_PAUSE_S)
            except (RedisError, StopRequested):  # rq's stop handler ran during the pause
                pass
    finally:
        stop.set()
