"""Triage and dispatch: the operator actions on reports and incidents.

Every action: authorise (role + regency), lock the rows it changes (FOR UPDATE on
PostgreSQL; SQLite transactions are serialised), check the state machine, write, append the
audit event and the changes that operators' consoles and reporters' phones pull.
Two operators acting on one report at once therefore leave one consistent result: the
second finds the new state and is refused with invalid_transition.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.accounts.service import require
from backend.audit.models import AuditEvent
from backend.audit.service import audit_row, record_events
from backend.db import dialect_name, in_range, utcnow
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from backend.geo import bounding_box, distance_m
from backend.i18n import category_label, format_time
from backend.events import dispatch_created
from backend.incidents.models import (ACTIVE_DISPATCH, DISPATCH_TRANSITIONS, INCIDENT_TRANSITIONS,
                                      Dispatch, Incident)
from backend.reports.models import REJECT_REASONS, Report, format_ref, parse_ref
from backend.reports.service import status_change, transition_report
from backend.units.service import get_unit, recommend_units

# Life-threatening by default; the operator can change an incident's priority.
URGENT_CATEGORIES = ("fire", "health", "accident", "violence_women_children", "natural_disaster")
DUPLICATE_RADIUS_M = 1000
DUPLICATE_WINDOW = timedelta(minutes=60)


def parse_incident_number(number: str) -> int | None:
    parts = number.split("-") if isinstance(number, str) else []
    if len(parts) == 3 and parts[0] == "112" and parts[2].isdigit() and len(parts[2]) < 19:
        return int(parts[2]) or None
    return None


def _actor(user: User) -> tuple[str, int]:
    return ("user", user.id)


def _lock_report(actor: User, ref: str) -> Report:
    report_id = parse_ref(ref)
    report = db.session.scalar(sa.select(Report).where(
        Report.id == report_id, Report.regency_id == actor.regency_id).with_for_update()) \
        if report_id is not None else None
    if report is None:
        raise NotFound(f"No report {ref} in this regency.", code="report_not_found")
    return report


def get_incident(*, actor: User, number: str, lock: bool = False) -> Incident:
    require(actor, "view")
    incident_id = parse_incident_number(number)
    query = sa.select(Incident).where(Incident.id == incident_id,
                                      Incident.regency_id == actor.regency_id)
    incident = db.session.scalar(query.with_for_update() if lock else query) \
        if incident_id is not None else None
    if incident is None:
        raise NotFound(f"No incident {number} in this regency.", code="incident_not_found")
    return incident


def get_report(*, actor: User, ref: str) -> Report:
    require(actor, "view")
    report_id = parse_ref(ref)
    report = db.session.get(Report, report_id) if report_id is not None else None
    if report is None or report.regency_id != actor.regency_id:
        raise NotFound(f"No report {ref} in this regency.", code="report_not_found")
    return report


def _incident_change(incident: Incident, type_: str, **data) -> dict:
    return change_row(regency_id=incident.regency_id, type=type_,
                      data={"incident": incident.number, "status": incident.status, **data})


def _tell_reporters(incident: Incident, status: str) -> None:
    """Each reporter's phone learns what became of the incident its report joined."""
    reporters = db.session.execute(
        sa.select(Report.id, Report.device_id).where(Report.incident_id == incident.id,
                                                     Report.device_id.is_not(None))).all()
    append_changes([change_row(regency_id=incident.regency_id, device_id=device_id,
                               type="incident.status",
                               data={"report": format_ref(report_id),
                                     "incident": incident.number, "status": status})
                    for report_id, device_id in reporters])


