"""The transactional outbox: alert rows written with the dispatch, delivery kicked after commit.

A dispatch commits → its outbox rows are in the same commit → only then is delivery
enqueued (RQ) or the embedded thread woken. If the kick is lost (Redis down, crash), the
relay finds the rows still queued and sends them: an alert is never sent for an uncommitted
dispatch, and a committed one is eventually sent or visibly failed.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.accounts.models import User
from backend.db import utcnow
from backend.devices.models import Device
from backend.events import dispatch_cancelled, dispatch_created
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from push.models import PushOutbox

PENDING = "siaga.outbox.pending"        # outbox ids to deliver after commit
DEADLINES = "siaga.outbox.deadlines"    # (dispatch id, ack deadline) to check after commit


def queue_alerts(dispatch, *, incident, unit) -> list[int]:
    """One outbox row per phone of an on-duty responder of `unit` that has a push token."""
    db.session.info.setdefault(DEADLINES, []).append((dispatch.id, dispatch.ack_deadline))
    phones = db.session.execute(
        sa.select(Device.id, Device.fcm_token).join(User, User.id == Device.user_id)
        .where(User.unit_id == unit.id, User.on_duty.is_(True), User.active.is_(True),
               Device.kind == "responder", Device.revoked_at.is_(None))).all()
    # Every on-duty phone of the unit also finds the job in its next sync pull.
    append_changes([change_row(regency_id=dispatch.regency_id, device_id=phone.id,
                               type="dispatch.assigned",
                               data={"dispatch": dispatch.id, "incident": incident.number,
                                     "category": incident.category, "lat": incident.lat,
                                     "lon": incident.lon, "summary": incident.summary})
                    for phone in phones])
    devices = [phone.id for phone in phones if phone.fcm_token]
    if not devices:
        dispatch.needs_attention = True
        append_changes([change_row(regency_id=dispatch.regency_id, type="dispatch.undeliverable",
                                   data={"dispatch": dispatch.id, "unit": unit.id,
                                         "incident": incident.number,
                                         "why": "no on-duty responder phone"})])
        return []
    now = utcnow()
    ids = list(db.session.scalars(sa.insert(PushOutbox).returning(PushOutbox.id), [
        {"regency_id": dispatch.regency_id, "dispatch_id": dispatch.id, "device_id": device,
         "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now}
        for device in devices]))
    db.session.info.setdefault(PENDING, []).extend(ids)
    return ids


def drop_alerts(dispatch, **_) -> None:
    """An operator cancelled the dispatch (reassigned its unit): its queued alerts are dropped
    in the same transaction, so the crew is not rung for a job that is off."""
    db.session.execute(sa.update(PushOutbox).where(
        PushOutbox.dispatch_id == dispatch.id, PushOutbox.status == "queued")
        .values(status="dropped", last_error="dispatch cancelled")
        .execution_options(synchronize_session=False))


def _after_commit(session: Session) -> None:
    ids, deadlines = session.info.pop(PENDING, []), session.info.pop(DEADLINES, [])
    if ids or deadlines:
        current_app.extensions["siaga.push"].kick(ids, deadlines)


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(DEADLINES, None)


def install() -> None:
    """Subscribe to the domain event and the session's commit (idempotent)."""
    dispatch_created.connect(queue_alerts, weak=False)
    dispatch_cancelled.connect(drop_alerts, weak=False)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
