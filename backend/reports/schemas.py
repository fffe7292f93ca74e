from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class LocationRead(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    accuracy_m = fields.Float(allow_none=True)
    source = fields.String(attribute="location_source", allow_none=True)


class ReportRead(Schema):
    ref = fields.String(required=True)
    op_id = fields.String(attribute="client_op_id", allow_none=True)
    category = fields.String(required=True)
    status = fields.String(required=True)
    status_reason = fields.String(allow_none=True)
    note = fields.String(required=True)
    silent = fields.Boolean(required=True)
    location = fields.Method("_location", allow_none=True,
                             metadata={"type": "object", "nullable": True})
    captured_at = fields.AwareDateTime(required=True)
    received_at = fields.AwareDateTime(required=True)

    def _location(self, report):
        if report.lat is None:
            return None
        return LocationRead().dump(report)


class ReportList(Schema):
    reports = fields.List(fields.Nested(ReportRead), required=True)
    next_before = fields.String(allow_none=True, metadata={
        "description": "Pass as ?before= to get older reports; null at the end."})


class ReportListArgs(Schema):
    class Meta:
        unknown = RAISE  # a misspelt query parameter is a client bug worth a 422

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    before = fields.String(load_default=None, validate=validate.Regexp(r"^R-\d{1,18}$"))
