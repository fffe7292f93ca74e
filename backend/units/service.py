"""Agencies, units and routing; units as resources (availability, position, crew); and the
nearest-unit recommendation.

A unit's availability is derived, never typed: from its open dispatch (the partial unique
index uq_dispatches_unit_active allows one), its duty and whether it is retired
(unit_availability, one statement for many units). Its position is the crew's GPS fix while
fresh (UNIT_FIX_FRESH_MINUTES), else its post.

recommend_units() is one service with two drivers: on PostgreSQL two KNN scans (`<->`) — posts
on the units.location GiST index for units without a fresh fix, fixes on units.fix_location
for units with one — merged by true distance; on SQLite the same filter and Python maths.
Busy units and units that just timed out or declined (RECENT_TIMEOUT_MINUTES) are never
recommended; unavailable_units() lists them apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, contains_eager

from backend.accounts.models import User
from backend.accounts.service import require
from backend.audit.service import record_event
from backend.db import dialect_name, in_range, utcnow
from backend.devices.models import Device
from backend.dispatches.models import ACTIVE_DISPATCH, ENDED_UNANSWERED, UNIT_STATE, Dispatch
from backend.errors import InvalidTransition, NotFound, ValidationFailed
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from backend.geo import distance_m
from backend.incidents.models import Incident, format_incident_number
from backend.units.models import AGENCY_TYPES, DEFAULT_ROUTING, Agency, Routing, Unit

UNIT_STATES = ("available", "assigned", "en_route", "on_scene", "out_of_service")


@dataclass(frozen=True)
class Availability:
    """What a unit can do now, since when, and for which incident."""

    state: str                   # one of UNIT_STATES
    since: datetime
    incident: str | None = None  # the incident number of its open dispatch
    dispatch: int | None = None  # its open dispatch
    recent: str | None = None    # timed_out / declined within RECENT_TIMEOUT_MINUTES
    recent_at: datetime | None = None

    @property
    def free(self) -> bool:
        """Recommendable: available and did not just time out or decline."""
        return self.state == "available" and self.recent is None


@dataclass(frozen=True)
class Position:
    """Where a unit is: its crew's fresh GPS fix, else its post. fix_at/age_s describe the
    newest fix whether or not it is fresh enough to be used."""

    lat: float
    lon: float
    source: str                  # "gps" | "post"
    fix_at: datetime | None
    age_s: float | None


@dataclass(frozen=True)
class Crew:
    signed_in: int = 0           # crew phones signed in (not revoked)
    reachable: int = 0           # ... of on-duty crew, with an FCM token


@dataclass
class UnitView:
    """A unit with what is derived about it; reads like the unit itself (name, agency, ...)."""

    unit: Unit
    position: Position
    availability: Availability | None = None
    crew: Crew | None = None

    def __getattr__(self, name):
        if name.startswith("__") or name == "unit":
            raise AttributeError(name)
        return getattr(self.unit, name)


@dataclass(frozen=True)
class Recommendation:
    unit: UnitView
    agency: Agency
    distance_m: float
    reason: str | None = None    # unavailable units: "busy", "timed_out" or "declined"

    @property
    def position(self) -> Position:
        return self.unit.position

    @property
    def availability(self) -> Availability | None:
        return self.unit.availability


def fresh_fix_cutoff(now: datetime) -> datetime:
    return now - timedelta(minutes=current_app.config["UNIT_FIX_FRESH_MINUTES"])


def recent_cutoff(now: datetime) -> datetime:
    return now - timedelta(minutes=current_app.config["RECENT_TIMEOUT_MINUTES"])


def unit_position(unit: Unit, *, now: datetime) -> Position:
    age = (now - unit.fix_at).total_seconds() if unit.fix_at is not None else None
    if unit.fix_at is not None and unit.fix_lat is not None and unit.fix_lon is not None \
            and unit.fix_at >= fresh_fix_cutoff(now):
        return Position(unit.fix_lat, unit.fix_lon, "gps", unit.fix_at, age)
    return Position(unit.lat, unit.lon, "post", unit.fix_at, age)


def unit_availability(*, units: list[Unit], now: datetime | None = None
                      ) -> dict[int, Availability]:
    """Availability of many units in one statement: {unit id: Availability}.

    An open dispatch decides the state (a crew still on a job is busy even if marked off duty
    meanwhile); else out_of_service when off duty or retired; else available since the later
    of its duty change and its last dispatch's end.
    """
    if not units:
        return {}
    now = now or utcnow()
    recent_from = recent_cutoff(now)
    open_ = aliased(Dispatch)
    last = aliased(Dispatch)
    failed = aliased(Dispatch)
    last_at = (sa.select(sa.func.max(last.updated_at)).where(last.unit_id == Unit.id)
               .correlate(Unit).scalar_subquery())
    recent = (sa.select(failed.status).where(
        failed.unit_id == Unit.id, failed.status.in_(ENDED_UNANSWERED),
        failed.updated_at >= recent_from)
        .order_by(failed.updated_at.desc(), failed.id.desc()).limit(1)
        .correlate(Unit).scalar_subquery())
    recent_at = (sa.select(sa.func.max(failed.updated_at)).where(
        failed.unit_id == Unit.id, failed.status.in_(ENDED_UNANSWERED),
        failed.updated_at >= recent_from).correlate(Unit).scalar_subquery())
    rows = db.session.execute(
        sa.select(Unit.id, open_.id, open_.status, open_.updated_at, Incident.id,
                  Incident.created_at, last_at.label("last_at"), recent.label("recent"),
                  recent_at.label("recent_at"))
        .select_from(Unit)
        # Joined and filtered on regency_id too: one shard's rows (docs/SCALE.md).
        .outerjoin(open_, sa.and_(open_.unit_id == Unit.id, open_.regency_id == Unit.regency_id,
                                  open_.status.in_(ACTIVE_DISPATCH)))
        .outerjoin(Incident, sa.and_(Incident.id == open_.incident_id,
                                     Incident.regency_id == open_.regency_id))
        .where(Unit.regency_id.in_({u.regency_id for u in units}),
               Unit.id.in_([u.id for u in units]))).all()
    by_id = {u.id: u for u in units}
    result = {}
    for unit_id, dispatch_id, status, updated_at, incident_id, incident_at, last_end, \
            recent_status, recent_when in rows:
        unit = by_id[unit_id]
        if dispatch_id is not None:
            result[unit_id] = Availability(UNIT_STATE[status], updated_at,
                                           format_incident_number(incident_id, incident_at),
                                           dispatch_id)
        elif not unit.on_duty or not unit.active:
            result[unit_id] = Availability("out_of_service", unit.updated_at)
        else:
            since = max(t for t in (unit.updated_at, _aware(last_end)) if t is not None)
            result[unit_id] = Availability("available", since, recent=recent_status,
                                           recent_at=_aware(recent_when))
    return result


def _aware(value):
    """Aggregates (max) bypass the column type: SQLite hands back naive text or datetimes."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


