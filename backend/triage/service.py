"""Triage: the operator's actions on incoming reports — confirm, reject, merge, split, enter
a voice call — and the reads that support them (inbox, likely duplicates, reporter history).

Two operators acting on one report at once leave one consistent result: the report row is
locked, so the second finds the new state and is refused with invalid_transition.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from backend.accounts.models import User
from backend.devices.models import Device
from backend.accounts.permissions import PERMISSIONS
from backend.accounts.service import actor_ref, require
from backend.audit.service import audit_row, record_events
from backend.db import dialect_name, utcnow
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.extensions import db
from backend.geo import bounding_box, distance_m
from backend.incidents.models import Incident
from backend.incidents.service import (
    URGENT_CATEGORIES,
    lock_open_incident,
    move_incident,
    new_incident,
    tell_reporters,
)
from backend.reports.models import REJECT_REASONS, Report, parse_ref
from backend.sms.aml_match import attach_held
from backend.reports.service import NewReport, create_reports, transition_report

DUPLICATE_RADIUS_M = 1000
DUPLICATE_WINDOW = timedelta(minutes=60)


def _lock_report(actor: User, ref: str) -> Report:
    report_id = parse_ref(ref)
    report = db.session.scalar(sa.select(Report).where(
        Report.id == report_id, Report.regency_id == actor.regency_id).with_for_update()) \
        if report_id is not None else None
    if report is None:
        raise NotFound(f"No report {ref} in this regency.", code="report_not_found")
    return report



def get_report(*, actor: User, ref: str) -> Report:
    require(actor, "view")
    report_id = parse_ref(ref)
    report = db.session.get(Report, report_id) if report_id is not None else None
    if report is None or report.regency_id != actor.regency_id:
        raise NotFound(f"No report {ref} in this regency.", code="report_not_found")
    return report



def open_report(*, actor: User, ref: str) -> Report:
    """A report as an operator opens it: the first opening by someone who triages marks
    first_viewed_at (the end of the answer measure), once, without locking the row."""
    report = get_report(actor=actor, ref=ref)
    if report.first_viewed_at is None and actor.role in PERMISSIONS["triage"]:
        db.session.execute(sa.update(Report).where(
            Report.id == report.id, Report.first_viewed_at.is_(None))
            .values(first_viewed_at=utcnow()).execution_options(synchronize_session=False))
        db.session.refresh(report, ["first_viewed_at"])
    return report


def confirm_report(*, actor: User, ref: str, incident: str | None = None,
                   priority: int | None = None, summary: str | None = None) -> Incident:
    """Confirm a received report: open a new incident for it, or join an existing one."""
    require(actor, "triage")
    report = _lock_report(actor, ref)
    if report.status != "received":  # merged → confirmed exists, but only for split
        raise InvalidTransition(f"Report {report.ref} is {report.status}; only received "
                                f"reports can be confirmed.",
                                details={"from": report.status, "to": "confirmed"})
    target = lock_open_incident(actor, incident) if incident else None
    transition_report(report=report, to="confirmed", actor=actor_ref(actor))
    target = target or new_incident(actor, report, priority, summary)
    report.incident_id = target.id
    tell_reporters(target, target.status)
    db.session.flush()
    return target


def reject_report(*, actor: User, ref: str, reason: str, note: str | None = None) -> Report:
    """Reject a report as a prank, a test or invalid; the reporter's phone is told."""
    require(actor, "triage")
    if reason not in REJECT_REASONS:
        raise ValidationFailed("Unknown reason.", details={"reason": list(REJECT_REASONS)})
    report = _lock_report(actor, ref)
    return transition_report(report=report, to="rejected", actor=actor_ref(actor),
                             reason=f"{reason}: {note}" if note else reason)


def merge_report(*, actor: User, ref: str, incident: str) -> Incident:
    """Fold a report into an incident as a duplicate (from received or from another incident)."""
    require(actor, "triage")
    report = _lock_report(actor, ref)
    target = lock_open_incident(actor, incident)
    if report.incident_id == target.id:
        raise InvalidTransition(f"Report {report.ref} already belongs to {target.number}.",
                                code="already_in_incident")
    transition_report(report=report, to="merged", actor=actor_ref(actor),
                      reason=f"duplicate of {target.number}")
    left = report.incident_id
    report.incident_id = target.id
    db.session.flush()
    if left is not None:
        _close_if_emptied(actor, left, target)
    tell_reporters(target, target.status)
    return target


def _close_if_emptied(actor: User, incident_id: int, into: Incident) -> None:
    """An open incident whose last report was merged away is a duplicate: close it."""
    emptied = db.session.scalar(sa.select(Incident).where(Incident.id == incident_id)
                                .with_for_update())
    remaining = db.session.scalar(sa.select(sa.func.count()).select_from(Report).where(
        Report.incident_id == incident_id))
    if not remaining and emptied.status == "open":
        move_incident(actor, emptied, "closed")
        record_events([audit_row(regency_id=actor.regency_id, actor=actor_ref(actor),
                                 action="incident.duplicate", entity=("incident", emptied.number),
                                 after={"merged_into": into.number})])


def split_report(*, actor: User, ref: str) -> Incident:
    """Take a report back out of its incident into a new incident of its own."""
    require(actor, "triage")
    report = _lock_report(actor, ref)
    if report.incident_id is None:
        raise InvalidTransition(f"Report {report.ref} is in no incident.", code="not_in_incident")
    siblings = db.session.scalar(sa.select(sa.func.count()).select_from(Report).where(
        Report.incident_id == report.incident_id, Report.id != report.id))
    if not siblings:
        raise InvalidTransition(f"Report {report.ref} is alone in its incident.",
                                code="nothing_to_split")
    if report.status == "merged":
        transition_report(report=report, to="confirmed", actor=actor_ref(actor), reason="split")
    incident = new_incident(actor, report, None, None)
    report.incident_id = incident.id
    record_events([audit_row(regency_id=actor.regency_id, actor=actor_ref(actor),
                             action="report.split", entity=("report", report.ref),
                             after={"incident": incident.number})])
    tell_reporters(incident, incident.status)
    db.session.flush()
    return incident


