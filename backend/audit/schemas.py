"""Audit events as supervisors read them, and the audit log's filters."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.schemas import INT64_MAX, StrictString, UTCDateTime


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
    actor_name = fields.String(required=True, metadata={
        "description": "Who did it, by name (a person, 'Sistem', a phone, a client address)."})
    entity_name = fields.String(required=True, metadata={
        "description": "What it was done to, by name or number."})
    description = fields.String(required=True, metadata={
        "description": "The event as a Bahasa Indonesia sentence with names."})
    description_en = fields.String(required=True, metadata={
        "description": "The same sentence in English."})


class AuditList(Schema):
    events = fields.List(fields.Nested(AuditRead), required=True)
    next_before_id = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Pass as before_id for the next (older) page; null: this page holds "
                       "the oldest matching event."})


class AuditArgs(Schema):
    before_id = fields.Integer(validate=validate.Range(1, INT64_MAX), metadata={
        "description": "Only events older than this id (next_before_id of the previous page)."})
    actor = StrictString(validate=validate.Regexp(r"^([0-9]{1,10}|system|device|client)$"),
                         metadata={"description": "A user id, or system / device / client."})
    action = StrictString(validate=validate.Regexp(r"^[a-z_.]{1,48}$"),
                          metadata={"description": "Action prefix, e.g. dispatch. or "
                                                   "dispatch.timed_out"})
    entity_type = StrictString(validate=validate.Regexp(r"^[a-z_]{1,32}$"))
    entity_id = StrictString(validate=validate.Length(min=1, max=64))
    since = UTCDateTime(metadata={"description": "From this time (inclusive)."})
    until = UTCDateTime(metadata={"description": "Before this time (exclusive)."})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
