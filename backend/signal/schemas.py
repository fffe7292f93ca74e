"""The weak-signal map's query and answer, and the date range shared by the monitoring APIs."""
from __future__ import annotations

from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from backend.db import utcnow
from backend.schemas import StrictString, UTCDateTime
from backend.signal.service import H3_RESOLUTIONS, RANK_KEYS

DEFAULT_PERIOD = timedelta(days=30)
LONGEST_PERIOD = timedelta(days=400)


class PeriodArgs(Schema):
    """A date range [start, end): default the 30 days up to now; at most 400 days."""

    start = UTCDateTime(metadata={"description": "From this time (inclusive). Default: 30 days "
                                                 "before end."})
    end = UTCDateTime(metadata={"description": "Before this time (exclusive). Default: now."})

    @validates_schema
    def _ordered(self, data, **kwargs):
        start, end = data.get("start"), data.get("end") or utcnow()
        if start is not None and start >= end:
            raise ValidationError("must be before end", "start")
        if start is not None and end - start > LONGEST_PERIOD:
            raise ValidationError(f"at most {LONGEST_PERIOD.days} days", "start")

    @post_load
    def _defaults(self, data, **kwargs):
        data["end"] = data.get("end") or utcnow()
        data["start"] = data.get("start") or data["end"] - DEFAULT_PERIOD
        return data


class SignalArgs(PeriodArgs):
    resolution = fields.Integer(validate=validate.Range(*H3_RESOLUTIONS), metadata={
        "description": "H3 resolution of the hexagons (default SIGNAL_H3_RESOLUTION, 7)."})
    threshold_s = fields.Integer(validate=validate.Range(1, 7 * 86400), metadata={
        "description": "share_over counts reports that waited longer than this (default "
                       "SIGNAL_WAIT_THRESHOLD_S, 600)."})
    min_count = fields.Integer(validate=validate.Range(1, 10000), metadata={
        "description": "Fewest reports for a desa or cell to be ranked (default "
                       "SIGNAL_MIN_COUNT, 5)."})
    rank_by = StrictString(load_default="p90_s", validate=validate.OneOf(RANK_KEYS))


class DelayStats(Schema):
    count = fields.Integer(required=True)
    p50_s = fields.Float(required=True, allow_none=True, metadata={
        "description": "Median offline delay, seconds (nearest-rank); null without reports."})
    p90_s = fields.Float(required=True, allow_none=True, metadata={
        "description": "90th percentile offline delay, seconds (nearest-rank)."})
    over_threshold = fields.Integer(required=True, metadata={
        "description": "Reports that waited longer than threshold_s."})
    share_over = fields.Float(required=True, allow_none=True, metadata={
        "description": "over_threshold / count (0-1); null without reports."})


class SignalDesaProperties(DelayStats):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kecamatan_code = fields.String(required=True, allow_none=True)
    kecamatan = fields.String(required=True, allow_none=True)
    label = fields.String(required=True, metadata={"description": "\"Desa X, Kec. Y\"."})
    ranked = fields.Boolean(required=True, metadata={
        "description": "Has at least min_count reports (a sample large enough to rank)."})
    small_sample = fields.Boolean(required=True, metadata={
        "description": "Has reports, but fewer than min_count: shown, not ranked."})


class SignalCellProperties(DelayStats):
    cell = fields.String(required=True, metadata={"description": "H3 cell index (hex)."})
    center_lat = fields.Float(required=True)
    center_lon = fields.Float(required=True)
    ranked = fields.Boolean(required=True)
    small_sample = fields.Boolean(required=True)


class _Feature(Schema):
    type = fields.String(required=True, metadata={"enum": ["Feature"]})
    geometry = fields.Dict(required=True, allow_none=True)


class SignalDesaFeature(_Feature):
    properties = fields.Nested(SignalDesaProperties, required=True)


class SignalCellFeature(_Feature):
    properties = fields.Nested(SignalCellProperties, required=True)


class SignalDesaCollection(Schema):
    type = fields.String(required=True, metadata={"enum": ["FeatureCollection"]})
    features = fields.List(fields.Nested(SignalDesaFeature), required=True, metadata={
        "description": "Every desa of the regency, at its label point (join with "
                       "/places/areas.geojson?level=desa by code for the polygons)."})


class SignalCellCollection(Schema):
    type = fields.String(required=True, metadata={"enum": ["FeatureCollection"]})
    features = fields.List(fields.Nested(SignalCellFeature), required=True, metadata={
        "description": "H3 hexagons holding at least one report."})


class SignalRanked(SignalDesaProperties):
    rank = fields.Integer(required=True)


class SignalMap(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    resolution = fields.Integer(required=True)
    threshold_s = fields.Float(required=True)
    min_count = fields.Integer(required=True)
    rank_by = fields.String(required=True)
    overall = fields.Nested(DelayStats, required=True)
    unplaced = fields.Integer(required=True, metadata={
        "description": "Counted reports in no desa (outside the regency, or no location)."})
    no_location = fields.Integer(required=True, metadata={
        "description": "Counted reports without a point (in no H3 cell)."})
    desa = fields.Nested(SignalDesaCollection, required=True)
    cells = fields.Nested(SignalCellCollection, required=True)
    ranking = fields.List(fields.Nested(SignalRanked), required=True, metadata={
        "description": "Desa with at least min_count reports, longest wait first: where "
                       "outreach and tower advocacy should go."})