def _new_incident(actor: User, report: Report, priority: int | None, summary: str | None
                  ) -> Incident:
    incident = Incident(
        regency_id=actor.regency_id, category=report.category,
        priority=priority or (1 if report.category in URGENT_CATEGORIES else 2),
        status="open", lat=report.lat, lon=report.lon, summary=summary or report.note,
        created_by=actor.id, created_at=utcnow(), updated_at=utcnow())
    db.session.add(incident)
    db.session.flush()
    record_events([audit_row(regency_id=actor.regency_id, actor=_actor(actor),
                             action="incident.create", entity=("incident", incident.number),
                             after={"category": incident.category, "priority": incident.priority,
                                    "from_report": report.ref})])
    append_changes([_incident_change(incident, "incident.created")])
    return incident


def _open_incident(actor: User, number: str) -> Incident:
    incident = get_incident(actor=actor, number=number, lock=True)
    if incident.status in ("resolved", "closed"):
        raise InvalidTransition(f"Incident {incident.number} is {incident.status}.",
                                details={"incident_status": incident.status})
    return incident


def confirm_report(*, actor: User, ref: str, incident: str | None = None,
                   priority: int | None = None, summary: str | None = None) -> Incident:
    """Confirm a received report: open a new incident for it, or join an existing one."""
    require(actor, "triage")
    report = _lock_report(actor, ref)
    if report.status != "received":  # merged → confirmed exists, but only for split
        raise InvalidTransition(f"Report {report.ref} is {report.status}; only received "
                                f"reports can be confirmed.",
                                details={"from": report.status, "to": "confirmed"})
    target = _open_incident(actor, incident) if incident else None
    transition_report(report=report, to="confirmed", actor=_actor(actor))
    target = target or _new_incident(actor, report, priority, summary)
    report.incident_id = target.id
    _tell_reporters(target, target.status)
    db.session.flush()
    return target


def reject_report(*, actor: User, ref: str, reason: str, note: str | None = None) -> Report:
    """Reject a report as a prank, a test or invalid; the reporter's phone is told."""
    require(actor, "triage")
    if reason not in REJECT_REASONS:
        raise ValidationFailed("Unknown reason.", details={"reason": list(REJECT_REASONS)})
    report = _lock_report(actor, ref)
    return transition_report(report=report, to="rejected", actor=_actor(actor),
                             reason=f"{reason}: {note}" if note else reason)


def merge_report(*, actor: User, ref: str, incident: str) -> Incident:
    """Fold a report into an incident as a duplicate (from received or from another incident)."""
    require(actor, "triage")
    report = _lock_report(actor, ref)
    target = _open_incident(actor, incident)
    if report.incident_id == target.id:
        raise InvalidTransition(f"Report {report.ref} already belongs to {target.number}.",
                                code="already_in_incident")
    transition_report(report=report, to="merged", actor=_actor(actor),
                      reason=f"duplicate of {target.number}")
    left = report.incident_id
    report.incident_id = target.id
    db.session.flush()
    if left is not None:
        _close_if_emptied(actor, left, target)
    _tell_reporters(target, target.status)
    return target


