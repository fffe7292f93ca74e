"""KPI API: the range and grouping asked for, the figures returned, the admin's targets."""
from __future__ import annotations

import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from backend.categories import CATEGORY_CODES
from backend.kpi.measures import ALL_CATEGORIES, MEASURE_BY_NAME
from backend.kpi.service import GROUPS
from backend.schemas import TIME_CHARACTERS, StrictFloat, StrictString, UTCDateTime

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMATS = ("json", "csv", "xlsx")


class DayOrTime(fields.Field):
    """YYYY-MM-DD (local midnight of the regency) or an RFC 3339 time with offset."""

    def __init__(self, **kwargs):
        time = TIME_CHARACTERS.pattern[5:]  # after the year, as backend.schemas.UTCDateTime
        metadata = {"type": "string", "pattern": rf"^20\d\d(-\d{{2}}-\d{{2}}|{time})$",
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and DAY.match(value):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                raise ValidationError("Not a date.") from None
            if not 2000 <= parsed.year <= 2099:
                raise ValidationError("Year 2000-2099.")
            return parsed
        return UTCDateTime()._deserialize(value, attr, data, **kwargs)


class KpiArgs(Schema):
    start = DayOrTime(required=True, metadata={
        "description": "From (inclusive): YYYY-MM-DD = local midnight (WIB), or RFC 3339."})
    end = DayOrTime(required=True, metadata={
        "description": "Until (exclusive): YYYY-MM-DD = local midnight, or RFC 3339. At most "
                       "400 days after start."})
    group_by = StrictString(validate=validate.OneOf(GROUPS), load_default=None)
    format = StrictString(validate=validate.OneOf(FORMATS), load_default="json", metadata={
        "description": "json, or a download: csv, xlsx (Bahasa Indonesia headers)."})


class Previous(Schema):
    count = fields.Integer(required=True)
    open = fields.Integer(required=True)
    p50_s = fields.Float(allow_none=True)
    p90_s = fields.Float(allow_none=True)
    compliance = fields.Float(allow_none=True)


class KpiRow(Schema):
    group = fields.Raw(allow_none=True, metadata={
        "description": "The group key (category code, area code, id, hour 0-23, ISO day); "
                       "null: items without one, or no grouping."})
    label = fields.String(allow_none=True)
    measure = fields.String(required=True)
    subject = fields.String(required=True)
    count = fields.Integer(required=True, metadata={"description": "Observations."})
    open = fields.Integer(required=True, metadata={
        "description": "Items in range without the end milestone (not observations)."})
    p50_s = fields.Float(allow_none=True)
    p90_s = fields.Float(allow_none=True)
    target_s = fields.Integer(allow_none=True)
    target_share = fields.Float(allow_none=True)
    target_source = fields.String(allow_none=True)
    compliance = fields.Float(allow_none=True, metadata={
        "description": "Share of observations within the target of their category."})
    met = fields.Boolean(allow_none=True)
    previous = fields.Nested(Previous, allow_none=True, metadata={
        "description": "The same figures in the previous period of the same length."})


class Breakdown(Schema):
    key = fields.Raw(allow_none=True)
    label = fields.String(allow_none=True)
    count = fields.Integer(required=True)


class KpiCounts(Schema):
    reports = fields.Integer(required=True)
    test_reports_excluded = fields.Integer(required=True)
    incidents = fields.Integer(required=True)
    dispatches = fields.Integer(required=True)
    by_channel = fields.List(fields.Nested(Breakdown), required=True)
    by_category = fields.List(fields.Nested(Breakdown), required=True)
    by_kecamatan = fields.List(fields.Nested(Breakdown), required=True)
    by_desa = fields.List(fields.Nested(Breakdown), required=True)
    by_hour = fields.List(fields.Nested(Breakdown), required=True)
    by_day = fields.List(fields.Nested(Breakdown), required=True, metadata={
        "description": "Reports by local date (ISO), days with reports only, in date order."})
    by_agency = fields.List(fields.Nested(Breakdown), required=True)
    by_unit = fields.List(fields.Nested(Breakdown), required=True)
    confirmed = fields.Integer(required=True, metadata={
        "description": "Reports now confirmed (an incident was opened or they joined one)."})
    awaiting = fields.Integer(required=True, metadata={
        "description": "Reports still waiting for triage."})
    rejected = fields.Integer(required=True)
    rejections = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    merged = fields.Integer(required=True)
    escalated = fields.Integer(required=True)
    escalations = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    escalations_by_agency = fields.List(fields.Nested(Breakdown), required=True, metadata={
        "description": "Escalated dispatches by the agency of the unit."})
    undelivered_alerts = fields.Integer(required=True)
    silent = fields.Integer(required=True)
    no_location = fields.Integer(required=True)
    outside_regency = fields.Integer(required=True)
    flooded = fields.Integer(required=True, metadata={
        "description": "Reports from a phone beyond its SOS rate (collapsed in the inbox)."})


class KpiReport(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    previous_start = fields.AwareDateTime(required=True)
    timezone = fields.String(required=True)
    group_by = fields.String(allow_none=True)
    rows = fields.List(fields.Nested(KpiRow), required=True)
    counts = fields.Nested(KpiCounts, required=True)


class TargetValue(Schema):
    seconds = fields.Integer(allow_none=True)
    share = fields.Float(allow_none=True)
    source = fields.String(allow_none=True)


class TargetRead(Schema):
    measure = fields.String(required=True)
    category = fields.String(required=True, metadata={"description": "'*' = every category"})
    seconds = fields.Integer(allow_none=True)
    share = fields.Float(allow_none=True)
    source = fields.String(allow_none=True, metadata={
        "description": "'regency' (set by an admin), the standard of a default, or null."})
    default = fields.Nested(TargetValue, allow_none=True)
    updated_at = fields.AwareDateTime(allow_none=True)
    updated_by = fields.Integer(allow_none=True)


class TargetList(Schema):
    targets = fields.List(fields.Nested(TargetRead), required=True)


class TargetArgs(Schema):
    seconds = fields.Integer(required=True, strict=True,
                             validate=validate.Range(min=1, max=7 * 86400))
    share = StrictFloat(required=True, validate=validate.Range(min=0, max=1, min_inclusive=False),
                        metadata={"exclusiveMinimum": True,  # OpenAPI 3.0: share > 0
                                  "description": "Share of observations within seconds, "
                                                 "0 < share <= 1 (0.9 = 90 %)."})
    category = StrictString(load_default=ALL_CATEGORIES,
                            validate=validate.OneOf((ALL_CATEGORIES, *CATEGORY_CODES)))


class TargetDeleteArgs(Schema):
    category = StrictString(load_default=ALL_CATEGORIES,
                            validate=validate.OneOf((ALL_CATEGORIES, *CATEGORY_CODES)))


MEASURE_NAMES = tuple(MEASURE_BY_NAME)


class ChartArgs(Schema):
    kind = StrictString(required=True, validate=validate.OneOf(("series", "histogram", "bars")))
    measure = StrictString(required=True, validate=validate.OneOf(MEASURE_NAMES))
    start = DayOrTime(required=True)
    end = DayOrTime(required=True)
    group_by = StrictString(validate=validate.OneOf(GROUPS), load_default=None)
    lang = StrictString(validate=validate.OneOf(("id", "en")), load_default=None)
