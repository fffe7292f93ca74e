"""Register, authenticate and revoke devices."""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session, make_transient_to_detached

from backend.accounts.permissions import actor_ref, require
from backend.audit.service import record_event
from backend.db import in_range, utcnow
from backend.devices.models import Device
from backend.errors import NotFound, Unauthorized
from backend.extensions import db
from backend.regencies.service import get_regency_by_code

KEY_PREFIX = "sk1_"
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def register_device(*, regency_code: str, platform: str, app_version: str, locale: str,
                    phone: str | None = None, kind: str = "citizen", test: bool = False
                    ) -> tuple[Device, str]:
    """Register a device; return it with its key (the only time the key exists in clear)."""
    regency = get_regency_by_code(regency_code)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    device = Device(regency_id=regency.id, kind=kind, platform=platform, app_version=app_version,
                    locale=locale, phone=phone, test=test, key_hash=hash_key(key))
    db.session.add(device)
    db.session.flush()
    record_event(regency_id=regency.id, actor=("device", device.id), action="device.register",
                 entity=("device", device.id),
                 after={"kind": kind, "platform": platform, "app_version": app_version,
                        "test": test})
    return device, key


class DeviceCache:
    """A worker's short-lived copies of citizen devices, keyed by key hash: the hot path
    (one SOS per sync) resolves its identity without a query. A copy lives `seconds`
    (DEVICE_CACHE_SECONDS), so a key revoked (or a device muted) by another worker is
    honoured after at most that long; in this worker at once (any ORM change to a device
    drops its copy). Responder phones are never cached: their crew signs in and out."""

    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._copies: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> dict | None:
        entry = self._copies.get(key_hash)
        if entry is None:
            return None
        if self.clock() >= entry[0]:
            self.drop(key_hash)
            return None
        return entry[1]

    def put(self, device: Device) -> None:
        if self.seconds <= 0 or device.kind != "citizen" or device.revoked_at is not None:
            return
        copy = {c.key: getattr(device, c.key) for c in Device.__mapper__.column_attrs}
        with self._lock:
            if len(self._copies) > 100_000:  # a bound on memory, whatever the traffic
                self._copies.clear()
            self._copies[device.key_hash] = (self.clock() + self.seconds, copy)

    def drop(self, key_hash: str) -> None:
        with self._lock:
            self._copies.pop(key_hash, None)


def _device_cache() -> DeviceCache | None:
    return current_app.extensions.get("siaga.device_cache") if has_app_context() else None


_CHANGED = "siaga.devices_changed"


@sa.event.listens_for(Session, "before_flush")
def _forget_changed_devices(session, _context, _instances) -> None:
    """A device changed in this worker leaves the cache at its flush and again at its
    commit: a request of this worker that read the old row in between cannot keep it."""
    cache = _device_cache()
    if cache is not None:
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, Device) and _changed(obj) - {"last_seen_at"}:
                cache.drop(obj.key_hash)
                session.info.setdefault(_CHANGED, set()).add(obj.key_hash)


@sa.event.listens_for(Session, "after_commit")
def _forget_committed_devices(session) -> None:
    changed = session.info.pop(_CHANGED, ())
    cache = _device_cache()
    if cache is not None:
        for key_hash in changed:
            cache.drop(key_hash)


@sa.event.listens_for(Session, "after_rollback")
def _nothing_changed(session) -> None:
    session.info.pop(_CHANGED, None)


def _changed(device: Device) -> set[str]:
    state = sa.inspect(device)
    if state.deleted or state.was_deleted:
        return {"*"}
    return {a.key for a in state.attrs if a.history.has_changes()}


def _load_device(key_hash: str) -> Device | None:
    cache = _device_cache()
    copy = cache.get(key_hash) if cache is not None else None
    if copy is not None:
        device = Device(**copy)
        make_transient_to_detached(device)
        return db.session.merge(device, load=False)  # persistent, no SELECT
    device = db.session.scalar(sa.select(Device).where(Device.key_hash == key_hash))
    if device is not None and cache is not None:
        cache.put(device)
    return device


def authenticate_device(authorization: str | None, *, now: datetime | None = None) -> Device:
    """Return the device owning the bearer key, or raise Unauthorized (a citizen device
    from the worker's DeviceCache when it holds a fresh copy)."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("Send the device key as 'Authorization: Bearer <key>'.",
                           code="missing_device_key")
    key = authorization[len("Bearer "):].strip()
    device = _load_device(hash_key(key))
    if device is None:
        raise Unauthorized("Unknown device key.", code="invalid_device_key")
    if device.revoked_at is not None:
        raise Unauthorized("This device key was revoked; register again.",
                           code="revoked_device_key")
    now = now or utcnow()
    if device.last_seen_at is None or now - device.last_seen_at > LAST_SEEN_RESOLUTION:
        device.last_seen_at = now  # coarse on purpose: one UPDATE per device per 5 minutes
        cache = _device_cache()
        copy = cache.get(device.key_hash) if cache is not None else None
        if copy is not None:
            copy["last_seen_at"] = now
    return device


def revoke_device(*, device: Device, actor: tuple[str, object]) -> Device:
    """Revoke a device key; idempotent."""
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        record_event(regency_id=device.regency_id, actor=actor, action="device.revoke",
                     entity=("device", device.id))
    return device


def get_regency_device(*, actor, device_id: int) -> Device:
    """A device of the actor's regency (operators act on flood sources)."""
    device = db.session.get(Device, device_id) if in_range(device_id, big=False) else None
    if device is None or device.regency_id != actor.regency_id:
        raise NotFound(f"No device {device_id}.", code="device_not_found")
    return device


def set_device_muted(*, actor, device_id: int, muted: bool) -> Device:
    """Mute a flooding device: its reports are still stored (never dropped), always collapsed
    into its flood row; unmute to treat them as reports again."""
    require(actor, "triage")
    device = get_regency_device(actor=actor, device_id=device_id)
    if (device.muted_at is not None) != muted:
        device.muted_at = utcnow() if muted else None
        record_event(regency_id=device.regency_id, actor=actor_ref(actor),
                     action="device.mute" if muted else "device.unmute",
                     entity=("device", device.id))
    return device


def revoke_regency_device(*, actor, device_id: int) -> Device:
    """Revoke a device's key from the console (a flood source, a stolen phone)."""
    require(actor, "triage")
    return revoke_device(device=get_regency_device(actor=actor, device_id=device_id),
                         actor=actor_ref(actor))
