"""Incidents: open one from a report, move it along its state machine, notes, priority, the
incident page and the WhatsApp share text.

Every action: authorise (role + regency), lock the rows it changes (FOR UPDATE on
PostgreSQL; SQLite transactions are serialised), check the state machine, write, append the
audit event and the changes that operators' consoles and reporters' phones pull.
"""
from __future__ import annotations

import urllib.parse

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.service import actor_ref, require
from backend.audit.describe import describe_events
from backend.audit.models import AuditEvent
from backend.audit.service import audit_row, record_events
from backend.db import utcnow
from backend.dispatches.models import ACTIVE_DISPATCH, Dispatch
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from backend.i18n import category_label, format_time
from backend.incidents.models import INCIDENT_TRANSITIONS, Incident
from backend.places.models import Area
from backend.places.service import incident_place
from backend.reports.models import Report, format_ref, parse_ref
from backend.text import one_line
from backend.units.service import describe_units, recommend_units, unavailable_units

# Life-threatening by default; the operator can change an incident's priority.
URGENT_CATEGORIES = ("fire", "health", "accident", "violence_women_children", "natural_disaster")


def parse_incident_number(number: str) -> int | None:
    parts = number.split("-") if isinstance(number, str) else []
    if len(parts) == 3 and parts[0] == "112" and parts[2].isdigit() and len(parts[2]) < 19:
        return int(parts[2]) or None
    return None



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



def incident_change(incident: Incident, type_: str, **data) -> dict:
    return change_row(regency_id=incident.regency_id, type=type_,
                      data={"incident": incident.number, "status": incident.status, **data})



def tell_reporters(incident: Incident, status: str) -> None:
    """Each reporter's phone learns what became of the incident its report joined."""
    reporters = db.session.execute(
        sa.select(Report.id, Report.device_id).where(Report.incident_id == incident.id,
                                                     Report.device_id.is_not(None))).all()
    append_changes([change_row(regency_id=incident.regency_id, device_id=device_id,
                               type="incident.status",
                               data={"report": format_ref(report_id),
                                     "incident": incident.number, "status": status})
                    for report_id, device_id in reporters])



def new_incident(actor: User, report: Report, priority: int | None, summary: str | None
                 ) -> Incident:
    incident = Incident(
        regency_id=actor.regency_id, category=report.category,
        priority=priority or (1 if report.category in URGENT_CATEGORIES else 2),
        status="open", lat=report.lat, lon=report.lon, summary=summary or report.note,
        desa_code=report.desa_code, kecamatan_code=report.kecamatan_code,
        created_by=actor.id, created_at=utcnow(), updated_at=utcnow(), test=report.test)
    db.session.add(incident)
    db.session.flush()
    record_events([audit_row(regency_id=actor.regency_id, actor=actor_ref(actor),
                             action="incident.create", entity=("incident", incident.number),
                             after={"category": incident.category, "priority": incident.priority,
                                    "from_report": report.ref})])
    append_changes([incident_change(incident, "incident.created")])
    return incident



def lock_open_incident(actor: User, number: str) -> Incident:
    incident = get_incident(actor=actor, number=number, lock=True)
    if incident.status in ("resolved", "closed"):
        raise InvalidTransition(f"Incident {incident.number} is {incident.status}.",
                                details={"incident_status": incident.status})
    return incident



def transition_incident(*, actor: User, number: str, to: str) -> Incident:
    """Move an incident along its state machine (impossible moves: invalid_transition)."""
    require(actor, "dispatch")
    incident = get_incident(actor=actor, number=number, lock=True)
    move_incident(actor, incident, to)
    return incident


# The incident's milestones its own state changes mark (first dispatch, acknowledgement and
# arrival are marked by the dispatches themselves: dispatches.service).
INCIDENT_MILESTONES = {"resolved": "resolved_at", "closed": "closed_at"}


