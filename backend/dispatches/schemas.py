"""Dispatches as operators read them, and the dispatch arguments."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.schemas import Id, StrictBoolean, StrictString
from backend.units.schemas import UnitRead


class DispatchRead(Schema):
    dispatch = fields.Integer(required=True, attribute="id",
                              metadata={"description": "The dispatch id (as in the responder "
                                                       "API)."})
    status = fields.String(required=True)
    status_reason = fields.String(allow_none=True, metadata={
        "description": "Why it was declined or cancelled (reassigned)."})
    needs_attention = fields.Boolean(required=True)
    ack_deadline = fields.AwareDateTime(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    unit = fields.Nested(UnitRead, required=True)


class DispatchArgs(Schema):
    units = fields.List(Id(), required=True,
                        validate=validate.Length(min=1, max=20))
    reassign = StrictBoolean(load_default=False, metadata={
        "description": "Take a busy unit off its open dispatch (cancelled, audited) and send "
                       "it here; without it a busy unit is refused with 409 unit_busy."})
    reason = StrictString(load_default=None, validate=validate.Length(min=3, max=200),
                          metadata={"description": "Required with reassign."})

    @validates_schema
    def reason_with_reassign(self, data, **kwargs):
        if data.get("reassign") and not (data.get("reason") or "").strip():
            raise ValidationError("Required with reassign.", field_name="reason")


# The cross-field rule above, as the OpenAPI document publishes it (api/__init__.py).
DISPATCH_ARGS_OPENAPI = {"anyOf": [
    {"properties": {"reassign": {"enum": [False]}}},
    {"required": ["reassign", "reason"],
     "properties": {"reassign": {"enum": [True]},
                    "reason": {"type": "string", "pattern": "\\S"}}},
]}
