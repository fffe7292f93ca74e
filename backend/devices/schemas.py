from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.devices.models import DEVICE_KINDS, LOCALES, PLATFORMS
from backend.schemas import StrictBoolean, StrictString


class DeviceRegister(Schema):
    kind = StrictString(load_default="citizen", validate=validate.OneOf(DEVICE_KINDS))
    platform = StrictString(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = StrictString(required=True, validate=validate.Length(min=1, max=40))
    locale = StrictString(load_default="id", validate=validate.OneOf(LOCALES))
    phone = StrictString(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^\+?[0-9]{6,15}$", error="Phone must be 6-15 digits, optionally starting with +."),
        metadata={"description": "The citizen's number: operators see it on every report of "
                                 "this device and can call back."})
    test = StrictBoolean(load_default=False, metadata={
        "description": "Test traffic (app QA, conformance runs): every report of this device is "
                       "flagged test, kept out of the operators' inbox by default and out of "
                       "every statistic."})


class RegencyRef(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class DeviceRead(Schema):
    device_id = fields.Integer(required=True, attribute="id")
    kind = fields.String(required=True)
    platform = fields.String(required=True)
    app_version = fields.String(required=True)
    locale = fields.String(required=True)
    test = fields.Boolean(required=True)
    created_at = fields.AwareDateTime(required=True)


class DeviceRegistered(DeviceRead):
    device_key = fields.String(required=True, metadata={
        "description": "Shown once. Send as 'Authorization: Bearer <key>'."})
    regency = fields.Nested(RegencyRef, required=True)
