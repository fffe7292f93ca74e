"""Audit events as supervisors read them."""
from __future__ import annotations

from marshmallow import Schema, fields


class AuditRead(Schema):
    id = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)
    device_at = fields.AwareDateTime(allow_none=True)
    actor_type = fields.String(required=True)
    actor_id = fields.String(required=True)
    action = fields.String(required=True)
    entity_type = fields.String(required=True)
    entity_id = fields.String(required=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditList(Schema):
    events = fields.List(fields.Nested(AuditRead), required=True)
