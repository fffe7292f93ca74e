"""Units as the console and admins see them; the recommendation."""
from __future__ import annotations

from marshmallow import Schema, fields

from backend.schemas import StrictBoolean


class AvailabilityRead(Schema):
    state = fields.String(required=True, metadata={
        "enum": ["available", "assigned", "en_route", "on_scene", "out_of_service"],
        "description": "Derived from the unit's open dispatch (assigned = pending, notified or "
                       "acknowledged), its duty and whether it is retired."})
    since = fields.AwareDateTime(required=True, metadata={
        "description": "The open dispatch's last change; else the duty change or the end of "
                       "the unit's last dispatch, whichever is later."})
    incident = fields.String(allow_none=True, metadata={
        "description": "Number of the incident of the open dispatch."})
    dispatch = fields.Integer(allow_none=True)
    recent = fields.String(allow_none=True, metadata={
        "description": "timed_out or declined within RECENT_TIMEOUT_MINUTES: not recommended."})
    recent_at = fields.AwareDateTime(allow_none=True)


class PositionRead(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    source = fields.String(required=True, metadata={
        "enum": ["gps", "post"],
        "description": "gps: a crew phone's fix younger than UNIT_FIX_FRESH_MINUTES; else the "
                       "post."})
    fix_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "The newest crew GPS fix, used or not."})
    age_s = fields.Float(allow_none=True, metadata={"description": "Age of that fix."})


class CrewRead(Schema):
    signed_in = fields.Integer(required=True, metadata={
        "description": "Crew phones signed in (not revoked)."})
    reachable = fields.Integer(required=True, metadata={
        "description": "Of those, on-duty crew's phones with an FCM token."})


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
    # Present where the service derived them (unit list, recommendations).
    availability = fields.Nested(AvailabilityRead, allow_none=True)
    position = fields.Nested(PositionRead, allow_none=True)
    crew = fields.Nested(CrewRead, allow_none=True)


class RecommendationRead(Schema):
    unit = fields.Nested(UnitRead, required=True)
    distance_m = fields.Float(required=True, metadata={
        "description": "Straight line from the unit's position (fresh GPS fix, else post)."})
    position = fields.Nested(PositionRead, required=True)


class UnavailableUnitRead(RecommendationRead):
    availability = fields.Nested(AvailabilityRead, required=True)
    reason = fields.String(required=True, metadata={"enum": ["busy", "timed_out", "declined"]})


class UnitList(Schema):
    units = fields.List(fields.Nested(UnitRead), required=True)


class DutyArgs(Schema):
    on_duty = StrictBoolean(required=True)
