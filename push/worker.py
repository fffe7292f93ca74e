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


def run_worker(app, runtime, *, burst: bool = False, fork: bool = False) -> None:
    db.engine.dispose()
    warm(runtime)
    stop = threading.Event()

    def relay():
        from push import jobs

        check_every = max(1, round(app.config["EVALUATION_CHECK_MINUTES"] * 60
                                   / RELAY_INTERVAL_S))
        rounds = 0
        while not stop.wait(RELAY_INTERVAL_S):
            rounds += 1
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
        (SiagaWorker if fork else SimpleWorker)([runtime.queue], connection=runtime.redis).work(
            with_scheduler=True, burst=burst)
    finally:
        stop.set()