def _close_if_emptied(actor: User, incident_id: int, into: Incident) -> None:
    """An open incident whose last report was merged away is a duplicate: close it."""
    emptied = db.session.scalar(sa.select(Incident).where(Incident.id == incident_id)
                                .with_for_update())
    remaining = db.session.scalar(sa.select(sa.func.count()).select_from(Report).where(
        Report.incident_id == incident_id))
    if not remaining and emptied.status == "open":
        _move_incident(actor, emptied, "closed")
        record_events([audit_row(regency_id=actor.regency_id, actor=_actor(actor),
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
        transition_report(report=report, to="confirmed", actor=_actor(actor), reason="split")
    incident = _new_incident(actor, report, None, None)
    report.incident_id = incident.id
    record_events([audit_row(regency_id=actor.regency_id, actor=_actor(actor),
                             action="report.split", entity=("report", report.ref),
                             after={"incident": incident.number})])
    _tell_reporters(incident, incident.status)
    db.session.flush()
    return incident


def create_call_report(*, actor: User, category: str, note: str, lat: float | None,
                       lon: float | None, caller_phone: str | None, silent: bool = False
                       ) -> Report:
    """Enter a report taken by voice call; it joins the inbox like an app report."""
    require(actor, "triage")
    now = utcnow()
    report = Report(regency_id=actor.regency_id, device_id=None, category=category, note=note,
                    silent=silent, lat=lat, lon=lon, accuracy_m=None,
                    location_source="manual" if lat is not None else None,
                    captured_at=now, received_at=now, updated_at=now, time_source="server",
                    clock_offset_ms=0, clock_skew_flagged=False, status="received",
                    source="call", caller_phone=caller_phone, created_by=actor.id)
    db.session.add(report)
    db.session.flush()
    append_changes([status_change(report.id, report.regency_id, None, "received")])
    record_events([audit_row(regency_id=actor.regency_id, actor=_actor(actor),
                             action="report.create_call", entity=("report", report.ref),
                             after={"category": category, "caller_phone": caller_phone})])
    return report


def transition_incident(*, actor: User, number: str, to: str) -> Incident:
    """Move an incident along its state machine (impossible moves: invalid_transition)."""
    require(actor, "dispatch")
    incident = get_incident(actor=actor, number=number, lock=True)
    _move_incident(actor, incident, to)
    return incident


def _move_incident(actor: User, incident: Incident, to: str) -> None:
    if to not in INCIDENT_TRANSITIONS.get(incident.status, ()):
        raise InvalidTransition(f"Incident {incident.number} is {incident.status}; "
                                f"it cannot become {to}.",
                                details={"from": incident.status, "to": to})
    before, incident.status, incident.updated_at = incident.status, to, utcnow()
    record_events([audit_row(regency_id=incident.regency_id, actor=_actor(actor),
                             action=f"incident.{to}", entity=("incident", incident.number),
                             before={"status": before}, after={"status": to})])
    append_changes([_incident_change(incident, "incident.status")])
    _tell_reporters(incident, to)
    db.session.flush()


def add_note(*, actor: User, number: str, text: str) -> Incident:
    """Add an operator's note to the incident's timeline."""
    require(actor, "triage")
    incident = get_incident(actor=actor, number=number)
    record_events([audit_row(regency_id=incident.regency_id, actor=_actor(actor),
                             action="incident.note", entity=("incident", incident.number),
                             after={"text": text})])
    append_changes([_incident_change(incident, "incident.note")])
    return incident


def set_priority(*, actor: User, number: str, priority: int) -> Incident:
    require(actor, "triage")
    if priority not in (1, 2, 3):
        raise ValidationFailed("Priority is 1, 2 or 3.", details={"priority": [1, 2, 3]})
    incident = get_incident(actor=actor, number=number, lock=True)
    before, incident.priority, incident.updated_at = incident.priority, priority, utcnow()
    record_events([audit_row(regency_id=incident.regency_id, actor=_actor(actor),
                             action="incident.priority", entity=("incident", incident.number),
                             before={"priority": before}, after={"priority": priority})])
    append_changes([_incident_change(incident, "incident.updated")])
    return incident


def dispatch_units(*, actor: User, number: str, unit_ids: list[int]) -> list[Dispatch]:
    """Send units to an incident: dispatch rows, audit and changes in the caller's transaction.

    A unit already actively dispatched to this incident is not dispatched twice.
    """
    require(actor, "dispatch")
    if not unit_ids:
        raise ValidationFailed("Pick at least one unit.", details={"units": ["required"]})
    incident = _open_incident(actor, number)
    active = set(db.session.scalars(sa.select(Dispatch.unit_id).where(
        Dispatch.incident_id == incident.id, Dispatch.status.in_(ACTIVE_DISPATCH))))
    created = []
    for unit_id in dict.fromkeys(unit_ids):
        unit = get_unit(actor=actor, unit_id=unit_id)
        if unit.id in active:
            continue
        distance = distance_m(incident.lat, incident.lon, unit.lat, unit.lon) \
            if incident.lat is not None else None
        dispatch = Dispatch(regency_id=incident.regency_id, incident_id=incident.id,
                            unit_id=unit.id, status="pending", distance_m=distance,
                            created_by=actor.id, created_at=utcnow(), updated_at=utcnow(),
                            ack_deadline=utcnow() + ack_window(incident.category))
        db.session.add(dispatch)
        created.append((dispatch, unit))
    if not created:
        raise InvalidTransition("Those units are already dispatched to this incident.",
                                code="already_dispatched")
    db.session.flush()
    record_events([audit_row(regency_id=incident.regency_id, actor=_actor(actor),
                             action="dispatch.create", entity=("dispatch", d.id),
                             after={"incident": incident.number, "unit": u.call_sign,
                                    "distance_m": d.distance_m}) for d, u in created])
    append_changes([_incident_change(incident, "dispatch.created", dispatch=d.id, unit=u.id,
                                     unit_name=u.name) for d, u in created])
    if incident.status == "open":
        _move_incident(actor, incident, "dispatched")
    for dispatch, unit in created:  # the push outbox is written here, in this transaction
        dispatch_created.send(dispatch, incident=incident, unit=unit)
    return [d for d, _ in created]


def ack_window(category: str) -> timedelta:
    """Time a dispatched unit has to acknowledge (ESCALATION_SECONDS, per category)."""
    table = dict(item.split("=", 1) for item in
                 current_app.config["ESCALATION_SECONDS"].replace(" ", "").split(",") if item)
    return timedelta(seconds=int(table.get(category, table.get("default", 180))))


# ---- responders acting on dispatches ----

RESPONDER_STATUSES = ("en_route", "on_scene", "completed")
# How a dispatch moving drags its incident along (never backwards).
INCIDENT_FOLLOWS = {"acknowledged": "acknowledged", "en_route": "en_route",
                    "on_scene": "on_scene"}
INCIDENT_ORDER = ("open", "dispatched", "acknowledged", "en_route", "on_scene", "resolved",
                  "closed")


def lock_unit_dispatch(*, responder: User, dispatch_id: int) -> tuple[Dispatch, Incident]:
    """A dispatch of the responder's own unit, locked; others' do not exist for them."""
    dispatch = db.session.scalar(sa.select(Dispatch).where(
        Dispatch.id == dispatch_id, Dispatch.unit_id == responder.unit_id,
        Dispatch.regency_id == responder.regency_id).with_for_update()) \
        if responder.unit_id is not None and in_range(dispatch_id) else None
    if dispatch is None:
        raise NotFound(f"No dispatch {dispatch_id} for your unit.", code="dispatch_not_found")
    incident = db.session.scalar(sa.select(Incident).where(Incident.id == dispatch.incident_id)
                                 .with_for_update())
    return dispatch, incident


def _move_dispatch(actor: User, dispatch: Dispatch, incident: Incident, to: str,
                   device_at=None, **extra) -> None:
    if to not in DISPATCH_TRANSITIONS.get(dispatch.status, ()):
        raise InvalidTransition(f"Dispatch {dispatch.id} is {dispatch.status}; it cannot "
                                f"become {to}.", details={"from": dispatch.status, "to": to})
    before, dispatch.status, dispatch.updated_at = dispatch.status, to, utcnow()
    record_events([audit_row(regency_id=dispatch.regency_id, actor=_actor(actor),
                             action=f"dispatch.{to}", entity=("dispatch", dispatch.id),
                             before={"status": before}, after={"status": to, **extra},
                             device_at=device_at)])
    append_changes([_incident_change(incident, "dispatch.status", dispatch=dispatch.id,
                                     unit=dispatch.unit_id, dispatch_status=to, **extra)])
    follow = INCIDENT_FOLLOWS.get(to)
    if follow and INCIDENT_ORDER.index(incident.status) < INCIDENT_ORDER.index(follow) \
            and follow in INCIDENT_TRANSITIONS[incident.status]:
        _move_incident(actor, incident, follow)
    db.session.flush()


def acknowledge_dispatch(*, responder: User, dispatch_id: int, device_at=None) -> Dispatch:
    """A responder takes the job: the operator and the reporters see it."""
    dispatch, incident = lock_unit_dispatch(responder=responder, dispatch_id=dispatch_id)
    _move_dispatch(responder, dispatch, incident, "acknowledged", device_at)
    dispatch.acknowledged_at, dispatch.acknowledged_by = utcnow(), responder.id
    return dispatch


def decline_dispatch(*, responder: User, dispatch_id: int, reason: str | None = None,
                     device_at=None) -> Dispatch:
    """A responder cannot go: flag it and find the next unit (ESCALATION_MODE)."""
    dispatch, incident = lock_unit_dispatch(responder=responder, dispatch_id=dispatch_id)
    _move_dispatch(responder, dispatch, incident, "declined", device_at, reason=reason)
    _escalate(dispatch, incident, "declined")
    return dispatch


def report_dispatch_status(*, responder: User, dispatch_id: int, status: str,
                           device_at=None) -> Dispatch:
    """en_route, on_scene, completed — from the responder's phone."""
    if status not in RESPONDER_STATUSES:
        raise ValidationFailed("Unknown status.", details={"status": list(RESPONDER_STATUSES)})
    dispatch, incident = lock_unit_dispatch(responder=responder, dispatch_id=dispatch_id)
    if dispatch.status in ("pending", "notified"):  # acting on it is acknowledging it
        acknowledge_dispatch(responder=responder, dispatch_id=dispatch_id, device_at=device_at)
    _move_dispatch(responder, dispatch, incident, status, device_at)
    return dispatch


def _escalate(dispatch: Dispatch, incident: Incident, why: str) -> None:
    """Flag the operator and propose (or dispatch) the next nearest unit."""
    dispatch.needs_attention = True
    busy = set(db.session.scalars(sa.select(Dispatch.unit_id).where(
        Dispatch.incident_id == incident.id)))
    nxt = recommend_units(regency_id=incident.regency_id, category=incident.category,
                          lat=incident.lat, lon=incident.lon, limit=1, exclude_unit_ids=busy)
    proposal = {"unit": nxt[0].unit.id, "unit_name": nxt[0].unit.name,
                "distance_m": nxt[0].distance_m} if nxt else None
    append_changes([_incident_change(incident, "dispatch.escalated", dispatch=dispatch.id,
                                     why=why, next=proposal)])
    if proposal and current_app.config["ESCALATION_MODE"] == "dispatch" \
            and incident.status not in ("resolved", "closed"):
        dispatcher = db.session.get(User, dispatch.created_by)
        dispatch_units(actor=dispatcher, number=incident.number, unit_ids=[proposal["unit"]])


def escalate_overdue(*, now=None, limit: int = 100) -> list[int]:
    """Time out dispatches nobody acknowledged before their deadline; return their ids."""
    now = now or utcnow()
    overdue = db.session.scalars(sa.select(Dispatch).where(
        Dispatch.status.in_(("pending", "notified")), Dispatch.ack_deadline < now)
        .order_by(Dispatch.ack_deadline).limit(limit).with_for_update(skip_locked=True)).all()
    system = ("system", "escalation")
    for dispatch in overdue:
        incident = db.session.get(Incident, dispatch.incident_id)
        before, dispatch.status, dispatch.updated_at = dispatch.status, "timed_out", now
        record_events([audit_row(regency_id=dispatch.regency_id, actor=system,
                                 action="dispatch.timed_out", entity=("dispatch", dispatch.id),
                                 before={"status": before}, after={"status": "timed_out"})])
        append_changes([_incident_change(incident, "dispatch.status", dispatch=dispatch.id,
                                         unit=dispatch.unit_id, dispatch_status="timed_out")])
        _escalate(dispatch, incident, "timed_out")
    db.session.flush()
    return [d.id for d in overdue]


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
    """The same reporter's other reports (by device, or by caller phone for voice calls)."""
    require(actor, "view")
    if report.device_id is not None:
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


def inbox(*, actor: User, statuses=("received",), limit: int = 100) -> list[Report]:
    """Reports awaiting triage: silent SOS first, then urgent categories, newest first."""
    require(actor, "view")
    return list(db.session.scalars(
        sa.select(Report).where(Report.regency_id == actor.regency_id,
                                Report.status.in_(statuses))
        .order_by(CRITICAL_FIRST, Report.received_at.desc()).limit(limit)))


def list_incidents(*, actor: User, statuses=None, limit: int = 100) -> list[Incident]:
    require(actor, "view")
    query = sa.select(Incident).where(Incident.regency_id == actor.regency_id)
    if statuses:
        query = query.where(Incident.status.in_(statuses))
    return list(db.session.scalars(
        query.order_by(Incident.priority, Incident.created_at.desc()).limit(limit)))


def incident_detail(*, actor: User, number: str) -> dict:
    """An incident with its reports, dispatches, timeline and recommended units."""
    incident = get_incident(actor=actor, number=number)
    reports = list(db.session.scalars(sa.select(Report).where(
        Report.incident_id == incident.id).order_by(Report.id)))
    dispatches = list(db.session.scalars(sa.select(Dispatch).where(
        Dispatch.incident_id == incident.id).order_by(Dispatch.id)))
    entities = [("incident", incident.number)] + [("report", r.ref) for r in reports] + [
        ("dispatch", str(d.id)) for d in dispatches]
    timeline = list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.regency_id == actor.regency_id,
        sa.tuple_(AuditEvent.entity_type, AuditEvent.entity_id).in_(entities))
        .order_by(AuditEvent.at, AuditEvent.id)))
    busy = [d.unit_id for d in dispatches if d.status in ACTIVE_DISPATCH]
    return {"incident": incident, "reports": reports, "dispatches": dispatches,
            "timeline": timeline,
            "recommendations": recommend_units(regency_id=incident.regency_id,
                                               category=incident.category, lat=incident.lat,
                                               lon=incident.lon, exclude_unit_ids=busy)}


