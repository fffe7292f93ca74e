"""Agencies, units and routing; and the nearest-unit recommendation.

recommend_units() is one service with two drivers: on PostgreSQL a KNN scan (`<->`) on the
units' geography GiST index; on SQLite the same filter and Python distance maths.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from backend.accounts.models import User
from backend.accounts.service import require
from backend.audit.service import record_event
from backend.db import dialect_name, in_range, utcnow
from backend.dispatches.models import ACTIVE_DISPATCH, Dispatch
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from backend.geo import distance_m
from backend.units.models import AGENCY_TYPES, DEFAULT_ROUTING, Agency, Routing, Unit


@dataclass(frozen=True)
class Recommendation:
    unit: Unit
    agency: Agency
    distance_m: float


def agency_types_for(*, regency_id: int, category: str) -> list[str]:
    rows = db.session.execute(
        sa.select(Routing.agency_type).where(Routing.regency_id == regency_id,
                                             Routing.category == category)
        .order_by(Routing.priority, Routing.agency_type)).scalars().all()
    return list(rows) or list(DEFAULT_ROUTING.get(category, ()))


def _units_of_types(regency_id: int, agency_types: list[str], exclude_unit_ids=()):
    """On-duty units of the regency whose agency has one of the types (agency loaded too)."""
    query = (sa.select(Unit).join(Unit.agency).options(contains_eager(Unit.agency))
             .where(Unit.regency_id == regency_id, Unit.on_duty.is_(True),
                    Unit.active.is_(True), Agency.type.in_(agency_types)))
    if exclude_unit_ids:
        query = query.where(Unit.id.not_in(list(exclude_unit_ids)))
    return query


def nearest_units_query(*, regency_id: int, agency_types: list[str], lat: float, lon: float,
                        limit: int, exclude_unit_ids=()):
    """The PostgreSQL statement behind recommend_units (KNN on the GiST index)."""
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), 4326).cast(Unit.location.type)
    return (_units_of_types(regency_id, agency_types, exclude_unit_ids)
            .add_columns(sa.func.ST_Distance(Unit.location, point).label("d"))
            .order_by(Unit.location.op("<->")(point)).limit(limit))


def recommend_units(*, regency_id: int, category: str, lat: float | None, lon: float | None,
                    limit: int = 5, exclude_unit_ids=()) -> list[Recommendation]:
    """The nearest on-duty units of the agency types that handle `category`, nearest first."""
    types = agency_types_for(regency_id=regency_id, category=category)
    if lat is None or lon is None or not types:
        return []
    if dialect_name() == "postgresql":
        rows = db.session.execute(nearest_units_query(
            regency_id=regency_id, agency_types=types, lat=lat, lon=lon, limit=limit,
            exclude_unit_ids=exclude_unit_ids)).all()
        return [Recommendation(u, u.agency, float(d)) for u, d in rows]
    units = db.session.scalars(_units_of_types(regency_id, types, exclude_unit_ids)).all()
    ranked = sorted((distance_m(lat, lon, u.lat, u.lon), u.id, u) for u in units)
    return [Recommendation(u, u.agency, d) for d, _, u in ranked[:limit]]


def create_agency(*, actor: User, type: str, name: str, phone: str | None = None,
                  is_demo: bool = False) -> Agency:
    """Add an agency (fire brigade, police, ...) to the actor's regency."""
    require(actor, "admin")
    if type not in AGENCY_TYPES:
        raise ValidationFailed("Unknown agency type.", details={"type": sorted(AGENCY_TYPES)})
    agency = Agency(regency_id=actor.regency_id, type=type, name=name, phone=phone,
                    is_demo=is_demo)
    db.session.add(agency)
    db.session.flush()
    record_event(regency_id=actor.regency_id, actor=("user", actor.id), action="agency.create",
                 entity=("agency", agency.id), after={"type": type, "name": name})
    return agency


def get_unit(*, actor: User, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id) if in_range(unit_id, big=False) else None
    if unit is None or unit.regency_id != actor.regency_id:
        raise NotFound(f"No unit {unit_id}.", code="unit_not_found")
    return unit


def create_unit(*, actor: User, agency_id: int, name: str, call_sign: str, post_name: str,
                lat: float, lon: float, on_duty: bool = True) -> Unit:
    """Add a unit at a post to one of the regency's agencies."""
    require(actor, "admin")
    agency = get_agency(actor=actor, agency_id=agency_id)
    unit = Unit(regency_id=actor.regency_id, agency_id=agency.id, name=name, call_sign=call_sign,
                post_name=post_name, lat=lat, lon=lon, on_duty=on_duty)
    db.session.add(unit)
    db.session.flush()
    record_event(regency_id=actor.regency_id, actor=("user", actor.id), action="unit.create",
                 entity=("unit", unit.id), after={"name": name, "lat": lat, "lon": lon})
    return unit


