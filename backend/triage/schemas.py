"""Reports as triaged by operators, and the triage actions' arguments."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.categories import CATEGORY_CODES
from backend.places.schemas import PlaceField
from backend.places.service import report_place
from backend.reports.models import CHANNELS, POST_CONTACTS, REJECT_REASONS, REPORT_STATUSES
from backend.schemas import StrictBoolean, StrictFloat, StrictString
from backend.sms.schemas import AmlRead, SmsRead  # noqa: F401  (nested by name)


class TriageReport(Schema):
    ref = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True)
    status_reason = fields.String(allow_none=True)
    source = fields.String(required=True, metadata={
        "enum": list(CHANNELS),
        "description": "The channel it came by: app, sms (the app's compact SOS by SMS), "
                       "sms_text (a plain-text SMS), call (a voice call to 112), post (taken "
                       "at a unit's post: see taken_by_unit)."})
    taken_by_unit = fields.Function(
        lambda r: r.taken_by_unit and {"id": r.taken_by_unit.id, "name": r.taken_by_unit.name,
                                       "call_sign": r.taken_by_unit.call_sign},
        allow_none=True, metadata={"type": "object", "nullable": True, "description":
                                   "Channel post: the unit whose post took it (id, name, "
                                   "call_sign)."})
    taken_via = fields.String(allow_none=True, metadata={
        "enum": list(POST_CONTACTS), "description": "Channel post: how it reached the post."})
    place_said = fields.String(allow_none=True, metadata={
        "description": "The place as the reporter named it, as typed (shown beside `place`)."})
    note = fields.String(required=True)
    silent = fields.Boolean(required=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    location_source = fields.String(allow_none=True)
    place = PlaceField(report_place)
    captured_at = fields.AwareDateTime(required=True)
    received_at = fields.AwareDateTime(required=True)
    waited_s = fields.Method("_waited", metadata={
        "type": "number", "description": "How long the report waited on the phone."})
    time_source = fields.String(required=True)
    clock_skew_flagged = fields.Boolean(required=True)
    caller_phone = fields.String(allow_none=True, metadata={
        "description": "The caller's number: the voice caller's, or the phone's registration."})
    test = fields.Boolean(required=True, metadata={"description": "Test traffic, not an "
                                                                  "emergency; never counted."})
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
    sms = fields.List(fields.Nested("SmsRead"), required=True, metadata={
        "description": "The report's SMS both ways, oldest first: the original text (its "
                       "`parse` has the desa candidates when the name was ambiguous), AML, "
                       "replies."})
    aml = fields.Nested("AmlRead", allow_none=True, required=True, metadata={
        "description": "The caller's AML location (voice calls), SUPPLEMENTAL: the report's "
                       "own location stays until an operator accepts it."})


class AmlAccepted(Schema):
    report = fields.Nested(TriageReport, required=True)
    aml = fields.Nested("AmlRead", required=True)


class FloodRead(Schema):
    device_id = fields.Integer(required=True, attribute="device.id")
    muted = fields.Function(lambda f: f.device.muted_at is not None, required=True,
                            metadata={"type": "boolean"})
    revoked = fields.Function(lambda f: f.device.revoked_at is not None, required=True,
                              metadata={"type": "boolean"})
    caller_phone = fields.String(allow_none=True, attribute="device.phone")
    count = fields.Integer(required=True, metadata={
        "description": "Reports beyond the device's SOS rate awaiting triage (all stored)."})
    newest = fields.Nested(TriageReport, required=True)


class Inbox(Schema):
    reports = fields.List(fields.Nested(TriageReport), required=True, metadata={
        "description": "Real reports first: never a flood's."})
    floods = fields.List(fields.Nested(FloodRead), required=True, metadata={
        "description": "Possible floods: one row per device beyond its SOS rate, after the "
                       "reports. Nothing is dropped: open the newest to see them all."})
    cursor = fields.String(required=True, metadata={
        "description": "Start the live feed (/v1/operator/feed) here."})


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
    test = StrictBoolean(load_default=False, metadata={
        "description": "A training call: flagged test, never counted."})
    desa_code = StrictString(load_default=None, allow_none=True,
                             validate=validate.Regexp(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
                             metadata={"description": "The caller's desa (Kemendagri code): "
                                                      "without lat/lon its label point is the "
                                                      "location. Unknown: 404 desa_not_found."})


class InboxArgs(Schema):
    status = fields.List(StrictString(validate=validate.OneOf(REPORT_STATUSES)),
                         load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    include_test = fields.Boolean(load_default=False, truthy={"true"}, falsy={"false"}, metadata={
        "description": "true: also list test traffic (flagged test), hidden by default."})
