"""Coverage planning's query and answer."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.coverage.optimise import OBJECTIVES
from backend.coverage.service import DEMAND_POINTS
from backend.schemas import StrictString
from backend.signal.schemas import PeriodArgs
from backend.units.models import AGENCY_TYPES

MAX_K = 10


class CoverageArgs(PeriodArgs):
    k = fields.Integer(load_default=3, validate=validate.Range(1, MAX_K), metadata={
        "description": "Plan 1..k new posts (each k solved on its own)."})
    agency_type = StrictString(validate=validate.OneOf(list(AGENCY_TYPES)), metadata={
        "description": "Only this service's posts (and its speed for new posts)."})
    road_factor = fields.Float(validate=validate.Range(1.0, 3.0), metadata={
        "description": "Road ÷ straight-line distance (default COVERAGE_ROAD_FACTOR, 1.4)."})
    speed_kmh = fields.Float(validate=validate.Range(5, 120), metadata={
        "description": "One average speed for every post, km/h (default per agency type, "
                       "COVERAGE_SPEED_KMH)."})
    target_minutes = fields.Float(validate=validate.Range(1, 240), metadata={
        "description": "Target response time (default COVERAGE_TARGET_MINUTES, 30)."})
    demand_point = StrictString(load_default="label", validate=validate.OneOf(DEMAND_POINTS),
                                metadata={"description": "label: the desa's label point; "
                                                         "reports: the mean of its reports."})
    objective = StrictString(load_default="median", validate=validate.OneOf(OBJECTIVES),
                             metadata={"description": "median: least demand-weighted minutes; "
                                                      "cover: most demand within the target."})


class Assumptions(Schema):
    road_factor = fields.Float(required=True)
    speeds_kmh = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    new_post_speed_kmh = fields.Float(required=True)
    target_minutes = fields.Float(required=True)
    demand_point = fields.String(required=True)
    agency_type = fields.String(required=True, allow_none=True)
    estimate = fields.String(required=True, metadata={
        "description": "How the times are estimated (they are not measured)."})


class Post(Schema):
    name = fields.String(required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    agency_types = fields.List(fields.String(), required=True)
    units = fields.List(fields.String(), required=True, metadata={"description": "Call signs."})
    speed_kmh = fields.Float(required=True)


class CoverageDesa(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kecamatan_code = fields.String(required=True, allow_none=True)
    kecamatan = fields.String(required=True, allow_none=True)
    label = fields.String(required=True)
    lat = fields.Float(required=True, metadata={"description": "The demand point."})
    lon = fields.Float(required=True)
    demand = fields.Integer(required=True, metadata={"description": "Reports in the range."})
    distance_km = fields.Float(required=True, allow_none=True, metadata={
        "description": "Straight line to the nearest post (null: no post)."})
    road_km = fields.Float(required=True, allow_none=True)
    minutes = fields.Float(required=True, allow_none=True, metadata={
        "description": "ESTIMATED minutes from the nearest post."})
    nearest_post = fields.String(required=True, allow_none=True)
    within_target = fields.Boolean(required=True)


class Site(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    label = fields.String(required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    minutes_saved = fields.Float(required=True, allow_none=True, metadata={
        "description": "Demand-weighted minutes this site saves (report-minutes over the "
                       "range); null when there is no existing post to compare with."})


class DesaRef(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    label = fields.String(required=True)
    demand = fields.Integer(required=True)


class PlanRead(Schema):
    k = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "optimal, or the solver's "
                                                                   "word for anything else."})
    solve_s = fields.Float(required=True)
    sites = fields.List(fields.Nested(Site), required=True)
    weighted_minutes_after = fields.Float(required=True)
    mean_minutes_after = fields.Float(required=True, allow_none=True)
    minutes_saved = fields.Float(required=True, allow_none=True, metadata={
        "description": "Demand-weighted minutes saved by the k sites together."})
    greedy_minutes_saved = fields.Float(required=True, allow_none=True, metadata={
        "description": "What the greedy heuristic would save (never more than the optimum)."})
    desa_brought_within_target = fields.List(fields.Nested(DesaRef), required=True)
    demand_brought_within_target = fields.Integer(required=True)
    desa_outside_target_after = fields.Integer(required=True)


class CoverageSummary(Schema):
    demand = fields.Integer(required=True)
    unplaced_demand = fields.Integer(required=True, metadata={
        "description": "Counted reports in no desa (not in the plan)."})
    weighted_minutes = fields.Float(required=True, allow_none=True)
    mean_minutes = fields.Float(required=True, allow_none=True, metadata={
        "description": "Demand-weighted mean ESTIMATED minutes from the nearest post."})
    desa_outside_target = fields.Integer(required=True)
    demand_outside_target = fields.Integer(required=True)


class Solver(Schema):
    name = fields.String(required=True)
    seconds = fields.Float(required=True)


class CoveragePlan(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    k = fields.Integer(required=True)
    objective = fields.String(required=True)
    assumptions = fields.Nested(Assumptions, required=True)
    posts = fields.List(fields.Nested(Post), required=True)
    desa = fields.List(fields.Nested(CoverageDesa), required=True)
    summary = fields.Nested(CoverageSummary, required=True)
    plans = fields.List(fields.Nested(PlanRead), required=True, metadata={
        "description": "One plan per k from 1 to k, each optimal on its own."})
    candidates = fields.List(fields.Nested(Site), required=True, metadata={
        "description": "The 20 best single sites by minutes saved alone."})
    solver = fields.Nested(Solver, required=True)
