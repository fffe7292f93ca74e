"""Wire schemas of /v1/sync and the stable codes of per-op results.

Unknown fields are ignored (EXCLUDE), never refused: an SOS from a newer app version must
not be lost because it carries a field this server does not know yet. Known fields are
strict about JSON types.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from backend.categories import CATEGORY_CODES
from backend.reports.models import LOCATION_SOURCES, POST_CONTACTS
from backend.schemas import Id, StrictBoolean, StrictFloat, StrictString, UTCDateTime

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = (1,)

# Per-op result codes. Published: never change their meaning.
OP_CODES = {
    "invalid_op": "The op is not an object with id, type, at and data.",
    "invalid_op_id": "The op id is missing or not a UUID.",
    "unknown_op_type": "This server does not know the op type.",
    "op_not_allowed": "This kind of device may not send this op type.",
    "invalid_category": "The category is not one of /v1/categories.",
    "invalid_location": "The location is out of range or malformed.",
    "invalid_data": "The op's data failed validation (see details).",
    "report_not_found": "The op refers to a report this device did not create.",
    "dispatch_not_found": "The op refers to a dispatch that is not for this responder's unit.",
    "invalid_dispatch": "The op's dispatch field is missing or not an integer.",
    "invalid_transition": "The report's current state does not allow this op.",
    "unknown_desa": "The op names a desa code this regency does not have.",
    "id_reused_with_different_body": "This op id was applied before with a different body.",
}


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class Location(_Lenient):
    lat = StrictFloat(required=True, validate=validate.Range(-90, 90))
    lon = StrictFloat(required=True, validate=validate.Range(-180, 180))
    accuracy_m = StrictFloat(load_default=None, allow_none=True,
                             validate=validate.Range(0, 1_000_000))
    source = StrictString(load_default="gps", validate=validate.OneOf(LOCATION_SOURCES))
    fix_time = UTCDateTime(load_default=None, allow_none=True, metadata={
        "description": "For source=gps: the GNSS time of the fix (Location.getTime()), "
                       "trusted over the phone clock."})


class ReportCreateData(_Lenient):
    category = StrictString(required=True, validate=validate.OneOf(CATEGORY_CODES))
    location = fields.Nested(Location, load_default=None, allow_none=True, metadata={
        "description": "Null when the phone has no fix; the report is still accepted."})
    note = StrictString(load_default="", validate=validate.Length(max=1000))
    silent = StrictBoolean(load_default=False, metadata={
        "description": "Silent SOS: the reporter cannot speak; do not call back aloud."})


class ReportCancelData(_Lenient):
    report = fields.UUID(required=True, metadata={"description": "Id of the report.create op."})
    reason = StrictString(load_default=None, allow_none=True,
                          validate=validate.Length(max=200))


class ReportUpdateNoteData(_Lenient):
    report = fields.UUID(required=True, metadata={"description": "Id of the report.create op."})
    note = StrictString(required=True, validate=validate.Length(max=1000))


class DispatchAckData(_Lenient):
    dispatch = Id(big=True, required=True)


class DispatchDeclineData(_Lenient):
    dispatch = Id(big=True, required=True)
    reason = StrictString(load_default=None, allow_none=True, validate=validate.Length(max=200))


class DispatchStatusData(_Lenient):
    dispatch = Id(big=True, required=True)
    status = StrictString(required=True, validate=validate.OneOf(
        ["en_route", "on_scene", "completed"]))


class ResponderLocationData(_Lenient):
    lat = StrictFloat(required=True, validate=validate.Range(-90, 90))
    lon = StrictFloat(required=True, validate=validate.Range(-180, 180))
    accuracy_m = StrictFloat(load_default=None, allow_none=True,
                             validate=validate.Range(0, 1_000_000))


class PostReportData(_Lenient):
    category = StrictString(required=True, validate=validate.OneOf(CATEGORY_CODES))
    via = StrictString(required=True, validate=validate.OneOf(POST_CONTACTS), metadata={
        "description": "How the emergency reached the post: a phone call to the post "
                       "(`phone`) or someone who came in (`walk_in`)."})
    location = fields.Nested(Location, load_default=None, allow_none=True, metadata={
        "description": "Where the emergency is — not where the post is: GPS only when the "
                       "crew is there, else a point picked on the map (`source: manual`). "
                       "Null when only the desa is known."})
    desa_code = StrictString(load_default=None, allow_none=True,
                             validate=validate.Regexp(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
                             metadata={"description": "The desa (Kemendagri code) from the "
                                                      "app's list; an unknown code is "
                                                      "rejected `unknown_desa`."})
    desa_name = StrictString(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=200), metadata={
                                 "description": "The desa as the caller or visitor named "
                                                "it, typed as heard (typos are fine). The "
                                                "server finds the desa; a name it cannot "
                                                "place (unknown, or several desa) is shown "
                                                "to the operator as typed."})
    note = StrictString(load_default="", validate=validate.Length(max=1000))
    caller_phone = StrictString(load_default=None, allow_none=True,
                                validate=validate.Regexp(r"^\+?[0-9]{3,15}$"), metadata={
                                    "description": "The caller's or visitor's number, for "
                                                   "the centre to call back."})
    silent = StrictBoolean(load_default=False)


class SyncRequest(_Lenient):
    protocol = fields.Integer(strict=True, required=True, metadata={"enum": list(SUPPORTED_PROTOCOLS)})
    device_time = UTCDateTime(required=True, metadata={
        "description": "Phone clock when the request was sent; used to correct op times."})
    cursor = StrictString(load_default=None, allow_none=True, metadata={
        "pattern": r"^c1\.\d{1,19}\.\d{1,19}$",
        "description": "Opaque: null first, then exactly what the last reply said."})
    # Raw on purpose: each op is validated on its own so one bad op cannot fail the request.
    # allow_none: a null element is answered positionally (rejected invalid_op) like any
    # other non-object, never by failing the whole request and sticking the queue.
    ops = fields.List(fields.Raw(allow_none=True,
                                 metadata={"allOf": [{"$ref": "#/components/schemas/Op"}]}),
                      load_default=list, metadata={"maxItems": 100})


class OpResult(Schema):
    id = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, metadata={
        "enum": ["applied", "duplicate", "rejected", "conflict"]})
    ref = fields.Dict(metadata={"description": "e.g. {\"report\": \"R-000123\"}"})
    code = fields.String(metadata={"enum": sorted(OP_CODES)})
    message = fields.String()
    details = fields.Dict()


class ChangeOut(Schema):
    id = fields.Integer(required=True, metadata={"description": "For de-duplication."})
    type = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    data = fields.Dict(required=True)


class ClockOut(Schema):
    offset_ms = fields.Integer(required=True)
    flagged = fields.Boolean(required=True)


class SyncResponse(Schema):
    protocol = fields.Integer(required=True)
    server_time = fields.AwareDateTime(required=True)
    clock = fields.Nested(ClockOut, required=True)
    results = fields.List(fields.Nested(OpResult), required=True)
    changes = fields.List(fields.Nested(ChangeOut), required=True)
    cursor = fields.String(required=True)
    has_more = fields.Boolean(required=True)