def create_call_report(*, actor: User, category: str, note: str, lat: float | None,
                       lon: float | None, caller_phone: str | None, silent: bool = False,
                       test: bool = False, desa_code: str | None = None) -> Report:
    """Enter a report taken by voice call; it joins the inbox like an app report.

    The caller's place is a point (lat/lon) or a desa (its label point stands for it). AML
    fixes held for the caller's number are attached to it, never applied to its location.
    """
    require(actor, "triage")
    now = utcnow()
    report_id, = create_reports(regency_id=actor.regency_id, actor=actor_ref(actor), reports=[
        NewReport(channel="call", category=category, note=note, silent=silent, lat=lat,
                  lon=lon, accuracy_m=None, location_source="manual" if lat is not None
                  else None, location_fix_at=None, device_captured_at=None, captured_at=now,
                  time_source="server", caller_phone=caller_phone, desa_code=desa_code,
                  created_by=actor.id, test=test)], received_at=now)
    report = db.session.get(Report, report_id)
    attach_held(report)   # the AML the caller's phone sent during the call (supplemental)
    return report


@dataclass(frozen=True)
class Suggestion:
    report: Report
    distance_m: float | None


def likely_duplicates(*, actor: User, report: Report) -> list[Suggestion]:
    """Reports of the same category near this one (1 km) within an hour, nearest first."""
    require(actor, "view")
    if report.lat is None:
        return []
    query = sa.select(Report).where(
        Report.regency_id == report.regency_id, Report.id != report.id,
        Report.category == report.category,
        Report.status.in_(("received", "confirmed", "merged")),
        Report.captured_at.between(report.captured_at - DUPLICATE_WINDOW,
                                   report.captured_at + DUPLICATE_WINDOW))
    if dialect_name() == "postgresql":
        rows = db.session.execute(
            query.add_columns(sa.func.ST_Distance(Report.location, sa.select(Report.location)
                                                  .where(Report.id == report.id)
                                                  .scalar_subquery()).label("d"))
            .where(sa.func.ST_DWithin(Report.location, sa.select(Report.location)
                                      .where(Report.id == report.id).scalar_subquery(),
                                      DUPLICATE_RADIUS_M))
            .order_by("d").limit(20)).all()
        return [Suggestion(r, float(d)) for r, d in rows]
    min_lat, max_lat, min_lon, max_lon = bounding_box(report.lat, report.lon, DUPLICATE_RADIUS_M)
    candidates = db.session.scalars(query.where(Report.lat.between(min_lat, max_lat),
                                                Report.lon.between(min_lon, max_lon))).all()
    ranked = sorted((distance_m(report.lat, report.lon, r.lat, r.lon), r.id, r)
                    for r in candidates)
    return [Suggestion(r, d) for d, _, r in ranked if d <= DUPLICATE_RADIUS_M][:20]


def reporter_history(*, actor: User, report: Report, limit: int = 10) -> list[Report]:
    """The same reporter's other reports (by device, or by caller phone for voice calls and
    reports taken at a post — the post's phone is not the reporter's)."""
    require(actor, "view")
    if report.device_id is not None and report.source != "post":
        same = Report.device_id == report.device_id
    elif report.caller_phone:
        same = Report.caller_phone == report.caller_phone
    else:
        return []
    return list(db.session.scalars(sa.select(Report).where(
        same, Report.id != report.id, Report.regency_id == actor.regency_id)
        .order_by(Report.id.desc()).limit(limit)))


CRITICAL_FIRST = sa.case((Report.silent.is_(True), 0),
                         (Report.category.in_(URGENT_CATEGORIES), 1), else_=2)


def inbox(*, actor: User, statuses=("received",), limit: int = 100,
          include_test: bool = False) -> list[Report]:
    """Reports awaiting triage: silent SOS first, then urgent categories, newest first.

    Test traffic stays out unless asked for (it is never a real emergency)."""
    require(actor, "view")
    query = sa.select(Report).where(Report.regency_id == actor.regency_id,
                                    Report.status.in_(statuses))
    if not include_test:
        query = query.where(Report.test.is_(False))
    return list(db.session.scalars(
        query.where(Report.flooded.is_(False))
        .order_by(CRITICAL_FIRST, Report.received_at.desc()).limit(limit)))


@dataclass(frozen=True)
class Flood:
    """One inbox row for all of a device's flagged reports awaiting triage."""

    device: Device
    count: int
    newest: Report


def floods(*, actor: User, limit: int = 20) -> list[Flood]:
    """Devices whose reports beyond their SOS rate await triage, largest flood first. They
    come after every real report in the inbox; nothing in them is dropped."""
    require(actor, "view")
    rows = db.session.execute(
        sa.select(Report.device_id, sa.func.count(), sa.func.max(Report.id))
        .where(Report.regency_id == actor.regency_id, Report.status == "received",
               Report.flooded.is_(True), Report.test.is_(False))
        .group_by(Report.device_id).order_by(sa.func.count().desc()).limit(limit)).all()
    devices = {d.id: d for d in db.session.scalars(
        sa.select(Device).where(Device.id.in_([r[0] for r in rows])))} if rows else {}
    newest = {r.id: r for r in db.session.scalars(
        sa.select(Report).where(Report.id.in_([r[2] for r in rows])))} if rows else {}
    return [Flood(devices[device_id], n, newest[newest_id])
            for device_id, n, newest_id in rows]

