"""Incidents as the console reads them, and the incident actions' arguments."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.audit.schemas import AuditRead
from backend.categories import CATEGORY_CODES
from backend.dispatches.schemas import DispatchRead
from backend.incidents.models import INCIDENT_STATUSES
from backend.places.schemas import PlaceField
from backend.places.service import incident_place
from backend.schemas import StrictString, UTCDateTime
from backend.triage.schemas import TriageReport
from backend.units.schemas import RecommendationRead, UnavailableUnitRead


class IncidentRead(Schema):
    number = fields.String(required=True)
    needs_attention = fields.Boolean(required=True, metadata={
        "description": "A dispatched unit timed out, declined or could not be alerted, and "
                       "no unit has acknowledged since."})
    category = fields.String(required=True)
    priority = fields.Integer(required=True)
    status = fields.String(required=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    place = PlaceField(incident_place)
    summary = fields.String(required=True)
    test = fields.Boolean(required=True, metadata={"description": "Opened from test traffic."})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class IncidentList(Schema):
    incidents = fields.List(fields.Nested(IncidentRead), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass as cursor for the next page; null on the last page."})


class IncidentDetail(Schema):
    incident = fields.Nested(IncidentRead, required=True)
    reports = fields.List(fields.Nested(TriageReport), required=True)
    dispatches = fields.List(fields.Nested(DispatchRead), required=True)
    timeline = fields.List(fields.Nested(AuditRead), required=True)
    recommendations = fields.List(fields.Nested(RecommendationRead), required=True, metadata={
        "description": "The nearest free units of the agencies that handle the category."})
    busy_units = fields.List(fields.Nested(UnavailableUnitRead), required=True, metadata={
        "description": "The nearest units of those agencies that are busy (any incident) or "
                       "just timed out or declined; dispatching one needs reassign."})
    share_text = fields.String(required=True)
    share_url = fields.String(required=True, metadata={"description": "wa.me link"})


class StatusArgs(Schema):
    status = StrictString(required=True, validate=validate.OneOf(INCIDENT_STATUSES))


class PriorityArgs(Schema):
    priority = fields.Integer(strict=True, required=True, validate=validate.OneOf([1, 2, 3]))


class NoteArgs(Schema):
    text = StrictString(required=True, validate=validate.Length(min=1, max=2000))


class IncidentListArgs(Schema):
    status = fields.List(StrictString(validate=validate.OneOf(INCIDENT_STATUSES)),
                         load_default=None)
    category = fields.List(StrictString(validate=validate.OneOf(CATEGORY_CODES)),
                           load_default=None)
    q = StrictString(validate=validate.Length(min=1, max=120), metadata={
        "description": "Incident number (or its last digits), report ref or desa name."})
    since = UTCDateTime(metadata={"description": "Created at or after (UTC)."})
    until = UTCDateTime(metadata={"description": "Created before (UTC)."})
    order = StrictString(load_default="urgent", validate=validate.OneOf(["urgent", "newest"]),
                         metadata={"description": "urgent: priority then newest (the live "
                                                  "board); newest: the history"})
    cursor = StrictString(validate=validate.Regexp(r"^[1-9]\.[0-9]{1,18}$"),
                          metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
