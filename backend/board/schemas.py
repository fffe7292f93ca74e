"""The live board as the console reads it (GET /v1/operator/board)."""
from __future__ import annotations

from marshmallow import Schema, fields

from backend.units.service import UNIT_STATES

AGE = {"description": "Seconds since then, at `at`; null when there is none."}


class WaitingRead(Schema):
    count = fields.Integer(required=True, metadata={
        "description": "Reports received and not yet triaged (test and flooded left out)."})
    silent = fields.Integer(required=True, metadata={"description": "Of those, silent SOS."})
    flooded = fields.Integer(required=True, metadata={
        "description": "Waiting reports from phones beyond their SOS rate (collapsed in the "
                       "inbox), counted apart."})
    oldest_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "When the longest-waiting report was received."})
    oldest_age_s = fields.Float(allow_none=True, metadata=AGE)


class IncidentStateRead(Schema):
    state = fields.String(required=True, metadata={
        "enum": ["open", "dispatched", "acknowledged", "en_route", "on_scene"]})
    count = fields.Integer(required=True)
    oldest_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "When the oldest incident in this state was opened (confirmed)."})
    oldest_age_s = fields.Float(allow_none=True, metadata=AGE)


class AgencyUnitsRead(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True)
    total = fields.Integer(required=True, metadata={"description": "Active units."})
    states = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "Units by availability (" + ", ".join(UNIT_STATES) + "), derived as on "
                       "the unit page."})


class FlaggedIncidentRead(Schema):
    number = fields.String(required=True)
    category = fields.String(required=True)
    state = fields.String(required=True)
    age_s = fields.Float(required=True, metadata={"description": "Seconds since it opened."})


class EscalationsRead(Schema):
    timed_out_today = fields.Integer(required=True, metadata={
        "description": "Dispatches nobody acknowledged before the deadline, since local "
                       "midnight."})
    declined_today = fields.Integer(required=True)
    awaiting_ack = fields.Integer(required=True, metadata={
        "description": "Dispatches sent and not yet acknowledged."})
    overdue_ack = fields.Integer(required=True, metadata={
        "description": "Of those, past their acknowledgement deadline (escalation is due)."})
    oldest_awaiting_ack_s = fields.Float(allow_none=True, metadata=AGE)
    needs_attention = fields.Integer(required=True, metadata={
        "description": "Open incidents whose unit timed out, declined or could not be alerted "
                       "and which no unit has taken since."})
    incidents = fields.List(fields.Nested(FlaggedIncidentRead), required=True, metadata={
        "description": "Those incidents, oldest first (at most 20)."})


class UndeliveredRead(Schema):
    status = fields.String(required=True, metadata={"enum": ["failed", "dropped"]})
    error = fields.String(allow_none=True)
    attempts = fields.Integer(required=True)
    dispatch = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "The unit's name."})
    incident = fields.String(required=True)


class AlertsRead(Schema):
    today = fields.Integer(required=True, metadata={
        "description": "Alerts that failed or were dropped (token gone) since local midnight; "
                       "alerts dropped because the dispatch was cancelled are not failures."})
    open = fields.Integer(required=True, metadata={
        "description": "Undelivered alerts of dispatches still open."})
    items = fields.List(fields.Nested(UndeliveredRead), required=True, metadata={
        "description": "Those alerts (at most 20)."})


class TodayMeasureRead(Schema):
    measure = fields.String(required=True, metadata={
        "enum": ["answer", "triage", "processing", "acknowledgement", "travel", "total"]})
    count = fields.Integer(required=True, metadata={
        "description": "Observations since local midnight (items in by their anchor)."})
    open = fields.Integer(required=True, metadata={
        "description": "Items whose clock started today and has not stopped."})
    p50_s = fields.Float(allow_none=True, metadata={
        "description": "Median seconds (nearest rank); null without observations."})
    p90_s = fields.Float(allow_none=True, metadata={
        "description": "90th percentile seconds (nearest rank)."})
    target_s = fields.Integer(allow_none=True, metadata={
        "description": "The all-categories target, seconds; null: the measure has none."})
    target_share = fields.Float(allow_none=True, metadata={
        "description": "Share of observations that must be within the target (0–1)."})
    compliance = fields.Float(allow_none=True, metadata={
        "description": "Share within the target of each observation's own category (0–1)."})
    met = fields.Boolean(allow_none=True, metadata={
        "description": "compliance ≥ target_share; null without a target or observations."})


class TodayRead(Schema):
    reports = fields.Integer(required=True, metadata={
        "description": "Reports received since local midnight."})
    incidents = fields.Integer(required=True, metadata={
        "description": "Incidents opened since local midnight."})
    measures = fields.List(fields.Nested(TodayMeasureRead), required=True, metadata={
        "description": "Today's headline service measures against target "
                       "(backend/kpi: answer, triage, processing, acknowledgement, travel, "
                       "total), in that order."})


class BoardRead(Schema):
    at = fields.AwareDateTime(required=True, metadata={"description": "When it was computed."})
    day_start = fields.AwareDateTime(required=True, metadata={
        "description": "Local midnight of the regency's day, in UTC: where `today` begins."})
    waiting = fields.Nested(WaitingRead, required=True)
    incidents = fields.List(fields.Nested(IncidentStateRead), required=True)
    agencies = fields.List(fields.Nested(AgencyUnitsRead), required=True)
    escalations = fields.Nested(EscalationsRead, required=True)
    alerts = fields.Nested(AlertsRead, required=True)
    today = fields.Nested(TodayRead, required=True)
