"""`flask worker`: an RQ worker plus the outbox relay loop.

Default: jobs run in the worker process (rq's SimpleWorker). Alerts are I/O-bound and
latency-critical; a warm process keeps the FCM sender, its token and its connections, and
measured 4× the throughput of forking a child per job (bench/push.py). Crash safety does not
come from the fork but from the outbox lease: a dead worker's alerts are re-sent by the
relay. `--fork` gives per-job isolation; the pool is then renewed in each child so no
database connection crosses a fork.
"""
from __future__ import annotations

import logging
import threading

from rq import SimpleWorker, Worker

from backend.extensions import db
from push.runtime import RELAY_INTERVAL_S

log = logging.getLogger(__name__)


class SiagaWorker(Worker):
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

        rounds = 0
        while not stop.wait(RELAY_INTERVAL_S):
            rounds += 1
            try:
                runtime.queue.enqueue(jobs.relay_job, job_timeout=300)
                if rounds % 360 == 0:  # every 30 min: tokens live an hour
                    warm(runtime)
            except Exception:  # Redis or the token endpoint down: try again next round
                log.warning("relay round failed", exc_info=True)

    if not burst:
        threading.Thread(target=relay, name="siaga-relay", daemon=True).start()
    try:
        (SiagaWorker if fork else SimpleWorker)([runtime.queue], connection=runtime.redis).work(
            with_scheduler=True, burst=burst)
    finally:
        stop.set()
