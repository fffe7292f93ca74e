from __future__ import annotations

from marshmallow import Schema, fields

from backend.schemas import StrictString


class Credentials(Schema):
    username = StrictString(required=True)
    password = StrictString(required=True)


class UserRead(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    locale = fields.String(required=True)
    unit_id = fields.Integer(allow_none=True)
    active = fields.Boolean(required=True)
    last_login_at = fields.AwareDateTime(allow_none=True)