def set_unit_duty(*, actor: User, unit_id: int, on_duty: bool) -> Unit:
    """Mark a unit on or off duty (only on-duty units are recommended)."""
    require(actor, "duty")
    unit = get_unit(actor=actor, unit_id=unit_id)
    if unit.on_duty != on_duty:
        before, unit.on_duty, unit.updated_at = unit.on_duty, on_duty, utcnow()
        record_event(regency_id=unit.regency_id, actor=("user", actor.id), action="unit.duty",
                     entity=("unit", unit.id), before={"on_duty": before},
                     after={"on_duty": on_duty})
        append_changes([change_row(regency_id=unit.regency_id, type="unit.duty",
                                   data={"unit": unit.id, "on_duty": on_duty})])
    return unit


def list_units(*, actor: User, include_retired: bool = False) -> list[Unit]:
    """The regency's units (with their agency), grouped by agency type; retired units only
    when asked (the admin pages)."""
    require(actor, "admin" if include_retired else "view")
    query = (sa.select(Unit).join(Unit.agency).options(contains_eager(Unit.agency))
             .where(Unit.regency_id == actor.regency_id))
    if not include_retired:
        query = query.where(Unit.active.is_(True))
    return list(db.session.scalars(query.order_by(Agency.type, Unit.name)))


UNIT_FIELDS = ("name", "call_sign", "post_name", "lat", "lon", "active")


def update_unit(*, actor: User, unit_id: int, **fields) -> Unit:
    """Edit a unit: name, call sign, post (name and place), retire (active=False) or bring
    it back. A unit on an open dispatch cannot be retired."""
    require(actor, "admin")
    unknown = sorted(set(fields) - set(UNIT_FIELDS))
    if unknown:
        raise ValidationFailed("Unknown unit fields.", details={f: ["unknown"] for f in unknown})
    unit = get_unit(actor=actor, unit_id=unit_id)
    unit = db.session.scalar(sa.select(Unit).where(Unit.id == unit.id).with_for_update(of=Unit)
                             .execution_options(populate_existing=True))
    changes = {k: v for k, v in fields.items() if v is not None and getattr(unit, k) != v}
    if not changes:
        return unit
    if changes.get("active") is False:
        if db.session.scalar(sa.select(Dispatch.id).where(
                Dispatch.unit_id == unit.id, Dispatch.status.in_(ACTIVE_DISPATCH)).limit(1)):
            raise InvalidTransition("The unit is on an open dispatch; finish or reassign it "
                                    "first.", code="unit_on_dispatch")
    before = {k: getattr(unit, k) for k in changes}
    for key, value in changes.items():
        setattr(unit, key, value)
    unit.updated_at = utcnow()
    action = {True: "unit.reactivate", False: "unit.retire"}.get(changes.get("active"),
                                                                    "unit.update")
    record_event(regency_id=unit.regency_id, actor=("user", actor.id), action=action,
                 entity=("unit", unit.id), before=before, after=changes)
    append_changes([change_row(regency_id=unit.regency_id, type="unit.updated",
                               data={"unit": unit.id, **changes})])
    db.session.flush()
    return unit


def get_agency(*, actor: User, agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id) if in_range(agency_id, big=False) else None
    if agency is None or agency.regency_id != actor.regency_id:
        raise NotFound(f"No agency {agency_id}.", code="agency_not_found")
    return agency


_UNSET = object()


def update_agency(*, actor: User, agency_id: int, name: str | None = None,
                  phone: str | None | object = _UNSET) -> Agency:
    """Edit an agency's name or phone (phone None clears it)."""
    require(actor, "admin")
    agency = get_agency(actor=actor, agency_id=agency_id)
    wanted = {"name": name} if name is not None else {}
    if phone is not _UNSET:
        wanted["phone"] = phone
    changes = {k: v for k, v in wanted.items() if getattr(agency, k) != v}
    if changes:
        before = {k: getattr(agency, k) for k in changes}
        for key, value in changes.items():
            setattr(agency, key, value)
        record_event(regency_id=agency.regency_id, actor=("user", actor.id),
                     action="agency.update", entity=("agency", agency.id), before=before,
                     after=changes)
        append_changes([change_row(regency_id=agency.regency_id, type="agency.updated",
                                   data={"agency": agency.id, **changes})])
        db.session.flush()
    return agency


def list_agencies(*, actor: User) -> list[Agency]:
    require(actor, "admin")
    return list(db.session.scalars(sa.select(Agency).where(
        Agency.regency_id == actor.regency_id).order_by(Agency.type, Agency.name)))


def set_routing(*, actor: User, category: str, agency_types: list[str]) -> list[str]:
    """Replace the agency types that handle `category` in the actor's regency (in order)."""
    require(actor, "admin")
    unknown = sorted(set(agency_types) - set(AGENCY_TYPES))
    if unknown or not agency_types:
        raise ValidationFailed("Unknown or no agency types.",
                               details={"agency_types": unknown or ["at least one"]})
    before = agency_types_for(regency_id=actor.regency_id, category=category)
    db.session.execute(sa.delete(Routing).where(Routing.regency_id == actor.regency_id,
                                                Routing.category == category))
    db.session.add_all([Routing(regency_id=actor.regency_id, category=category, agency_type=t,
                                priority=i + 1) for i, t in enumerate(agency_types)])
    db.session.flush()
    record_event(regency_id=actor.regency_id, actor=("user", actor.id), action="routing.set",
                 entity=("routing", category), before={"agency_types": before},
                 after={"agency_types": agency_types})
    return agency_types
