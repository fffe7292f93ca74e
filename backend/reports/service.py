"""Report services: create (in bulk, for sync batches), move through the state machine, read.

Services flush, never commit: the request or job that calls them owns the transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from backend.audit.service import audit_row, record_events
from backend.db import insert_ignoring_conflicts, utcnow
from backend.devices.models import Device
from backend.errors import InvalidTransition, NotFound
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from backend.places.service import locate, report_place
from backend.reports.models import REPORT_TRANSITIONS, Report, format_ref, parse_ref


@dataclass(frozen=True)
class NewReport:
    """A validated report, times already corrected (see sync.clock)."""

    client_op_id: str
    category: str
    note: str
    silent: bool
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    location_source: str | None
    location_fix_at: datetime | None
    device_captured_at: datetime | None
    captured_at: datetime
    time_source: str
    clock_offset_ms: int
    clock_skew_flagged: bool
    flooded: bool = False


def status_change(report_id: int, regency_id: int, device_id: int | None, status: str,
                  reason: str | None = None, place: str | None = None) -> dict:
    data = {"report": format_ref(report_id), "status": status}
    if reason:
        data["reason"] = reason
    if place:  # "Desa Kayu Ara, Kec. Sekayu": where the reporter's phone says it was
        data["place"] = place
    return change_row(regency_id=regency_id, device_id=device_id, type="report.status", data=data)


def flood_flags(*, device: Device, count: int) -> list[bool]:
    """Which of `count` new reports from `device` exceed its SOS rate (or come from a muted
    device): those are stored flagged, never refused. Counted before the insert, in memory or
    Redis (no database round trip); a counter that is down flags nothing."""
    if count == 0:
        return []
    if device.muted_at is not None:
        return [True] * count
    config = current_app.config
    total = current_app.extensions["siaga.counter"].increment(
        f"sos:{device.id}", config["SOS_FLOOD_WINDOW_S"], by=count)
    first = total - count  # reports counted before these
    return [first + i + 1 > config["SOS_FLOOD_PER_DEVICE"] for i in range(count)]


def create_reports(*, device: Device, reports: list[NewReport]) -> dict[str, int]:
    """Insert a device's reports, skipping those whose create op is already stored.

    Returns {client_op_id: report id} for the reports inserted by this call. The unique
    (device_id, client_op_id) index makes a concurrent insert of the same op wait for the
    first transaction and then skip it, so a report can never be stored twice.
    """
    if not reports:
        return {}
    now = utcnow()
    table = Report.__table__
    # The desa of every report, for the whole batch at once (one query on PostgreSQL); the
    # caller's number and the test flag come from the device's registration.
    places = locate(device.regency_id, [(r.lat, r.lon) for r in reports])
    rows = [dict(vars(r), regency_id=device.regency_id, device_id=device.id,
                 caller_phone=device.phone, test=device.test,
                 status="received", received_at=now, updated_at=now, desa_code=p.desa_code,
                 kecamatan_code=p.kecamatan_code, place_distance_m=p.distance_m)
            for r, p in zip(reports, places)]
    # Core, not ORM: a sync batch needs only the ids, and this is the hottest insert.
    stmt = insert_ignoring_conflicts(table, "device_id", "client_op_id").returning(
        table.c.client_op_id, table.c.id)
    inserted = dict(db.session.execute(stmt, rows).all())
    created = [(r, inserted[r.client_op_id], p) for r, p in zip(reports, places)
               if r.client_op_id in inserted]
    append_changes([status_change(i, device.regency_id, device.id, "received", place=p.label)
                    for _, i, p in created])
    record_events([
        audit_row(regency_id=device.regency_id, actor=("device", device.id),
                  action="report.create", entity=("report", format_ref(i)), at=now,
                  device_at=r.device_captured_at,
                  after={"category": r.category, "status": "received"})
        for r, i, _ in created])
    return inserted


def lock_device_reports(*, device: Device, client_op_ids: list[str]) -> dict[str, Report]:
    """Load (and lock, on PostgreSQL) this device's reports by the ids of their create ops."""
    if not client_op_ids:
        return {}
    reports = db.session.scalars(
        sa.select(Report)
        .where(Report.device_id == device.id, Report.client_op_id.in_(client_op_ids))
        .with_for_update()
    ).all()
    return {r.client_op_id: r for r in reports}


# An operator's decision on a received report: the end of the triage measure (the citizen
# cancelling their own report is not one).
TRIAGE_DECISIONS = ("confirmed", "rejected", "merged")


def transition_report(*, report: Report, to: str, actor: tuple[str, object],
                      reason: str | None = None, device_at: datetime | None = None) -> Report:
    """Move a report to `to` if the state machine allows it; record change and audit."""
    if to not in REPORT_TRANSITIONS[report.status]:
        raise InvalidTransition(f"Report {report.ref} is {report.status}; it cannot become {to}.",
                                details={"from": report.status, "to": to})
    before = report.status
    report.status, report.status_reason, report.updated_at = to, reason, utcnow()
    if before == "received" and to in TRIAGE_DECISIONS and actor[0] == "user":
        report.triaged_at, report.triaged_by = report.updated_at, actor[1]
        report.first_viewed_at = report.first_viewed_at or report.updated_at
    place = report_place(report)["label"] if report.device_id is not None else None
    append_changes([status_change(report.id, report.regency_id, report.device_id, to, reason,
                                  place=place)])
    record_events([audit_row(regency_id=report.regency_id, actor=actor,
                             action=f"report.{to}", entity=("report", report.ref),
                             before={"status": before}, after={"status": to, "reason": reason},
                             device_at=device_at)])
    db.session.flush()
    return report


def update_report_note(*, report: Report, note: str, actor: tuple[str, object],
                       device_at: datetime | None = None) -> Report:
    """Replace the note of a report that is still open (received or confirmed)."""
    if report.status not in {"received", "confirmed"}:
        raise InvalidTransition(f"Report {report.ref} is {report.status}; its note is final.",
                                details={"from": report.status})
    before = report.note
    report.note, report.updated_at = note, utcnow()
    record_events([audit_row(regency_id=report.regency_id, actor=actor,
                             action="report.update_note", entity=("report", report.ref),
                             before={"note": before}, after={"note": note},
                             device_at=device_at)])
    db.session.flush()
    return report


def get_device_report(*, device: Device, ref: str) -> Report:
    """Return one of the device's own reports; another device's report does not exist for it."""
    report_id = parse_ref(ref)
    report = db.session.get(Report, report_id) if report_id is not None else None
    if report is None or report.device_id != device.id:
        raise NotFound(f"No report {ref} for this device.", code="report_not_found")
    return report


def list_device_reports(*, device: Device, limit: int, before_id: int | None = None
                        ) -> list[Report]:
    """The device's own reports, newest first."""
    query = sa.select(Report).where(Report.device_id == device.id)
    if before_id is not None:
        query = query.where(Report.id < before_id)
    return list(db.session.scalars(query.order_by(Report.id.desc()).limit(limit)))
