"""Devices as operators act on them: mute or revoke a flood source (audited)."""
from __future__ import annotations

from marshmallow import Schema, fields

from api.operator import STAFF_ERRORS, blp, commit, requires
from backend.auth import SESSION_SECURITY, current_user
from backend.devices.service import revoke_regency_device, set_device_muted
from backend.schemas import StrictBoolean


class MuteArgs(Schema):
    muted = StrictBoolean(required=True)


class DeviceState(Schema):
    device_id = fields.Integer(required=True, attribute="id")
    muted = fields.Function(lambda d: d.muted_at is not None, required=True,
                            metadata={"type": "boolean"})
    revoked = fields.Function(lambda d: d.revoked_at is not None, required=True,
                              metadata={"type": "boolean"})


@blp.route("/devices/<int:device_id>/mute", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(MuteArgs)
@blp.response(200, DeviceState)
@blp.errors({**STAFF_ERRORS, 404: "device_not_found"})
def mute(args, device_id):
    """Mute (or unmute) a flooding device: its reports stay stored, collapsed in one row."""
    return commit(set_device_muted(actor=current_user(), device_id=device_id,
                                   muted=args["muted"]))


@blp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, DeviceState)
@blp.errors({**STAFF_ERRORS, 404: "device_not_found"})
def revoke(device_id):
    """Revoke a device's key (the phone must register again)."""
    return commit(revoke_regency_device(actor=current_user(), device_id=device_id))