def unit_crews(*, units: list[Unit]) -> dict[int, Crew]:
    """Crew phones per unit in one statement: signed in, and reachable by push (an on-duty
    responder's phone with an FCM token) — the phones queue_alerts would ring."""
    if not units:
        return {}
    reachable = sa.case((sa.and_(User.on_duty.is_(True), Device.fcm_token.is_not(None)), 1),
                        else_=0)
    rows = db.session.execute(
        sa.select(User.unit_id, sa.func.count(Device.id), sa.func.sum(reachable))
        .join(Device, Device.user_id == User.id)
        .where(User.unit_id.in_([u.id for u in units]), User.active.is_(True),
               User.role == "responder", Device.kind == "responder",
               Device.revoked_at.is_(None))
        .group_by(User.unit_id)).all()
    return {unit_id: Crew(int(n), int(r or 0)) for unit_id, n, r in rows}


def describe_units(units: list[Unit], *, now: datetime | None = None,
                   crew: bool = True) -> list[UnitView]:
    """Units with availability, position (and crew): two statements whatever their number."""
    now = now or utcnow()
    availability = unit_availability(units=units, now=now)
    crews = unit_crews(units=units) if crew else {}
    return [UnitView(u, unit_position(u, now=now), availability.get(u.id),
                     crews.get(u.id, Crew()) if crew else None) for u in units]


