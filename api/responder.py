"""Responder phones: sign in a crew member, push token, duty, and dispatch actions.

Authenticated by the phone's device key (kind=responder); the same actions also travel as
queued ops through /v1/sync when signal is weak.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.accounts.schemas import Credentials
from backend.auth import DEVICE_SECURITY, client_address, current_device
from backend.dispatches import service as dispatch_service
from backend.dispatches.models import Dispatch
from backend.extensions import Blueprint, db
from backend.responders.service import (
    device_responder,
    set_duty,
    set_push_token,
    sign_in_responder,
    sign_out_responder,
)
from backend.schemas import StrictBoolean, StrictString

blp = Blueprint("responder", __name__, url_prefix="/v1/responder",
                description="Responder phones (device key of a responder device)")
ERRORS = {401: "missing/invalid/revoked device key or responder_not_signed_in",
          403: "wrong_device_kind"}


class ResponderRead(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit_id = fields.Integer(required=True)
    on_duty = fields.Boolean(required=True)


class TokenArgs(Schema):
    token = StrictString(required=True, validate=validate.Length(min=8, max=512))


class ResponderDutyArgs(Schema):
    on_duty = StrictBoolean(required=True)


class DeclineArgs(Schema):
    reason = StrictString(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ResponderStatusArgs(Schema):
    status = StrictString(required=True, validate=validate.OneOf(dispatch_service.RESPONDER_STATUSES))


class AssignmentRead(Schema):
    dispatch = fields.Integer(required=True)
    status = fields.String(required=True)
    ack_deadline = fields.AwareDateTime(allow_none=True)
    incident = fields.String(required=True)
    category = fields.String(required=True)
    priority = fields.Integer(required=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    summary = fields.String(required=True)
    distance_m = fields.Float(allow_none=True)


class AssignmentList(Schema):
    dispatches = fields.List(fields.Nested(AssignmentRead), required=True)


def _responder():
    return device_responder(current_device())


def _assignment(dispatch: Dispatch) -> dict:
    incident = dispatch.incident
    return {"dispatch": dispatch.id, "status": dispatch.status,
            "ack_deadline": dispatch.ack_deadline, "incident": incident.number,
            "category": incident.category, "priority": incident.priority, "lat": incident.lat,
            "lon": incident.lon, "summary": incident.summary, "distance_m": dispatch.distance_m}


@blp.route("/session", methods=["POST"])
@blp.doc(security=DEVICE_SECURITY)
@blp.arguments(Credentials)
@blp.response(200, ResponderRead)
@blp.errors({**ERRORS, 403: "wrong_device_kind, not_a_responder, wrong_regency",
             429: "rate_limited"})
def sign_in(args):
    """Sign a crew member in on this phone (binds the phone to their unit)."""
    user = sign_in_responder(device=current_device(), client=client_address(), **args)
    db.session.commit()
    return user


@blp.route("/session", methods=["DELETE"])
@blp.doc(security=DEVICE_SECURITY)
@blp.response(204)
@blp.errors(ERRORS)
def sign_out():
    """Sign the crew member out; this phone stops receiving alerts."""
    sign_out_responder(device=current_device())
    db.session.commit()


@blp.route("/push-token", methods=["PUT"])
@blp.doc(security=DEVICE_SECURITY)
@blp.arguments(TokenArgs)
@blp.response(204)
@blp.errors(ERRORS)
def push_token(args):
    """Register or refresh this phone's FCM registration token."""
    set_push_token(device=current_device(), token=args["token"])
    db.session.commit()


@blp.route("/duty", methods=["PUT"])
@blp.doc(security=DEVICE_SECURITY)
@blp.arguments(ResponderDutyArgs)
@blp.response(200, ResponderRead)
@blp.errors(ERRORS)
def duty(args):
    """Start or end a shift (only on-duty responders are alerted)."""
    user = set_duty(responder=_responder(), on_duty=args["on_duty"])
    db.session.commit()
    return user


@blp.route("/dispatches")
@blp.doc(security=DEVICE_SECURITY)
@blp.response(200, AssignmentList)
@blp.errors(ERRORS)
def dispatches():
    """Active dispatches of this responder's unit (never another unit's)."""
    return {"dispatches": [_assignment(d) for d in
                           dispatch_service.unit_assignments(responder=_responder())]}


def _act(fn, dispatch_id, **kwargs):
    dispatch = fn(responder=_responder(), dispatch_id=dispatch_id, **kwargs)
    db.session.commit()
    return _assignment(dispatch)


@blp.route("/dispatches/<int:dispatch_id>/ack", methods=["POST"])
@blp.doc(security=DEVICE_SECURITY)
@blp.response(200, AssignmentRead)
@blp.errors({**ERRORS, 404: "dispatch_not_found", 409: "invalid_transition"})
def ack(dispatch_id):
    """Acknowledge: we are taking this job."""
    return _act(dispatch_service.acknowledge_dispatch, dispatch_id)


@blp.route("/dispatches/<int:dispatch_id>/decline", methods=["POST"])
@blp.doc(security=DEVICE_SECURITY)
@blp.arguments(DeclineArgs)
@blp.response(200, AssignmentRead)
@blp.errors({**ERRORS, 404: "dispatch_not_found", 409: "invalid_transition"})
def decline(args, dispatch_id):
    """Decline: the operator is told and the next unit proposed."""
    return _act(dispatch_service.decline_dispatch, dispatch_id, reason=args["reason"])


@blp.route("/dispatches/<int:dispatch_id>/status", methods=["POST"])
@blp.doc(security=DEVICE_SECURITY)
@blp.arguments(ResponderStatusArgs)
@blp.response(200, AssignmentRead)
@blp.errors({**ERRORS, 404: "dispatch_not_found", 409: "invalid_transition"})
def status(args, dispatch_id):
    """Report en_route, on_scene or completed."""
    return _act(dispatch_service.report_dispatch_status, dispatch_id, status=args["status"])