def move_incident(actor: User, incident: Incident, to: str) -> None:
    if to not in INCIDENT_TRANSITIONS.get(incident.status, ()):
        raise InvalidTransition(f"Incident {incident.number} is {incident.status}; "
                                f"it cannot become {to}.",
                                details={"from": incident.status, "to": to})
    before, incident.status, incident.updated_at = incident.status, to, utcnow()
    milestone = INCIDENT_MILESTONES.get(to)
    if milestone and getattr(incident, milestone) is None:
        setattr(incident, milestone, incident.updated_at)
    record_events([audit_row(regency_id=incident.regency_id, actor=actor_ref(actor),
                             action=f"incident.{to}", entity=("incident", incident.number),
                             before={"status": before}, after={"status": to})])
    append_changes([incident_change(incident, "incident.status")])
    tell_reporters(incident, to)
    db.session.flush()


def add_note(*, actor: User, number: str, text: str) -> Incident:
    """Add an operator's note to the incident's timeline."""
    require(actor, "triage")
    incident = get_incident(actor=actor, number=number)
    record_events([audit_row(regency_id=incident.regency_id, actor=actor_ref(actor),
                             action="incident.note", entity=("incident", incident.number),
                             after={"text": text})])
    append_changes([incident_change(incident, "incident.note")])
    return incident


def set_priority(*, actor: User, number: str, priority: int) -> Incident:
    require(actor, "triage")
    if priority not in (1, 2, 3):
        raise ValidationFailed("Priority is 1, 2 or 3.", details={"priority": [1, 2, 3]})
    incident = get_incident(actor=actor, number=number, lock=True)
    before, incident.priority, incident.updated_at = incident.priority, priority, utcnow()
    record_events([audit_row(regency_id=incident.regency_id, actor=actor_ref(actor),
                             action="incident.priority", entity=("incident", incident.number),
                             before={"priority": before}, after={"priority": priority})])
    append_changes([incident_change(incident, "incident.updated")])
    return incident



def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def parse_incident_cursor(cursor: str | None) -> tuple[int, int] | None:
    """`priority.id` of the last incident of the previous page (both orders); None first."""
    if not cursor:
        return None
    priority, _, last = cursor.partition(".")
    if not (priority.isdigit() and last.isdigit() and len(priority) == 1 and len(last) < 19):
        raise ValidationFailed("Bad cursor.", code="invalid_cursor",
                               details={"cursor": ["use next_cursor of the previous page"]})
    return int(priority), int(last)


def list_incidents(*, actor: User, statuses=None, limit: int = 100, q: str | None = None,
                   categories=None, since=None, until=None, order: str = "urgent",
                   cursor: str | None = None) -> tuple[list[Incident], str | None]:
    """Incidents of the regency — the live board (most urgent first) or the history (newest
    first, resolved and closed ones included) — and the cursor of the next page (keyset).

    `q` finds an incident by its number ("112-2026-000003" or just 3), a report's ref
    ("R-000012") or the name of its desa (areas.name, case-insensitive, part of it).
    """
    require(actor, "view")
    after = parse_incident_cursor(cursor)
    query = sa.select(Incident).where(Incident.regency_id == actor.regency_id)
    if statuses:
        query = query.where(Incident.status.in_(statuses))
    if categories:
        query = query.where(Incident.category.in_(categories))
    if since:
        query = query.where(Incident.created_at >= since)
    if until:
        query = query.where(Incident.created_at < until)
    if q and q.strip():
        query = query.where(_matches(actor, q.strip()))
    if order == "urgent":
        if after:
            query = query.where(sa.or_(Incident.priority > after[0], sa.and_(
                Incident.priority == after[0], Incident.id < after[1])))
        query = query.order_by(Incident.priority, Incident.id.desc())
    else:
        if after:
            query = query.where(Incident.id < after[1])
        query = query.order_by(Incident.id.desc())
    rows = list(db.session.scalars(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows, last = rows[:limit], rows[limit - 1]
    return rows, f"{last.priority}.{last.id}"


def _matches(actor: User, q: str):
    """The search condition of list_incidents (number, report ref, desa name)."""
    conditions = [Incident.desa_code.in_(sa.select(Area.code).where(
        Area.regency_id == actor.regency_id, Area.name.ilike(_like(q), escape="\\")))]
    number = parse_incident_number(q) or (int(q) if q.isdigit() and len(q) < 19 else None)
    if number:
        conditions.append(Incident.id == number)
    report_id = parse_ref(q.upper())
    if report_id:
        conditions.append(Incident.id.in_(sa.select(Report.incident_id).where(
            Report.id == report_id, Report.regency_id == actor.regency_id)))
    return sa.or_(*conditions)


def incident_detail(*, actor: User, number: str) -> dict:
    """An incident with its reports, dispatches, timeline and recommended units."""
    incident = get_incident(actor=actor, number=number)
    reports = list(db.session.scalars(sa.select(Report).where(
        Report.incident_id == incident.id).order_by(Report.id)))
    dispatches = list(db.session.scalars(sa.select(Dispatch).where(
        Dispatch.incident_id == incident.id).order_by(Dispatch.id)))
    entities = [("incident", incident.number)] + [("report", r.ref) for r in reports] + [
        ("dispatch", str(d.id)) for d in dispatches]
    timeline = describe_events(list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.regency_id == actor.regency_id,
        sa.tuple_(AuditEvent.entity_type, AuditEvent.entity_id).in_(entities))
        .order_by(AuditEvent.at, AuditEvent.id))))
    here = [d.unit_id for d in dispatches if d.status in ACTIVE_DISPATCH]
    where = {"regency_id": incident.regency_id, "category": incident.category,
             "lat": incident.lat, "lon": incident.lon, "exclude_unit_ids": here}
    recommendations = recommend_units(**where)
    described = {v.unit.id: v for v in describe_units([r.unit.unit for r in recommendations])}
    for r in recommendations:  # their availability ("available since") and crew phones
        r.unit.availability, r.unit.crew = described[r.unit.id].availability, \
            described[r.unit.id].crew
    return {"incident": incident, "reports": reports, "dispatches": dispatches,
            "timeline": timeline, "recommendations": recommendations,
            "busy_units": unavailable_units(**where)}


