"""Operator-facing shapes: reports as triaged, incidents, dispatches, units, audit."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.categories import CATEGORY_CODES
from backend.incidents.models import INCIDENT_STATUSES
from backend.reports.models import REJECT_REASONS, REPORT_STATUSES
from backend.schemas import Id, StrictBoolean, StrictFloat, StrictString


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


class RecommendationRead(Schema):
    unit = fields.Nested(UnitRead, required=True)
    distance_m = fields.Float(required=True)


class TriageReport(Schema):
    ref = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True)
    status_reason = fields.String(allow_none=True)
    source = fields.String(required=True, metadata={"enum": ["app", "call"]})
    note = fields.String(required=True)
    silent = fields.Boolean(required=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    location_source = fields.String(allow_none=True)
    captured_at = fields.AwareDateTime(required=True)
    received_at = fields.AwareDateTime(required=True)
    waited_s = fields.Method("_waited", metadata={
        "type": "number", "description": "How long the report waited on the phone."})
    time_source = fields.String(required=True)
    clock_skew_flagged = fields.Boolean(required=True)
    caller_phone = fields.String(allow_none=True)
    device_id = fields.Integer(allow_none=True)
    incident = fields.Function(lambda r: r.incident.number if r.incident else None,
                               allow_none=True, metadata={"type": "string"})

    def _waited(self, report):
        return max(0.0, (report.received_at - report.captured_at).total_seconds())


class SuggestionRead(Schema):
    report = fields.Nested(TriageReport, required=True)
    distance_m = fields.Float(allow_none=True)


class ReportDetail(Schema):
    report = fields.Nested(TriageReport, required=True)
    duplicates = fields.List(fields.Nested(SuggestionRead), required=True)
    reporter_history = fields.List(fields.Nested(TriageReport), required=True)


class Inbox(Schema):
    reports = fields.List(fields.Nested(TriageReport), required=True)
    cursor = fields.String(required=True, metadata={
        "description": "Start the live feed (/v1/operator/feed) here."})


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
    summary = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class IncidentList(Schema):
    incidents = fields.List(fields.Nested(IncidentRead), required=True)


class DispatchRead(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    needs_attention = fields.Boolean(required=True)
    ack_deadline = fields.AwareDateTime(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    unit = fields.Nested(UnitRead, required=True)


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


class IncidentDetail(Schema):
    incident = fields.Nested(IncidentRead, required=True)
    reports = fields.List(fields.Nested(TriageReport), required=True)
    dispatches = fields.List(fields.Nested(DispatchRead), required=True)
    timeline = fields.List(fields.Nested(AuditRead), required=True)
    recommendations = fields.List(fields.Nested(RecommendationRead), required=True)
    share_text = fields.String(required=True)
    share_url = fields.String(required=True, metadata={"description": "wa.me link"})


class AuditList(Schema):
    events = fields.List(fields.Nested(AuditRead), required=True)


class UnitList(Schema):
    units = fields.List(fields.Nested(UnitRead), required=True)


# ---- arguments ----

class ConfirmArgs(Schema):
    incident = StrictString(load_default=None, allow_none=True, metadata={
        "description": "Join this incident instead of opening a new one."})
    priority = fields.Integer(strict=True, load_default=None, allow_none=True,
                              validate=validate.OneOf([1, 2, 3]))
    summary = StrictString(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RejectArgs(Schema):
    reason = StrictString(required=True, validate=validate.OneOf(REJECT_REASONS))
    note = StrictString(load_default=None, allow_none=True, validate=validate.Length(max=150))


class MergeArgs(Schema):
    incident = StrictString(required=True)


class CallReportArgs(Schema):
    category = StrictString(required=True, validate=validate.OneOf(CATEGORY_CODES))
    note = StrictString(load_default="", validate=validate.Length(max=2000))
    lat = StrictFloat(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = StrictFloat(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    caller_phone = StrictString(load_default=None, allow_none=True,
                                validate=validate.Regexp(r"^\+?[0-9]{3,15}$"))
    silent = StrictBoolean(load_default=False)


class StatusArgs(Schema):
    status = StrictString(required=True, validate=validate.OneOf(INCIDENT_STATUSES))


class PriorityArgs(Schema):
    priority = fields.Integer(strict=True, required=True, validate=validate.OneOf([1, 2, 3]))


class NoteArgs(Schema):
    text = StrictString(required=True, validate=validate.Length(min=1, max=2000))


class DispatchArgs(Schema):
    units = fields.List(Id(), required=True,
                        validate=validate.Length(min=1, max=20))


class DutyArgs(Schema):
    on_duty = StrictBoolean(required=True)


class InboxArgs(Schema):
    status = fields.List(StrictString(validate=validate.OneOf(REPORT_STATUSES)),
                         load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class IncidentListArgs(Schema):
    status = fields.List(StrictString(validate=validate.OneOf(INCIDENT_STATUSES)),
                         load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
