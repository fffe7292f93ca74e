"""RQ jobs. They take ids, reload everything, and are safe to run twice."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app

from backend.extensions import db


def _runtime():
    return current_app.extensions["siaga.push"]


def deliver_job(outbox_ids: list[int]) -> dict:
    """Send these alerts if they are still due (a second run finds nothing to claim)."""
    from push.delivery import deliver

    try:
        return asdict(deliver(outbox_ids, _runtime().sender))
    finally:
        db.session.remove()


def escalate_job() -> None:
    """Time out dispatches past their acknowledgement deadline (idempotent)."""
    from backend.dispatches.service import escalate_overdue

    try:
        escalate_overdue()
        db.session.commit()
    finally:
        db.session.remove()


def relay_job() -> None:
    """Everything due: alerts whose kick was lost or whose lease expired, overdue dispatches."""
    _runtime().run_due_work()


EVALUATION_JOB_ID = "siaga-evaluation-next-month"


def evaluation_job() -> list[int]:
    """Generate every regency's previous-month evaluation report not done yet (idempotent:
    a second run finds the reports and does nothing), then book the next run at the start
    of next month with RQ's scheduler (one booking, whatever the number of workers)."""
    from backend.evaluation.service import generate_due, next_month_start

    try:
        done = [report.id for report in generate_due()]
        db.session.commit()
    finally:
        db.session.remove()
    runtime = _runtime()
    queue = getattr(runtime, "queue", None)
    if queue is not None:
        queue.enqueue_at(next_month_start(), evaluation_job, job_id=EVALUATION_JOB_ID,
                         job_timeout=1800)
    return done
def sms_job() -> None:
    """Send due SMS, store what waits in the gateway's inbox (idempotent)."""
    _runtime().run_sms_round()
