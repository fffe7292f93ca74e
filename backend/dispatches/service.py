"""Dispatches — units' work: send units to an incident, responders acknowledge, decline and
report status, and escalation when nobody answers in time.

dispatch_units writes the dispatch rows, audit, changes and (through the dispatch_created
signal) the push outbox in the caller's transaction: no alert for an uncommitted dispatch.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.accounts.service import actor_ref, require
from backend.audit.service import audit_row, record_events
from backend.db import in_range, utcnow
from backend.dispatches.models import ACTIVE_DISPATCH, DISPATCH_TRANSITIONS, Dispatch
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.events import dispatch_created
from backend.extensions import db
from backend.feed.service import append_changes
from backend.geo import distance_m
from backend.incidents.models import INCIDENT_TRANSITIONS, Incident
from backend.incidents.service import incident_change, lock_open_incident, move_incident
from backend.units.service import get_unit, recommend_units


def dispatch_units(*, actor: User, number: str, unit_ids: list[int]) -> list[Dispatch]:
    """Send units to an incident: dispatch rows, audit and changes in the caller's transaction.

    A unit already actively dispatched to this incident is not dispatched twice.
    """
    require(actor, "dispatch")
    if not unit_ids:
        raise ValidationFailed("Pick at least one unit.", details={"units": ["required"]})
    incident = lock_open_incident(actor, number)
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
    record_events([audit_row(regency_id=incident.regency_id, actor=actor_ref(actor),
                             action="dispatch.create", entity=("dispatch", d.id),
                             after={"incident": incident.number, "unit": u.call_sign,
                                    "distance_m": d.distance_m}) for d, u in created])
    append_changes([incident_change(incident, "dispatch.created", dispatch=d.id, unit=u.id,
                                     unit_name=u.name) for d, u in created])
    if incident.status == "open":
        move_incident(actor, incident, "dispatched")
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
    record_events([audit_row(regency_id=dispatch.regency_id, actor=actor_ref(actor),
                             action=f"dispatch.{to}", entity=("dispatch", dispatch.id),
                             before={"status": before}, after={"status": to, **extra},
                             device_at=device_at)])
    append_changes([incident_change(incident, "dispatch.status", dispatch=dispatch.id,
                                     unit=dispatch.unit_id, dispatch_status=to, **extra)])
    follow = INCIDENT_FOLLOWS.get(to)
    if follow and INCIDENT_ORDER.index(incident.status) < INCIDENT_ORDER.index(follow) \
            and follow in INCIDENT_TRANSITIONS[incident.status]:
        move_incident(actor, incident, follow)
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
    append_changes([incident_change(incident, "dispatch.escalated", dispatch=dispatch.id,
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
        append_changes([incident_change(incident, "dispatch.status", dispatch=dispatch.id,
                                         unit=dispatch.unit_id, dispatch_status="timed_out")])
        _escalate(dispatch, incident, "timed_out")
    db.session.flush()
    return [d.id for d in overdue]


def unit_assignments(*, responder: User) -> list[Dispatch]:
    """Active dispatches of the responder's unit, newest first (never another unit's)."""
    return list(db.session.scalars(sa.select(Dispatch).where(
        Dispatch.unit_id == responder.unit_id, Dispatch.regency_id == responder.regency_id,
        Dispatch.status.in_(ACTIVE_DISPATCH)).order_by(Dispatch.id.desc())))

