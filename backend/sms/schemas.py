"""SMS shapes: the Android gateway app's webhook events, and what operators see and send."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from backend.reports.models import format_ref
from backend.schemas import StrictString
from backend.sms.models import DIRECTIONS, IN_STATUSES, OUT_STATUSES

NUMBER = validate.Regexp(r"^\+?[0-9][0-9 ().-]{2,30}$", error="Not a phone number.")


class ReceivedPayload(Schema):
    """`payload` of an sms:received event (extra keys, e.g. simNumber, are ignored)."""

    class Meta:
        unknown = EXCLUDE

    messageId = fields.String(load_default=None, allow_none=True)
    # Plain fields.String: control characters are cleaned by the service, never refused —
    # a refusal would make the phone retry the same SMS forever.
    message = fields.String(required=True, validate=validate.Length(max=4000))
    phoneNumber = fields.String(required=True, validate=validate.Length(min=1, max=40))
    receivedAt = fields.AwareDateTime(load_default=None, allow_none=True)


class StatusPayload(Schema):
    """`payload` of sms:sent / sms:delivered / sms:failed (for our outgoing SMS)."""

    class Meta:
        unknown = EXCLUDE

    messageId = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(load_default=None, allow_none=True)


class WebhookEvent(Schema):
    """One event of SMS Gateway for Android (capcom6), as its webhook POSTs it."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, max=190),
                       metadata={"description": "The event's id: stable across the app's "
                                                "retries, our dedup key."})
    event = fields.String(required=True, metadata={
        "description": "sms:received is stored; sms:sent / sms:delivered / sms:failed "
                       "settle our outgoing SMS; others (system:ping) are acknowledged."})
    payload = fields.Dict(required=True)

    @validates_schema
    def _payload(self, data, **kwargs):
        kind = {"sms:received": ReceivedPayload, "sms:sent": StatusPayload,
                "sms:delivered": StatusPayload, "sms:failed": StatusPayload}.get(data["event"])
        if kind is not None:
            try:
                data["payload"] = kind().load(data["payload"])
            except ValidationError as exc:
                raise ValidationError({"payload": exc.messages}) from None


class WebhookResult(Schema):
    stored = fields.Boolean(required=True, metadata={
        "description": "false: already stored (a redelivery) or not an SMS event"})
    sms_id = fields.Integer(allow_none=True, required=True)


class SmsRead(Schema):
    id = fields.Integer(required=True)
    direction = fields.String(required=True, metadata={"enum": list(DIRECTIONS)})
    number = fields.String(required=True)
    text = fields.String(required=True)
    status = fields.String(required=True,
                           metadata={"enum": sorted(set(IN_STATUSES + OUT_STATUSES))})
    kind = fields.String(allow_none=True, required=True)
    parse = fields.Dict(allow_none=True, required=True)
    error_code = fields.String(allow_none=True, required=True)
    rate_limited = fields.Boolean(required=True)
    gateway = fields.String(required=True)
    attempts = fields.Integer(required=True)
    received_at = fields.AwareDateTime(allow_none=True, required=True)
    sent_at = fields.AwareDateTime(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)
    report_id = fields.Integer(allow_none=True, required=True)
    report = fields.Function(lambda m: format_ref(m.report_id) if m.report_id else None,
                             allow_none=True, metadata={
                                 "type": "string", "nullable": True,
                                 "description": "The report it made, was attached to, or "
                                                "answers (R-000123)."})


class SmsReplyArgs(Schema):
    text = StrictString(required=True, validate=validate.Length(min=1, max=480), metadata={
        "description": "Sent to the report's number (long texts go as a multipart SMS)."})


class SmsListArgs(Schema):
    direction = StrictString(load_default=None, validate=validate.OneOf(DIRECTIONS))
    status = StrictString(load_default=None,
                          validate=validate.OneOf(sorted(set(IN_STATUSES + OUT_STATUSES))))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class SmsList(Schema):
    messages = fields.List(fields.Nested(SmsRead), required=True)