def record_unit_fix(*, unit_id: int, lat: float, lon: float, at: datetime) -> bool:
    """Keep the unit's newest crew GPS fix (an older one arriving late is ignored).

    One conditional UPDATE: concurrent fixes from two crew phones keep the newer. updated_at
    (the duty/record change time, which availability's "since" reads) is left alone.
    """
    result = db.session.execute(
        sa.update(Unit).where(Unit.id == unit_id,
                              sa.or_(Unit.fix_at.is_(None), Unit.fix_at < at))
        .values(fix_lat=lat, fix_lon=lon, fix_at=at, updated_at=Unit.updated_at)
        .execution_options(synchronize_session=False))
    unit = db.session.identity_map.get(db.session.identity_key(Unit, unit_id))
    if unit is not None:
        db.session.expire(unit, ["fix_lat", "fix_lon", "fix_at"])
    return result.rowcount > 0


def agency_types_for(*, regency_id: int, category: str) -> list[str]:
    rows = db.session.execute(
        sa.select(Routing.agency_type).where(Routing.regency_id == regency_id,
                                             Routing.category == category)
        .order_by(Routing.priority, Routing.agency_type)).scalars().all()
    return list(rows) or list(DEFAULT_ROUTING.get(category, ()))


def _units_of_types(regency_id: int, agency_types: list[str], exclude_unit_ids=()):
    """On-duty, in-service units of the regency whose agency has one of the types."""
    query = (sa.select(Unit).join(Unit.agency).options(contains_eager(Unit.agency))
             .where(Unit.regency_id == regency_id, Unit.on_duty.is_(True),
                    Unit.active.is_(True), Agency.type.in_(agency_types)))
    if exclude_unit_ids:
        query = query.where(Unit.id.not_in(list(exclude_unit_ids)))
    return query


def _statuses(statuses) -> sa.ColumnElement:
    """dispatches.status IN ('…', …) written out, never bound: a prepared (generic) plan must
    still see that it matches the partial unique index's predicate."""
    return Dispatch.status.in_([sa.literal_column(f"'{s}'") for s in statuses])


def _free(query, recent_from):
    """Only units with no open dispatch (probe of the partial unique index) that did not time
    out or decline since `recent_from` (probe of ix_dispatches_unit_updated)."""
    busy = sa.select(1).where(Dispatch.unit_id == Unit.id,
                              _statuses(ACTIVE_DISPATCH)).correlate(Unit).exists()
    just_failed = sa.select(1).where(
        Dispatch.unit_id == Unit.id, Dispatch.updated_at >= recent_from,
        _statuses(ENDED_UNANSWERED)).correlate(Unit).exists()
    return query.where(~busy, ~just_failed)


_NEAREST: dict[tuple[bool, bool, int], sa.Select] = {}