def whatsapp_text(detail: dict) -> str:
    """A plain-text incident summary (Bahasa Indonesia) for the coordination WhatsApp group."""
    incident = detail["incident"]
    lines = [f"*112 Siaga* {incident.number} — {category_label(incident.category, 'id')}",
             f"Prioritas {incident.priority} · status {incident.status}",
             f"Waktu: {format_time(incident.created_at)}"]
    if incident.lat is not None:
        lines.append(f"Lokasi: https://maps.google.com/?q={incident.lat:.5f},{incident.lon:.5f}")
    if incident.summary:
        lines.append(f"Keterangan: {incident.summary}")
    for dispatch in detail["dispatches"]:
        lines.append(f"Unit: {dispatch.unit.name} ({dispatch.unit.call_sign}) — "
                     f"{dispatch.status}")
    lines.append(f"Laporan: {len(detail['reports'])}")
    return "\n".join(lines)


def unit_assignments(*, responder: User) -> list[Dispatch]:
    """Active dispatches of the responder's unit, newest first (never another unit's)."""
    return list(db.session.scalars(sa.select(Dispatch).where(
        Dispatch.unit_id == responder.unit_id, Dispatch.regency_id == responder.regency_id,
        Dispatch.status.in_(ACTIVE_DISPATCH)).order_by(Dispatch.id.desc())))


def audit_log(*, actor: User, limit: int = 200, before_id: int | None = None
              ) -> list[AuditEvent]:
    """The regency's audit log, newest first (supervisors and admins)."""
    require(actor, "audit")
    query = sa.select(AuditEvent).where(AuditEvent.regency_id == actor.regency_id)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