class BlockArgs(Schema):
    number = StrictString(required=True, validate=NUMBER)
    reason = StrictString(required=True, validate=validate.Length(min=3, max=300))


class UnblockArgs(Schema):
    number = StrictString(required=True, validate=NUMBER)


class BlockedRead(Schema):
    number = fields.String(required=True)
    reason = fields.String(required=True)
    blocked_by = fields.Integer(required=True)
    blocked_at = fields.AwareDateTime(required=True)


class BlockedList(Schema):
    blocked = fields.List(fields.Nested(BlockedRead), required=True)


class AmlRead(Schema):
    """An AML fix: SUPPLEMENTAL to the report's own location until an operator accepts it."""

    id = fields.Integer(required=True)
    lat = fields.Float(allow_none=True, required=True, metadata={
        "description": "null: the phone had no fix (method none)."})
    lon = fields.Float(allow_none=True, required=True)
    radius_m = fields.Float(allow_none=True, required=True, metadata={
        "description": "Accuracy radius (m) at `confidence` %."})
    confidence = fields.Integer(allow_none=True, required=True)
    method = fields.String(required=True, metadata={"enum": ["gnss", "wifi", "cell", "none"]})
    positioned_at = fields.AwareDateTime(allow_none=True, required=True)
    received_at = fields.AwareDateTime(required=True)
    transport = fields.String(required=True, metadata={"enum": ["sms", "https"]})
    accepted_at = fields.AwareDateTime(allow_none=True, required=True, metadata={
        "description": "When an operator applied it to the report's location (null: not)."})
    accepted_by = fields.Integer(allow_none=True, required=True)


class AmlHttpsForm(Schema):
    """The form an AML HTTPS delivery carries (ETSI TS 103 625 / EENA; documentation only:
    the body is validated by backend/sms/aml.py parse_aml_https, and a malformed one is
    stored refused, answered 200). Unknown keys are ignored; the SMS short keys (lt, lg, rd,
    top, lc, pm, si, ei, mcc, mnc) are accepted in place of the long ones."""

    v = fields.String(required=True, metadata={"description": "AML version: 1, 2 or 3."})
    device_number = fields.String(required=True, metadata={
        "description": "The caller's number (MSISDN): what matches the call report."})
    location_latitude = fields.String(metadata={"description": "Decimal degrees (WGS84)."})
    location_longitude = fields.String(metadata={"description": "Decimal degrees (WGS84)."})
    location_accuracy = fields.String(metadata={"description": "Radius in metres."})
    location_confidence = fields.String(metadata={"description": "% inside the radius."})
    location_time = fields.String(required=True, metadata={
        "description": "Time of positioning, milliseconds since the Unix epoch."})
    location_source = fields.String(required=True, metadata={
        "description": "gps | wifi | cell | unknown (no location)."})
    device_imei = fields.String()
    device_imsi = fields.String()
    cell_network_mcc = fields.String()
    cell_network_mnc = fields.String()


class AmlHttpsError(Schema):
    code = fields.String(required=True, metadata={
        "description": "Why the AML was refused (backend/sms/aml.py AML_CODES)."})
    field = fields.String(allow_none=True, required=True)


class AmlHttpsResult(Schema):
    accepted = fields.Boolean(required=True, metadata={
        "description": "false: the AML was malformed (stored refused, counted) or its number "
                       "is blocked; never retried usefully."})
    result = fields.String(required=True, metadata={
        "enum": ["attached", "held", "duplicate", "refused", "blocked", "failed", "spooled"],
        "description": "attached to the caller's call report, held until the operator "
                       "creates it, or a redelivery of an AML already stored; spooled "
                       "(HTTP 202): the database was away, the AML is kept on disk and "
                       "stored with its arrival time when it returns."})
    sms_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The stored inbound message (kind aml, gateway aml_https); null for "
                       "a redelivery."})
    error = fields.Nested(AmlHttpsError, allow_none=True, required=True)