def _nearest_statement(excluding: bool, routed: bool, limit: int) -> sa.Select:
    """Built once per shape with bind parameters: the SQL text never changes, so building
    costs nothing per call and psycopg prepares it server-side (no planning per call). The
    LIMIT and the statuses are written out: a generic plan must still know it wants a few
    nearest rows (KNN), not a tenth of the table.

    routed: the agency types come from the regency's routing rows for :category inside the
    statement (one round trip); else from the :agency_types list.
    """
    key = (excluding, routed, limit)
    if key in _NEAREST:
        return _NEAREST[key]
    types = sa.select(Routing.agency_type).where(
        Routing.regency_id == sa.bindparam("regency_id", type_=sa.Integer),
        Routing.category == sa.bindparam("category", type_=sa.String)) if routed \
        else sa.bindparam("agency_types", expanding=True)
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(sa.bindparam("lon", type_=sa.Float),
                                                    sa.bindparam("lat", type_=sa.Float)),
                               sa.literal_column("4326")).cast(Unit.location.type)
    fresh_from = sa.bindparam("fresh_from", type_=Unit.fix_at.type)
    limit = sa.literal_column(str(int(limit)))

    def knn(column, which):
        base = sa.select(Unit.id, sa.func.ST_Distance(column, point).label("d")) \
            .join(Unit.agency).where(
                Unit.regency_id == sa.bindparam("regency_id", type_=sa.Integer),
                Unit.on_duty.is_(True), Unit.active.is_(True),
                Agency.type.in_(types), which)
        if excluding:
            base = base.where(Unit.id.not_in(sa.bindparam("exclude", expanding=True)))
        return _free(base, sa.bindparam("recent_from", type_=Dispatch.updated_at.type)) \
            .order_by(column.op("<->")(point)).limit(limit)

    posts = knn(Unit.location, sa.or_(Unit.fix_at.is_(None), Unit.fix_at < fresh_from))
    fixes = knn(Unit.fix_location, Unit.fix_at >= fresh_from)
    nearest = sa.union_all(posts, fixes).subquery("nearest")
    _NEAREST[key] = (
        sa.select(Unit, nearest.c.d).join(Unit.agency).options(contains_eager(Unit.agency))
        .join(nearest, nearest.c.id == Unit.id).order_by(nearest.c.d, Unit.id).limit(limit))
    return _NEAREST[key]


def _nearest_params(*, regency_id, lat, lon, exclude_unit_ids, now, agency_types=None,
                    category=None):
    params = {"regency_id": regency_id, "lat": lat, "lon": lon,
              "fresh_from": fresh_fix_cutoff(now), "recent_from": recent_cutoff(now)}
    if agency_types is not None:
        params["agency_types"] = list(agency_types)
    if category is not None:
        params["category"] = category
    if exclude_unit_ids:
        params["exclude"] = list(exclude_unit_ids)
    return params


def nearest_units_query(*, regency_id: int, agency_types: list[str], lat: float, lon: float,
                        limit: int, exclude_unit_ids=(), now: datetime | None = None):
    """The PostgreSQL statement behind recommend_units, values bound: two index-driven KNN
    scans merged.

    Posts (ix_units_location) for units without a fresh fix, fixes (ix_units_fix_location)
    for units with one; each ordered by `<->` and limited, then merged by true distance.
    """
    return _nearest_statement(bool(exclude_unit_ids), False, limit).params(_nearest_params(
        regency_id=regency_id, agency_types=agency_types, lat=lat, lon=lon,
        exclude_unit_ids=exclude_unit_ids, now=now or utcnow()))


def recommend_units(*, regency_id: int, category: str, lat: float | None, lon: float | None,
                    limit: int = 5, exclude_unit_ids=(), now: datetime | None = None,
                    driver: str | None = None) -> list[Recommendation]:
    """The nearest free units (on duty, not busy anywhere, not just timed out or declined) of
    the agency types that handle `category`, nearest first, each at its fresh fix or post.

    `driver` forces "sql" (PostGIS) or "python" (tests compare both on one database).
    """
    if lat is None or lon is None:
        return []
    now = now or utcnow()
    if (driver or ("sql" if dialect_name() == "postgresql" else "python")) == "sql":
        where = {"regency_id": regency_id, "lat": lat, "lon": lon,
                 "exclude_unit_ids": exclude_unit_ids, "now": now}
        # Routing read inside the statement; only a regency without routing rows for the
        # category needs the charter's default types and a second statement.
        rows = db.session.execute(_nearest_statement(bool(exclude_unit_ids), True, limit),
                                  _nearest_params(category=category, **where)).all()
        if not rows:
            types = agency_types_for(regency_id=regency_id, category=category)
            if types and set(types) == set(DEFAULT_ROUTING.get(category, ())):
                rows = db.session.execute(
                    _nearest_statement(bool(exclude_unit_ids), False, limit),
                    _nearest_params(agency_types=types, **where)).all()
        return [Recommendation(UnitView(u, unit_position(u, now=now)), u.agency, float(d))
                for u, d in rows]
    types = agency_types_for(regency_id=regency_id, category=category)
    if not types:
        return []
    units = db.session.scalars(_free(_units_of_types(regency_id, types, exclude_unit_ids),
                                     recent_cutoff(now))).all()
    views = [UnitView(u, unit_position(u, now=now)) for u in units]
    ranked = sorted((distance_m(lat, lon, v.position.lat, v.position.lon), v.unit.id, v)
                    for v in views)
    return [Recommendation(v, v.unit.agency, d) for d, _, v in ranked[:limit]]


