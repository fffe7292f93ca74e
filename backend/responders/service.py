from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.service import add_user, authenticate_user, get_user, require
from backend.audit.service import record_event
from backend.db import utcnow
from backend.devices.models import Device
from backend.errors import NotAllowed, NotFound, Unauthorized
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from backend.units.models import Unit
from backend.units.service import get_unit, record_unit_fix


def sign_in_responder(*, device: Device, username: str, password: str, client: str) -> User:
    """Bind a responder account to this (responder) phone."""
    if device.kind != "responder":
        raise NotAllowed("Register this phone as a responder device first.",
                         code="wrong_device_kind")
    user = authenticate_user(username=username, password=password, client=client)
    if user.role != "responder" or user.unit_id is None:
        raise NotAllowed("This account is not a responder of a unit.", code="not_a_responder")
    if user.regency_id != device.regency_id:
        raise NotAllowed("This phone belongs to another regency.", code="wrong_regency")
    device.user_id = user.id
    record_event(regency_id=user.regency_id, actor=("user", user.id), action="responder.sign_in",
                 entity=("device", device.id))
    return user


def sign_out_responder(*, device: Device) -> None:
    """Unbind the account: this phone stops receiving alerts."""
    if device.user_id is not None:
        record_event(regency_id=device.regency_id, actor=("device", device.id),
                     action="responder.sign_out", entity=("device", device.id))
        device.user_id = None


def device_responder(device: Device) -> User:
    """The responder signed in on this phone (401 otherwise)."""
    user = db.session.get(User, device.user_id) if device.user_id else None
    if user is None or not user.active or user.role != "responder":
        raise Unauthorized("Sign in as a responder on this phone.",
                           code="responder_not_signed_in")
    return user


def set_push_token(*, device: Device, token: str) -> Device:
    """Register or refresh the phone's FCM registration token (signed-in crew phones only:
    a token moves to this phone from any other, so an anonymous phone must not claim one)."""
    if device.kind != "responder":
        raise NotAllowed("Only responder phones receive alerts.", code="wrong_device_kind")
    device_responder(device)  # 401 responder_not_signed_in
    if device.fcm_token != token:
        db.session.execute(sa.update(Device).where(Device.fcm_token == token,
                                                   Device.id != device.id)
                           .values(fcm_token=None))  # a token belongs to one install
        device.fcm_token, device.fcm_token_at, device.push_error = token, utcnow(), None
    return device


def set_duty(*, responder: User, on_duty: bool) -> User:
    """A responder starts or ends a shift; only on-duty responders are alerted."""
    if responder.on_duty != on_duty:
        responder.on_duty = on_duty
        record_event(regency_id=responder.regency_id, actor=("user", responder.id),
                     action="responder.duty", entity=("user", responder.id),
                     after={"on_duty": on_duty})
    return responder


def record_location(*, device: Device, responder: User, lat: float, lon: float,
                    at: datetime) -> None:
    """Keep the newest fix of a responder's phone (an older one arriving late is ignored),
    and the unit's newest crew fix (units.fix_*), which places the unit when fresh."""
    if device.last_fix_at is not None and device.last_fix_at >= at:
        return
    device.last_lat, device.last_lon, device.last_fix_at = lat, lon, at
    if responder.unit_id is not None:  # the unit's position for the recommendation
        record_unit_fix(unit_id=responder.unit_id, lat=lat, lon=lon, at=at)
    append_changes([change_row(regency_id=device.regency_id, type="responder.location",
                               data={"responder": responder.id, "unit": responder.unit_id,
                                     "lat": lat, "lon": lon, "at": at.isoformat()})])




# ---- administration (admins) ----

def list_responders(*, actor: User) -> list[dict]:
    """The regency's crew accounts with their unit and how many phones they are signed in on,
    in one query."""
    require(actor, "admin")
    phones = (sa.select(sa.func.count(Device.id)).where(Device.user_id == User.id,
                                                        Device.revoked_at.is_(None))
              .correlate(User).scalar_subquery())
    rows = db.session.execute(
        sa.select(User, Unit.name, Unit.call_sign, phones.label("devices"))
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(User.regency_id == actor.regency_id, User.role == "responder")
        .order_by(Unit.name, User.name)).all()
    return [{"user": user, "unit_name": unit_name, "unit_call_sign": call_sign,
             "devices_signed_in": devices} for user, unit_name, call_sign, devices in rows]


def create_responder(*, actor: User, unit_id: int, **account) -> User:
    """Create a crew account on one of the regency's units."""
    unit = get_unit(actor=actor, unit_id=unit_id)
    return add_user(actor=actor, role="responder", unit_id=unit.id, **account)


def set_responder_unit(*, actor: User, user_id: int, unit_id: int) -> User:
    """Move a crew member to another unit of the regency (their alerts follow)."""
    user = get_user(actor=actor, user_id=user_id, lock=True)
    if user.role != "responder":
        raise NotFound(f"No responder {user_id}.", code="responder_not_found")
    unit = get_unit(actor=actor, unit_id=unit_id)
    if user.unit_id != unit.id:
        before, user.unit_id = user.unit_id, unit.id
        record_event(regency_id=user.regency_id, actor=("user", actor.id),
                     action="responder.update", entity=("user", user.id),
                     before={"unit_id": before}, after={"unit_id": unit.id})
        db.session.flush()
    return user