# Bahasa Indonesia for the share text (no English words in a message citizens may see).
INCIDENT_STATUS_ID = {"open": "baru", "dispatched": "unit dikirim",
                      "acknowledged": "diterima unit", "en_route": "dalam perjalanan",
                      "on_scene": "di lokasi", "resolved": "selesai ditangani",
                      "closed": "ditutup"}
DISPATCH_STATUS_ID = {"pending": "menunggu", "notified": "sudah diberi tahu",
                      "acknowledged": "diterima", "declined": "menolak",
                      "timed_out": "tidak menjawab", "en_route": "dalam perjalanan",
                      "on_scene": "di lokasi", "completed": "selesai",
                      "cancelled": "dibatalkan"}


def whatsapp_text(detail: dict) -> str:
    """A plain-text incident summary (Bahasa Indonesia) for the coordination WhatsApp group.

    Citizen and staff text is flattened to one labelled line, so it cannot forge lines.
    """
    incident = detail["incident"]
    place = incident_place(incident)
    status = INCIDENT_STATUS_ID.get(incident.status, incident.status)
    lines = [f"*112 Siaga* {incident.number} — {category_label(incident.category, 'id')}",
             f"Prioritas {incident.priority} · Status: {status}",
             f"Waktu: {format_time(incident.created_at)}"]
    if incident.lat is not None:
        lines.append(f"Lokasi: {place['label'] or 'titik pada peta'}")
        lines.append(f"Peta: https://maps.google.com/?q={incident.lat:.5f},{incident.lon:.5f}")
    else:
        lines.append("Lokasi: belum diketahui")
    if incident.summary:
        lines.append(f"Keterangan pelapor: \"{one_line(incident.summary, 500)}\"")
    for dispatch in detail["dispatches"]:
        lines.append(f"Unit: {one_line(dispatch.unit.name, 120)} "
                     f"({one_line(dispatch.unit.call_sign, 40)}) — "
                     f"{DISPATCH_STATUS_ID.get(dispatch.status, dispatch.status)}")
    lines.append(f"Jumlah laporan: {len(detail['reports'])}")
    return "\n".join(lines)



def share_url(text: str) -> str:
    """A wa.me link that opens WhatsApp with the text ready to send to the group."""
    return "https://wa.me/?text=" + urllib.parse.quote(text)
