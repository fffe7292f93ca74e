"""How delivery is driven, per profile — the delivery code itself is the same everywhere.

- RQ (REDIS_URL set): after commit, a `deliver_job` is enqueued for the new outbox rows and
  an `escalate_job` is scheduled at each dispatch's acknowledgement deadline; `flask worker`
  runs the RQ worker (with scheduler) and a relay loop that re-enqueues anything due.
- Embedded (no Redis): a daemon thread in the web process wakes on commit (or every second)
  and runs the same delivery and escalation functions.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask

log = logging.getLogger(__name__)
RELAY_INTERVAL_S = 5.0
EVALUATION_FIRST_CHECK_S = 30.0


class PushRuntime:
    def __init__(self, app: Flask):
        self.app = app
        self._sender = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.app.config["FCM_CREDENTIALS"] or self.app.config["FCM_ENDPOINT"])

    @property
    def sender(self):
        """The FCM sender, built on first use (it makes a firebase App and a key)."""
        with self._lock:
            if self._sender is None:
                from push.fcm import FcmSender

                config = self.app.config
                self._sender = FcmSender(project_id=config["FCM_PROJECT_ID"],
                                         credentials_file=config["FCM_CREDENTIALS"],
                                         endpoint=config["FCM_ENDPOINT"])
            return self._sender

    def run_due_work(self) -> None:
        """Deliver whatever is due and time out overdue dispatches (relay and thread)."""
        from backend.dispatches.service import escalate_overdue
        from backend.extensions import db
        from push.delivery import deliver

        try:
            if escalate_overdue():
                db.session.commit()
            if self.configured:
                while deliver(None, self.sender).claimed:
                    pass
        finally:
            db.session.remove()

    def kick(self, outbox_ids: list[int], deadlines: list) -> None:
        raise NotImplementedError

    def kick_sms(self) -> None:
        """Outgoing SMS were committed: send them now rather than at the next relay round."""

    def run_sms_round(self) -> None:
        """The SMS gateway's work (backend/sms/service.py), when a gateway is configured.
        Never raises: SMS trouble must not stop alerts."""
        if not self.app.config["SMS_GATEWAY"]:
            return
        from backend.sms.service import gateway_round

        try:
            gateway_round()
        except Exception:
            log.exception("SMS gateway round")


class RqRuntime(PushRuntime):
    def __init__(self, app: Flask):
        super().__init__(app)
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5,
                                    socket_connect_timeout=2)
        self.queue = Queue("siaga-alerts", connection=self.redis)

    def kick(self, outbox_ids, deadlines) -> None:
        from redis.exceptions import RedisError

        from push import jobs

        try:
            if outbox_ids:
                self.queue.enqueue(jobs.deliver_job, outbox_ids, job_timeout=120)
            for dispatch_id, deadline in deadlines:
                self.queue.enqueue_at(deadline + timedelta(seconds=1), jobs.escalate_job,
                                      job_timeout=120)
        except RedisError as exc:
            # Committed rows are safe in the outbox; the relay will pick them up.
            log.warning("could not enqueue alert delivery (%s); the relay will retry", exc)

    def kick_sms(self) -> None:
        from redis.exceptions import RedisError

        from push import jobs

        try:
            self.queue.enqueue(jobs.sms_job, job_timeout=300)
        except RedisError as exc:  # the rows are queued in the database: the relay sends them
            log.warning("could not enqueue SMS sending (%s); the relay will", exc)


class ThreadRuntime(PushRuntime):
    def __init__(self, app: Flask):
        super().__init__(app)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.evaluation_thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.app.config["PUSH_THREAD"] or (self.thread and self.thread.is_alive()):
            return  # the common case, on every request: no lock
        with self._lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="siaga-push",
                                               daemon=True)
                self.thread.start()
            if self.app.config["EVALUATION_SCHEDULE"] and (
                    self.evaluation_thread is None or not self.evaluation_thread.is_alive()):
                # Its own thread: drawing a PDF takes seconds, alerts must not wait for it.
                self.evaluation_thread = threading.Thread(
                    target=self._evaluation_loop, name="siaga-evaluation", daemon=True)
                self.evaluation_thread.start()

    def _evaluation_loop(self) -> None:
        """Last month's evaluation reports: at start-up, then every EVALUATION_CHECK_MINUTES
        and at the start of each month (generate_due is idempotent; several web processes
        may run it, the unique period constraint keeps one report)."""
        from backend.db import utcnow
        from backend.evaluation.service import generate_due, next_month_start
        from backend.extensions import db

        # Let the server start serving first; the catch-up is not urgent.
        if self.stopping.wait(EVALUATION_FIRST_CHECK_S):
            return
        while not self.stopping.is_set():
            try:
                with self.app.app_context():
                    try:
                        generate_due()
                        db.session.commit()
                        wait = min(self.app.config["EVALUATION_CHECK_MINUTES"] * 60,
                                   (next_month_start() - utcnow()).total_seconds())
                    finally:
                        db.session.remove()
            except Exception:  # keep the loop alive; the next round retries
                log.exception("embedded evaluation schedule")
                wait = self.app.config["EVALUATION_CHECK_MINUTES"] * 60
            self.stopping.wait(max(1.0, wait))

    def kick(self, outbox_ids, deadlines) -> None:
        self.start()
        self.wake.set()

    def kick_sms(self) -> None:
        self.start()
        self.wake.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(5)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(timeout=1.0)
            self.wake.clear()
            try:
                with self.app.app_context():
                    self.run_due_work()
                with self.app.app_context():
                    self.run_sms_round()
            except Exception:  # keep the loop alive; the next round retries
                log.exception("embedded push loop")


def init_push(app: Flask) -> None:
    from backend.sms.service import install as install_sms
    from push.outbox import install

    install()
    install_sms()
    runtime = RqRuntime(app) if app.config["REDIS_URL"] else ThreadRuntime(app)
    app.extensions["siaga.push"] = runtime
    if isinstance(runtime, ThreadRuntime):
        app.before_request(runtime.start)
