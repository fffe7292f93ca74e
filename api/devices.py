"""Device registration and key management."""
from __future__ import annotations

from flask import current_app

from backend.auth import DEVICE_SECURITY, current_device
from backend.devices.schemas import DeviceRead, DeviceRegister, DeviceRegistered
from backend.devices.service import register_device, revoke_device
from backend.extensions import AUTH_ERRORS, SHED, SHED_ERRORS, Blueprint, db
from backend.ratelimit import limit_requests
from backend.regencies.models import Regency

blp = Blueprint("devices", __name__, url_prefix="/v1/devices", description="Devices")


@blp.route("", methods=["POST"])
@limit_requests("register", per_address="REGISTRATION_LIMIT_PER_ADDRESS",
                overall="REGISTRATION_LIMIT_GLOBAL")
@blp.arguments(DeviceRegister)
@blp.response(201, DeviceRegistered)
@blp.errors({400: "malformed_json", 415: "unsupported_media_type",
             429: "rate_limited: too many registrations from this address or overall; "
                  "keep the SOS queued and retry after Retry-After",
             503: f"{SHED}; or regency_not_configured (run `flask seed`)"})
def register(args):
    """Register a device and receive its key."""
    device, key = register_device(regency_code=current_app.config["DEFAULT_REGENCY"], **args)
    regency = db.session.get(Regency, device.regency_id)
    db.session.commit()
    return {"id": device.id, "kind": device.kind, "platform": device.platform,
            "app_version": device.app_version, "locale": device.locale, "test": device.test,
            "created_at": device.created_at, "device_key": key,
            "regency": {"code": regency.code, "name": regency.name}}


@blp.route("/me")
@blp.doc(security=DEVICE_SECURITY)
@blp.response(200, DeviceRead)
@blp.errors({**AUTH_ERRORS, **SHED_ERRORS})
def me():
    """Show the calling device."""
    device = current_device()
    db.session.commit()
    return device


@blp.route("/me", methods=["DELETE"])
@blp.doc(security=DEVICE_SECURITY)
@blp.response(204)
@blp.errors(AUTH_ERRORS)
def revoke():
    """Revoke the calling device's key (e.g. on sign-out or a lost phone)."""
    device = current_device()
    revoke_device(device=device, actor=("device", device.id))
    db.session.commit()
