"""Dispatches — units' work: send units to an incident, responders acknowledge, decline and
report status, and escalation when nobody answers in time.

dispatch_units writes the dispatch rows, audit, changes and (through the dispatch_created
signal) the push outbox in the caller's transaction: no alert for an uncommitted dispatch.

Invariant 8 — a unit is never on two open dispatches at once unless an operator reassigns it
explicitly: dispatch_units locks the units' rows (FOR UPDATE, in id order; SQLite serialises
writers), refuses a unit with an open dispatch elsewhere (409 unit_busy) unless asked to
reassign it with a reason (the old dispatch is cancelled in the same transaction), and the
partial unique index uq_dispatches_unit_active is the last guard: its IntegrityError is a
409 unit_busy too, never a 5xx.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.accounts.service import actor_ref, require
from backend.audit.service import audit_row, record_events
from backend.db import in_range, utcnow
from backend.devices.models import Device
from backend.dispatches.models import (
    ACTIVE_DISPATCH,
    DISPATCH_TRANSITIONS,
    UNIT_STATE,
    Dispatch,
)
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.events import dispatch_cancelled, dispatch_created
from backend.extensions import db
from backend.metrics.instruments import count_escalation
from backend.feed.service import append_changes, change_row
from backend.geo import distance_m
from backend.incidents.models import INCIDENT_TRANSITIONS, Incident
from backend.incidents.service import incident_change, lock_open_incident, move_incident
from backend.units.models import Unit
from backend.units.service import lock_units, recommend_units

REASON_LENGTH = (3, 200)


class UnitBusy(InvalidTransition):
    code = "unit_busy"


def _busy_details(unit: Unit, dispatch: Dispatch, incident_number: str) -> dict:
    return {"unit": unit.id, "call_sign": unit.call_sign, "incident": incident_number,
            "state": UNIT_STATE[dispatch.status], "dispatch": dispatch.id}


def _unit_busy(busy: list[dict]) -> UnitBusy:
    first = busy[0]
    return UnitBusy(f"Unit {first['call_sign']} is busy on incident {first['incident']} "
                    f"({first['state']}); reassign it with a reason to take it off.",
                    details={**first, "busy": busy})


def open_dispatches_of(unit_ids) -> dict[int, Dispatch]:
    """The open dispatch of each unit that has one, locked (at most one: the unique index)."""
    return {d.unit_id: d for d in db.session.scalars(
        sa.select(Dispatch).where(Dispatch.unit_id.in_(list(unit_ids)),
                                  Dispatch.status.in_(ACTIVE_DISPATCH))
        .order_by(Dispatch.unit_id).with_for_update())}


def dispatch_units(*, actor: User, number: str, unit_ids: list[int], reassign: bool = False,
                   reason: str | None = None) -> list[Dispatch]:
    """Send units to an incident: dispatch rows, audit and changes in the caller's transaction.

    A unit already actively dispatched to this incident is not dispatched twice. A unit on
    an open dispatch of another incident is refused (unit_busy) unless `reassign` with a
    `reason`: then that dispatch is cancelled first (audited as dispatch.reassigned).
    """
    require(actor, "dispatch")
    if not unit_ids:
        raise ValidationFailed("Pick at least one unit.", details={"units": ["required"]})
    if reassign and not (isinstance(reason, str) and reason.strip()
                         and REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]):
        raise ValidationFailed("Say why the unit is reassigned (3–200 characters).",
                               details={"reason": ["required with reassign, 3–200 characters"]})
    incident = lock_open_incident(actor, number)
    units = lock_units(actor=actor, unit_ids=unit_ids)
    retired = [u.call_sign for u in units.values() if not u.active]
    if retired:
        raise InvalidTransition(f"Unit {retired[0]} is retired.", code="unit_retired",
                                details={"units": retired})
    current = open_dispatches_of(units)
    elsewhere = {unit_id: d for unit_id, d in current.items() if d.incident_id != incident.id}
    numbers = _incident_numbers({d.incident_id for d in elsewhere.values()})
    if elsewhere and not reassign:
        raise _unit_busy([_busy_details(units[u], d, numbers[d.incident_id])
                          for u, d in elsewhere.items()])
    wanted = [units[u] for u in dict.fromkeys(unit_ids) if u not in current or u in elsewhere]
    if not wanted:
        raise InvalidTransition("Those units are already dispatched to this incident.",
                                code="already_dispatched")
    cancelled = {u: cancel_for_reassignment(actor, elsewhere[u], units[u], incident, reason)
                 for u in elsewhere}
    now = utcnow()
    created = []
    for unit in wanted:
        # From the post, as the alert says ("… km dari Pos …"); the recommendation ranked by
        # the crew's fresh fix.
        distance = distance_m(incident.lat, incident.lon, unit.lat, unit.lon) \
            if incident.lat is not None else None
        created.append((Dispatch(regency_id=incident.regency_id, incident_id=incident.id,
                                 unit_id=unit.id, status="pending", distance_m=distance,
                                 created_by=actor.id, created_at=now, updated_at=now,
                                 ack_deadline=now + ack_window(incident.category)), unit))
    _insert_guarded([d for d, _ in created], units, incident)
    incident.first_dispatched_at = incident.first_dispatched_at or now
    record_events([audit_row(regency_id=incident.regency_id, actor=actor_ref(actor),
                             action="dispatch.create", entity=("dispatch", d.id),
                             after={"incident": incident.number, "unit": u.call_sign,
                                    "distance_m": d.distance_m,
                                    **({"reassigned_from": cancelled[u.id].id}
                                       if u.id in cancelled else {})})
                   for d, u in created])
    append_changes([incident_change(incident, "dispatch.created", dispatch=d.id, unit=u.id,
                                     unit_name=u.name) for d, u in created])
    if incident.status == "open":
        move_incident(actor, incident, "dispatched")
    for dispatch, unit in created:  # the push outbox is written here, in this transaction
        dispatch_created.send(dispatch, incident=incident, unit=unit)
    return [d for d, _ in created]


def _incident_numbers(incident_ids) -> dict[int, str]:
    if not incident_ids:
        return {}
    return {i.id: i.number for i in db.session.scalars(
        sa.select(Incident).where(Incident.id.in_(list(incident_ids))))}


def _insert_guarded(dispatches: list[Dispatch], units: dict[int, Unit],
                    incident: Incident) -> None:
    """Insert the new dispatches; the partial unique index refusing one (a writer that did
    not lock the unit) is unit_busy, and the savepoint keeps the transaction usable."""
    try:
        with db.session.begin_nested():
            db.session.add_all(dispatches)
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        text = str(exc.orig)
        if "uq_dispatches_unit_active" not in text and "dispatches.unit_id" not in text:
            raise
        taken = db.session.scalars(sa.select(Dispatch).where(
            Dispatch.unit_id.in_([d.unit_id for d in dispatches]),
            Dispatch.status.in_(ACTIVE_DISPATCH))).all()
        numbers = _incident_numbers({d.incident_id for d in taken})
        raise _unit_busy([_busy_details(units[d.unit_id], d, numbers[d.incident_id])
                          for d in taken] or [
            {"unit": d.unit_id, "call_sign": units[d.unit_id].call_sign,
             "incident": None, "state": None, "dispatch": None} for d in dispatches]
        ) from None


def cancel_for_reassignment(actor: User, dispatch: Dispatch, unit: Unit, to: Incident,
                            reason: str) -> Dispatch:
    """Take a unit off its open dispatch to send it to incident `to` (operator's decision).

    The old incident is not locked here (lock order: new incident, units, dispatches — a
    second lock on the old incident could deadlock against a dispatch there); only the
    dispatch row, already locked, changes. If no open dispatch is left on the old incident,
    the cancelled one is flagged so the incident shows as needing attention.
    """
    before = dispatch.status
    if "cancelled" not in DISPATCH_TRANSITIONS.get(before, ()):
        raise InvalidTransition(f"Dispatch {dispatch.id} is {before}; it cannot be cancelled.",
                                details={"from": before, "to": "cancelled"})
    old = db.session.get(Incident, dispatch.incident_id)
    dispatch.status, dispatch.updated_at, dispatch.status_reason = "cancelled", utcnow(), reason
    left = db.session.scalar(sa.select(sa.func.count()).select_from(Dispatch).where(
        Dispatch.incident_id == old.id, Dispatch.id != dispatch.id,
        Dispatch.status.in_(ACTIVE_DISPATCH)))
    if not left:
        dispatch.needs_attention = True
    db.session.flush()  # the unit's open slot (unique index) is free before the new insert
    record_events([audit_row(regency_id=dispatch.regency_id, actor=actor_ref(actor),
                             action="dispatch.reassigned", entity=("dispatch", dispatch.id),
                             before={"status": before, "incident": old.number},
                             after={"status": "cancelled", "reason": reason,
                                    "from": old.number, "to": to.number,
                                    "unit": unit.call_sign})])
    append_changes([incident_change(old, "dispatch.reassigned", dispatch=dispatch.id,
                                     unit=unit.id, unit_name=unit.name,
                                     dispatch_status="cancelled", reason=reason,
                                     to=to.number, left_without_unit=not left)])
    # The crew's phones learn the job is off (and which one replaces it, via the new alert).
    phones = db.session.scalars(sa.select(Device.id).join(User, User.id == Device.user_id).where(
        User.unit_id == unit.id, Device.kind == "responder", Device.revoked_at.is_(None)))
    append_changes([change_row(regency_id=dispatch.regency_id, device_id=phone,
                               type="dispatch.cancelled",
                               data={"dispatch": dispatch.id, "incident": old.number,
                                     "reason": reason}) for phone in phones])
    dispatch_cancelled.send(dispatch)  # queued alerts for it are dropped
    return dispatch


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


# dispatch status → (dispatch milestone, incident milestone), each set the first time only.
MILESTONES = {
    "acknowledged": ("acknowledged_at", "first_acknowledged_at"),
    "en_route": ("en_route_at", None),
    "on_scene": ("on_scene_at", "first_on_scene_at"),
    "completed": ("completed_at", None),
}


def _mark_milestones(dispatch: Dispatch, incident: Incident, to: str, at) -> None:
    dispatch_field, incident_field = MILESTONES.get(to, (None, None))
    if dispatch_field and getattr(dispatch, dispatch_field) is None:
        setattr(dispatch, dispatch_field, at)
    if incident_field and getattr(incident, incident_field) is None:
        setattr(incident, incident_field, at)


def _move_dispatch(actor: User, dispatch: Dispatch, incident: Incident, to: str,
                   device_at=None, **extra) -> None:
    if to not in DISPATCH_TRANSITIONS.get(dispatch.status, ()):
        raise InvalidTransition(f"Dispatch {dispatch.id} is {dispatch.status}; it cannot "
                                f"become {to}.", details={"from": dispatch.status, "to": to})
    before, dispatch.status, dispatch.updated_at = dispatch.status, to, utcnow()
    _mark_milestones(dispatch, incident, to, dispatch.updated_at)
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
    dispatch.acknowledged_by = responder.id
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
    count_escalation(why)
    # Units that already had a go at this incident, and (inside recommend_units) units busy
    # anywhere or that just timed out or declined, are never proposed.
    tried = set(db.session.scalars(sa.select(Dispatch.unit_id).where(
        Dispatch.incident_id == incident.id)))
    nxt = recommend_units(regency_id=incident.regency_id, category=incident.category,
                          lat=incident.lat, lon=incident.lon, limit=1, exclude_unit_ids=tried)
    proposal = {"unit": nxt[0].unit.id, "unit_name": nxt[0].unit.name,
                "distance_m": nxt[0].distance_m} if nxt else None
    if proposal and current_app.config["ESCALATION_MODE"] == "dispatch" \
            and incident.status not in ("resolved", "closed"):
        dispatcher = db.session.get(User, dispatch.created_by)
        try:
            with db.session.begin_nested():  # never reassigns: a unit busy since is skipped
                dispatch_units(actor=dispatcher, number=incident.number,
                               unit_ids=[proposal["unit"]])
        except UnitBusy:
            proposal = None
    append_changes([incident_change(incident, "dispatch.escalated", dispatch=dispatch.id,
                                     why=why, next=proposal)])


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

