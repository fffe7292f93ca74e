"""Deliver queued alerts: claim, send through FCM, settle — safe to run twice, anywhere.

claim() moves due rows to `sending` with a lease in one UPDATE … RETURNING, so two workers
(or a job run twice) never both send a row. A worker killed between claim and settle leaves
the row leased; when the lease runs out the relay claims it again — the alert is then sent
again or marked for retry, never silently dropped (a rare second copy is folded on the
phone by the collapse key / notification tag of the incident).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from firebase_admin import messaging
from flask import current_app

from backend.db import utcnow
from backend.devices.models import Device
from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from backend.i18n import category_label
from backend.metrics.instruments import count_alert_sends
from backend.incidents.models import Incident
from backend.places.service import incident_place
from backend.text import one_line
from backend.units.models import Unit
from push.fcm import Outcome
from push.models import PushOutbox

log = logging.getLogger(__name__)
BATCH = 500  # FCM send_each limit


@dataclass
class Stats:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    dropped: int = 0
    claimed: list[int] = field(default_factory=list)


def claim(ids: list[int] | None = None, *, now=None, limit: int = BATCH) -> list[int]:
    """Lease due rows (queued and due, or sending with an expired lease); commit; return ids.

    Two statements on purpose: with the pick as a subquery of the UPDATE, PostgreSQL may
    re-run it per row and SKIP LOCKED then hands out more than `limit` rows.
    """
    now = now or utcnow()
    lease = now + timedelta(seconds=current_app.config["PUSH_LEASE_SECONDS"])
    due = sa.or_(sa.and_(PushOutbox.status == "queued", PushOutbox.next_attempt_at <= now),
                 sa.and_(PushOutbox.status == "sending", PushOutbox.lease_until < now))
    pick = sa.select(PushOutbox.id).where(due).order_by(PushOutbox.next_attempt_at).limit(limit)
    if ids is not None:
        pick = pick.where(PushOutbox.id.in_(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    picked = list(db.session.scalars(pick))
    claimed = list(db.session.scalars(
        sa.update(PushOutbox).where(PushOutbox.id.in_(picked), due)
        .values(status="sending", lease_until=lease, attempts=PushOutbox.attempts + 1)
        .returning(PushOutbox.id).execution_options(synchronize_session=False))) \
        if picked else []
    db.session.commit()
    return claimed


def alert_message(*, token: str, dispatch: Dispatch, incident: Incident, unit: Unit,
                  ttl_s: int) -> messaging.Message:
    """The alert a responder's phone rings for: high priority, short-lived, one per incident."""
    label = category_label(incident.category, "id")
    distance = f"{dispatch.distance_m / 1000:.1f} km dari {unit.post_name}" \
        if dispatch.distance_m is not None else unit.post_name
    place = incident_place(incident)
    where = place["label"] or (f"{incident.lat:.5f},{incident.lon:.5f}"
                               if incident.lat is not None else "")
    summary = one_line(incident.summary, 500)  # citizen text: one line, no control chars
    data = {"type": "dispatch", "dispatch": str(dispatch.id), "incident": incident.number,
            "category": incident.category, "priority": str(incident.priority),
            "lat": "" if incident.lat is None else str(incident.lat),
            "lon": "" if incident.lon is None else str(incident.lon),
            "place": place["label"] or "", "desa": place["desa"] or "",
            "kecamatan": place["kecamatan"] or "",
            "summary": summary, "unit": unit.call_sign, "test": "1" if incident.test else "0"}
    return messaging.Message(
        token=token, data=data,
        notification=messaging.Notification(
            title=f"{'[UJI] ' if incident.test else ''}112 {label.upper()} · {incident.number}",
            body=(f"{where} · " if where else "") + f"{(summary or label)[:120]} · {distance}"),
        android=messaging.AndroidConfig(
            priority="high", ttl=timedelta(seconds=ttl_s), collapse_key=incident.number,
            notification=messaging.AndroidNotification(
                channel_id="siaga112_alert", sound="default", tag=incident.number,
                priority="max", visibility="public", default_vibrate_timings=True)),
        apns=messaging.APNSConfig(headers={"apns-priority": "10",
                                           "apns-collapse-id": incident.number[-64:]}))


def backoff_s(attempts: int) -> float:
    """2, 4, 8 s, then every PUSH_BACKOFF_CAP_S: an alert later than a minute or two is
    worth less than a visible failure the operator acts on (escalation runs meanwhile)."""
    return min(float(current_app.config["PUSH_BACKOFF_CAP_S"]), 2.0 * 2 ** max(0, attempts - 1))


