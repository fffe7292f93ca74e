"""Units as the console and admins see them; the recommendation."""
from __future__ import annotations

from marshmallow import Schema, fields

from backend.schemas import StrictBoolean


class UnitRead(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    call_sign = fields.String(required=True)
    post_name = fields.String(required=True)
    agency_type = fields.String(required=True, attribute="agency.type")
    agency_name = fields.String(required=True, attribute="agency.name")
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    on_duty = fields.Boolean(required=True)
    agency_id = fields.Integer(required=True)
    active = fields.Boolean(required=True, metadata={"description": "false: retired"})


class RecommendationRead(Schema):
    unit = fields.Nested(UnitRead, required=True)
    distance_m = fields.Float(required=True)


class UnitList(Schema):
    units = fields.List(fields.Nested(UnitRead), required=True)


class DutyArgs(Schema):
    on_duty = StrictBoolean(required=True)
