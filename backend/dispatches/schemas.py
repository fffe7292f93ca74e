"""Dispatches as operators read them, and the dispatch arguments."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.schemas import Id
from backend.units.schemas import UnitRead


class DispatchRead(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    needs_attention = fields.Boolean(required=True)
    ack_deadline = fields.AwareDateTime(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    unit = fields.Nested(UnitRead, required=True)


class DispatchArgs(Schema):
    units = fields.List(Id(), required=True,
                        validate=validate.Length(min=1, max=20))