def deliver(ids: list[int] | None, sender) -> Stats:
    """Claim due alerts (all, or among `ids`), send them, record every outcome."""
    stats = Stats(claimed=claim(ids))
    if not stats.claimed:
        return stats
    config = current_app.config
    rows = db.session.execute(
        sa.select(PushOutbox, Device, Dispatch, Incident, Unit)
        .join(Device, Device.id == PushOutbox.device_id)
        .join(Dispatch, Dispatch.id == PushOutbox.dispatch_id)
        .join(Incident, Incident.id == Dispatch.incident_id)
        .join(Unit, Unit.id == Dispatch.unit_id)
        .where(PushOutbox.id.in_(stats.claimed)).order_by(PushOutbox.id)).all()
    sendable = [r for r in rows if r.Device.fcm_token and r.Device.revoked_at is None]
    try:
        outcomes = dict(zip([r.PushOutbox.id for r in sendable], sender.send([
            alert_message(token=r.Device.fcm_token, dispatch=r.Dispatch, incident=r.Incident,
                          unit=r.Unit, ttl_s=config["PUSH_TTL_SECONDS"]) for r in sendable])))
    except Exception as exc:  # never leave claimed rows to wait out their lease
        log.exception("sending alerts failed; rescheduling %d", len(rows))
        outcomes = {r.PushOutbox.id: Outcome("retry", error=f"{type(exc).__name__}: {exc}")
                    for r in sendable}
    now = utcnow()
    for row in rows:
        settle(row, outcomes.get(row.PushOutbox.id, Outcome("drop_token", error="no token")),
               now, stats)
    db.session.commit()
    count_alert_sends(stats)
    return stats


def settle(row, outcome: Outcome, now, stats: Stats) -> None:
    box, device, dispatch = row.PushOutbox, row.Device, row.Dispatch
    box.lease_until = None
    if outcome.kind == "sent":
        box.status, box.fcm_message_name, box.sent_at, box.last_error = (
            "sent", outcome.name, now, None)
        stats.sent += 1
        if dispatch.status == "pending":
            dispatch.status, dispatch.updated_at = "notified", now
            append_changes([change_row(regency_id=dispatch.regency_id, type="dispatch.status",
                                       data={"dispatch": dispatch.id, "unit": dispatch.unit_id,
                                             "incident": row.Incident.number,
                                             "dispatch_status": "notified"})])
        return
    box.last_error = (outcome.error or outcome.kind)[:300]
    if outcome.kind == "retry" and box.attempts < current_app.config["PUSH_MAX_ATTEMPTS"]:
        wait = max(outcome.retry_after_s or 0.0, backoff_s(box.attempts))
        box.status, box.next_attempt_at = "queued", now + timedelta(seconds=wait)
        stats.retry += 1
        return
    if outcome.kind == "drop_token":
        box.status = "dropped"
        if device.fcm_token:
            device.fcm_token, device.push_error = None, (outcome.error or "")[:40]
        stats.dropped += 1
    else:
        box.status = "failed"
        stats.failed += 1
    log.warning("alert %s to device %s %s: %s", box.id, device.id, box.status, box.last_error)
    _flag_if_nobody_reached(dispatch, row.Incident)


def _flag_if_nobody_reached(dispatch: Dispatch, incident: Incident) -> None:
    db.session.flush()
    open_rows = db.session.scalar(sa.select(sa.func.count()).select_from(PushOutbox).where(
        PushOutbox.dispatch_id == dispatch.id,
        PushOutbox.status.in_(("queued", "sending", "sent"))))
    if not open_rows and not dispatch.needs_attention:
        dispatch.needs_attention = True
        append_changes([change_row(regency_id=dispatch.regency_id, type="dispatch.undeliverable",
                                   data={"dispatch": dispatch.id, "unit": dispatch.unit_id,
                                         "incident": incident.number,
                                         "why": "no alert could be delivered"})])


def due_ids(limit: int = 5000) -> list[int]:
    """Ids the relay should (re)enqueue: queued and due, or leased and expired."""
    now = utcnow()
    return list(db.session.scalars(sa.select(PushOutbox.id).where(sa.or_(
        sa.and_(PushOutbox.status == "queued", PushOutbox.next_attempt_at <= now),
        sa.and_(PushOutbox.status == "sending", PushOutbox.lease_until < now)))
        .order_by(PushOutbox.id).limit(limit)))
