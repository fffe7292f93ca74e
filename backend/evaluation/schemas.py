"""Evaluation reports as the console and API read them, and what generating one takes."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.schemas import StrictString


class EvaluationGenerate(Schema):
    month = StrictString(validate=validate.Regexp(r"^\d{4}-\d{2}$"), metadata={
        "description": "A calendar month in the regency's time zone, e.g. 2026-11."})
    start = fields.Date(metadata={"description": "First day of a range (inclusive)."})
    end = fields.Date(metadata={"description": "Last day of a range (inclusive)."})

    @validates_schema
    def one_period(self, data, **kwargs):
        if ("month" in data) == ("start" in data or "end" in data):
            raise ValidationError("Give either month, or start and end.", "_schema")
        if "month" not in data and not ("start" in data and "end" in data):
            raise ValidationError("A range needs both start and end.", "_schema")


class EvaluationWrite(Schema):
    keep = StrictString(required=True, validate=validate.Length(max=5000), metadata={
        "description": "What to keep (Yang dipertahankan)."})
    improve = StrictString(required=True, validate=validate.Length(max=5000), metadata={
        "description": "What to improve (Yang diperbaiki)."})


class EvaluationRead(Schema):
    id = fields.Integer(required=True)
    period_kind = fields.String(required=True, metadata={"description": "month or range"})
    period = fields.Function(lambda r: r.figures["period"]["label"], required=True, metadata={
        "description": "2026-11, or 2026-11-01..2026-11-15 for a range."})
    first_date = fields.Function(lambda r: r.figures["period"]["first_date"], required=True)
    last_date = fields.Function(lambda r: r.figures["period"]["last_date"], required=True)
    period_start = fields.AwareDateTime(required=True, metadata={"description": "UTC, inclusive"})
    period_end = fields.AwareDateTime(required=True, metadata={"description": "UTC, exclusive"})
    language = fields.String(required=True)
    generated_at = fields.AwareDateTime(required=True)
    generated_by = fields.Integer(allow_none=True)
    generated_via = fields.String(required=True, metadata={"description": "user, scheduler, cli"})
    pdf_size = fields.Integer(required=True)
    keep = fields.String(attribute="keep_text", allow_none=True)
    improve = fields.String(attribute="improve_text", allow_none=True)
    evaluation_by = fields.Integer(allow_none=True)
    evaluation_at = fields.AwareDateTime(allow_none=True)
    reports = fields.Function(lambda r: r.figures["summary"]["reports"], required=True,
                              metadata={"description": "Reports counted (test traffic never)."})


class EvaluationList(Schema):
    reports = fields.List(fields.Nested(EvaluationRead), required=True)
