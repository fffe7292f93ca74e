"""`flask worker`: an RQ worker that forks safely, plus the outbox relay loop."""
from __future__ import annotations

import logging
import threading

from rq import Worker

from backend.extensions import db
from push.runtime import RELAY_INTERVAL_S

log = logging.getLogger(__name__)


class SiagaWorker(Worker):
    """Each job runs in a forked child; it must not share the parent's DB connections."""

    def main_work_horse(self, *args, **kwargs):
        db.engine.dispose(close=False)  # in the child: fresh pool, parent's sockets untouched
        return super().main_work_horse(*args, **kwargs)


def run_worker(app, runtime, *, burst: bool = False) -> None:
    db.engine.dispose()
    stop = threading.Event()

    def relay():
        from push import jobs

        while not stop.wait(RELAY_INTERVAL_S):
            try:
                runtime.queue.enqueue(jobs.relay_job, job_timeout=300)
            except Exception:  # Redis down: try again next round
                log.warning("relay could not enqueue", exc_info=True)

    if not burst:
        threading.Thread(target=relay, name="siaga-relay", daemon=True).start()
    try:
        SiagaWorker([runtime.queue], connection=runtime.redis).work(
            with_scheduler=True, burst=burst)
    finally:
        stop.set()