def unavailable_units(*, regency_id: int, category: str, lat: float | None,
                      lon: float | None, limit: int = 5, exclude_unit_ids=(),
                      now: datetime | None = None) -> list[Recommendation]:
    """The nearest units of the right types that are busy (on any incident) or just timed out
    or declined, with their availability: shown apart so an operator can reassign one.

    Starts from the few open or just-failed dispatches (partial unique index and
    ix_dispatches_status_updated), never from every unit.
    """
    types = agency_types_for(regency_id=regency_id, category=category)
    if not types:
        return []
    now = now or utcnow()
    open_units = sa.select(Dispatch.unit_id).where(Dispatch.regency_id == regency_id,
                                                   Dispatch.status.in_(ACTIVE_DISPATCH))
    failed_units = sa.select(Dispatch.unit_id).where(
        Dispatch.regency_id == regency_id, Dispatch.status.in_(ENDED_UNANSWERED),
        Dispatch.updated_at >= recent_cutoff(now))
    units = db.session.scalars(_units_of_types(regency_id, types, exclude_unit_ids).where(
        Unit.id.in_(sa.union(open_units, failed_units)))).unique().all()
    views = [v for v in describe_units(list(units), now=now) if not v.availability.free]
    if lat is None or lon is None:
        ranked = sorted((0.0, v.unit.id, v) for v in views)
    else:
        ranked = sorted((distance_m(lat, lon, v.position.lat, v.position.lon), v.unit.id, v)
                        for v in views)
    return [Recommendation(v, v.unit.agency, d,
                           "busy" if v.availability.state != "available"
                           else v.availability.recent)
            for d, _, v in ranked[:limit]]


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


def lock_units(*, actor: User, unit_ids: list[int]) -> dict[int, Unit]:
    """The actor's regency's units by id, locked FOR UPDATE in id order (no deadlock between
    two dispatches of the same units); a missing one is unit_not_found."""
    wanted = [i for i in dict.fromkeys(unit_ids)]
    found = {u.id: u for u in db.session.scalars(
        sa.select(Unit).where(Unit.id.in_([i for i in wanted if in_range(i, big=False)]),
                              Unit.regency_id == actor.regency_id)
        .order_by(Unit.id).with_for_update(of=Unit))}
    for unit_id in wanted:
        if unit_id not in found:
            raise NotFound(f"No unit {unit_id}.", code="unit_not_found")
    return found


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


def list_units(*, actor: User, include_retired: bool = False) -> list[UnitView]:
    """The regency's units (with their agency, availability, position and crew phones),
    grouped by agency type — three statements whatever the number of units; retired units
    only when asked (the admin pages)."""
    require(actor, "admin" if include_retired else "view")
    query = (sa.select(Unit).join(Unit.agency).options(contains_eager(Unit.agency))
             .where(Unit.regency_id == actor.regency_id))
    if not include_retired:
        query = query.where(Unit.active.is_(True))
    return describe_units(list(db.session.scalars(query.order_by(Agency.type, Unit.name))))


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
