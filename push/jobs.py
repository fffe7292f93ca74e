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


def sms_job() -> None:
    """Send due SMS, store what waits in the gateway's inbox (idempotent)."""
    _runtime().run_sms_round()
