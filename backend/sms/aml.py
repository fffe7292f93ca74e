"""Advanced Mobile Location (AML): the location a phone sends by itself when it calls 112.

Two transports, one result (AmlLocation):

* SMS (ETSI TS 103 625 / EENA AML v1, as sent by Android ELS and iOS):
  A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=W;si=234159000000000;
  ei=123456789012345;mcc=234;mnc=15;ml=126
  lt/lg decimal degrees, rd radius in metres (confidence `lc` %), top time of positioning
  (yyyyMMddHHmmss, UTC), pm positioning method G GNSS / W Wi-Fi / C cell / N none, si IMSI
  (often only its first 6 digits, the rest zeros), ei IMEI, mcc/mnc the network, ml the
  length of the whole message in characters, header and ml included. pm=N is "no location":
  lt=+00.00000;lg=+000.00000;rd=N;lc=0.
* HTTPS POST (form-encoded key=value, e.g. Android ELS): `location_latitude`,
  `location_longitude`, `location_accuracy` (m), `location_time` (ms since epoch),
  `location_source` (gps, wifi, cell, unknown), `location_confidence`, `device_imei`,
  `device_imsi`, `cell_network_mcc`/`cell_network_mnc`, `device_number`, `v`; the SMS keys
  (lt, lg, rd, top, lc, pm, si, ei, mcc, mnc, with `v` in place of A"ML) are accepted too.
  The caller passes the decoded form as a mapping of str → str.

Strict: anything malformed raises AmlError(code, field) — the endpoint must still answer
2xx (the phone does not retry), count the refusal and keep the raw text for the operator.
Unknown keys are ignored (newer phones add fields).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

HEADER = 'A"ML='
SMS_VERSIONS = {"1"}
HTTPS_VERSIONS = {"1", "2", "3"}
METHODS = {"G": "gnss", "W": "wifi", "C": "cell", "N": "none"}
HTTPS_SOURCES = {"gps": "gnss", "gnss": "gnss", "wifi": "wifi", "cell": "cell",
                 "unknown": "none", "none": "none"}
SMS_REQUIRED = ("lt", "lg", "rd", "top", "lc", "pm", "ml")
MAX_RADIUS_M = 1_000_000.0

AML_CODES = {
    "not_aml": "The text is not an AML message (no A\"ML= header).",
    "unsupported_version": "The AML version is not one this server reads.",
    "malformed": "A part is not key=value.",
    "duplicate_field": "A key appears twice.",
    "missing_field": "A mandatory key is missing or empty.",
    "invalid_format": "A value does not have the format of its key.",
    "out_of_range": "A value is outside its range.",
    "truncated": "The message does not end with its ml field: it was cut.",
    "length_mismatch": "ml is not the length of the message: truncated or altered.",
}

_LAT = re.compile(r"^[+-]?\d{1,2}(\.\d{1,8})?$")
_LON = re.compile(r"^[+-]?\d{1,3}(\.\d{1,8})?$")
_DECIMAL = re.compile(r"^[+-]?\d{1,4}(\.\d{1,8})?$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_INT = re.compile(r"^\d{1,3}$")
_TOP = re.compile(r"^\d{14}$")
_MS = re.compile(r"^\d{10,13}$")
_IMSI = re.compile(r"^\d{6,15}$")
_IMEI = re.compile(r"^\d{14,16}$")
_MCC = re.compile(r"^\d{3}$")
_MNC = re.compile(r"^\d{2,3}$")


class AmlError(ValueError):
    """A refused AML message: a stable `code` (AML_CODES) and the `field` at fault."""

    def __init__(self, code: str, field: str | None = None, message: str | None = None):
        self.code, self.field = code, field
        super().__init__(message or f"{code}" + (f" ({field})" if field else ""))

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self), "details": {"field": self.field}}


@dataclass(frozen=True)
class AmlLocation:
    """A validated AML location. lat/lon/radius None when the phone had no fix (pm=N)."""

    lat: float | None
    lon: float | None
    radius_m: float | None
    positioned_at: datetime | None   # UTC
    confidence: int | None           # % that the caller is inside the radius
    method: str                      # gnss | wifi | cell | none
    imsi: str | None
    imei: str | None
    mcc: str | None
    mnc: str | None
    transport: str                   # sms | https
    version: str
    number: str | None = None        # the caller's number when the transport carries it (HTTPS)

    @property
    def has_location(self) -> bool:
        return self.lat is not None


def is_aml_sms(text: str) -> bool:
    """Whether an inbound SMS is AML (to route it before any plain-text parsing)."""
    return (text or "").lstrip().startswith(HEADER)


# ---------------------------------------------------------------------------- SMS

def parse_aml_sms(text: str) -> AmlLocation:
    """Validate and read an AML SMS; raise AmlError."""
    message = (text or "").strip()  # gateways may add a line break; ml counts the message
    if not message.startswith(HEADER):
        raise AmlError("not_aml", None)
    parts = message.split(";")
    if not parts[-1].startswith("ml="):
        # ml closes the message: without it the SMS was cut (or is not AML at all).
        raise AmlError("truncated", "ml", "the message does not end with ml=<length>")
    fields: dict[str, str] = {}
    for i, part in enumerate(parts):
        key, sep, value = part.partition("=")
        if not sep:
            raise AmlError("malformed", part[:12] or None)
        key = 'A"ML' if i == 0 else key.strip()
        if key in fields:
            raise AmlError("duplicate_field", key)
        fields[key] = value.strip()
    if fields['A"ML'] not in SMS_VERSIONS:
        raise AmlError("unsupported_version", 'A"ML')
    for key in SMS_REQUIRED:
        if not fields.get(key):
            raise AmlError("missing_field", key)
    if not re.fullmatch(r"\d{1,4}", fields["ml"]):
        raise AmlError("invalid_format", "ml")
    if int(fields["ml"]) != len(message):
        raise AmlError("length_mismatch", "ml",
                       f"ml={fields['ml']} but the message has {len(message)} characters")
    method = _method(fields["pm"], METHODS, "pm")
    lat, lon, radius, confidence = _position(
        method, fields["lt"], fields["lg"], fields["rd"], fields["lc"],
        names=("lt", "lg", "rd", "lc"))
    return AmlLocation(
        lat=lat, lon=lon, radius_m=radius, positioned_at=_top(fields["top"], "top"),
        confidence=confidence, method=method, imsi=_opt(fields, "si", _IMSI),
        imei=_opt(fields, "ei", _IMEI), mcc=_opt(fields, "mcc", _MCC),
        mnc=_opt(fields, "mnc", _MNC), transport="sms", version=fields['A"ML'])


# ---------------------------------------------------------------------------- HTTPS

# HTTPS key → SMS key, so both spellings go through one validation.
_HTTPS_KEYS = {"location_latitude": "lt", "location_longitude": "lg",
               "location_accuracy": "rd", "location_confidence": "lc",
               "location_source": "pm", "device_imsi": "si", "device_imei": "ei",
               "cell_network_mcc": "mcc", "cell_network_mnc": "mnc"}


def parse_aml_https(form: Mapping[str, object]) -> AmlLocation:
    """Validate and read an AML HTTPS POST (its decoded form); raise AmlError."""
    fields: dict[str, str] = {}
    for key, value in form.items():
        if isinstance(value, (list, tuple)):
            if len(value) != 1:
                raise AmlError("duplicate_field", str(key))
            value = value[0]
        if not isinstance(value, str):
            raise AmlError("invalid_format", str(key))
        short = _HTTPS_KEYS.get(key, key)
        if short in fields:
            raise AmlError("duplicate_field", key)
        fields[short] = value.strip()
    version = fields.get("v")
    if not version:
        raise AmlError("missing_field", "v")
    if version not in HTTPS_VERSIONS:
        raise AmlError("unsupported_version", "v")
    if not fields.get("pm"):
        raise AmlError("missing_field", "location_source")
    pm = fields["pm"]
    method = METHODS.get(pm) if len(pm) == 1 else HTTPS_SOURCES.get(pm.lower())
    if method is None:
        raise AmlError("invalid_format", "location_source")
    if "location_time" in fields:
        if not _MS.match(fields["location_time"]):
            raise AmlError("invalid_format", "location_time")
        positioned = _from_ms(int(fields["location_time"]), "location_time")
    elif fields.get("top"):
        positioned = _top(fields["top"], "top")
    else:
        raise AmlError("missing_field", "location_time")
    if method == "none":
        lat = lon = radius = None
        confidence = _confidence(fields["lc"], "location_confidence") if fields.get("lc") \
            else None
    else:
        for key, name in (("lt", "location_latitude"), ("lg", "location_longitude"),
                          ("rd", "location_accuracy")):
            if not fields.get(key):
                raise AmlError("missing_field", name)
        lat, lon, radius, confidence = _position(
            method, fields["lt"], fields["lg"], fields["rd"], fields.get("lc") or None,
            names=("location_latitude", "location_longitude", "location_accuracy",
                   "location_confidence"), lat_re=_DECIMAL, lon_re=_DECIMAL)
    number = fields.get("device_number") or None
    if number is not None and not re.fullmatch(r"\+?\d{6,15}", number):
        raise AmlError("invalid_format", "device_number")
    return AmlLocation(
        lat=lat, lon=lon, radius_m=radius, positioned_at=positioned, confidence=confidence,
        method=method, imsi=_opt(fields, "si", _IMSI, "device_imsi"),
        imei=_opt(fields, "ei", _IMEI, "device_imei"),
        mcc=_opt(fields, "mcc", _MCC, "cell_network_mcc"),
        mnc=_opt(fields, "mnc", _MNC, "cell_network_mnc"), transport="https",
        version=version, number=number)


# ---------------------------------------------------------------------------- fields

def _method(value: str, table: dict, field: str) -> str:
    if value not in table:
        raise AmlError("invalid_format", field)
    return table[value]


def _position(method, lt, lg, rd, lc, *, names, lat_re=_LAT, lon_re=_LON):
    """(lat, lon, radius_m, confidence); all None but confidence for pm=N."""
    n_lt, n_lg, n_rd, n_lc = names
    confidence = _confidence(lc, n_lc) if lc is not None else None
    if method == "none":
        # "No location": zeros and rd=N are what phones send; anything else is a contradiction.
        if rd not in ("N", "", "0") or _zero(lt) is False or _zero(lg) is False:
            raise AmlError("invalid_format", n_rd if rd not in ("N", "", "0") else n_lt,
                           "pm=N (no location) with a position")
        return None, None, None, confidence
    if not lat_re.match(lt):
        raise AmlError("invalid_format", n_lt)
    if not lon_re.match(lg):
        raise AmlError("invalid_format", n_lg)
    lat, lon = float(lt), float(lg)
    if not -90 <= lat <= 90:
        raise AmlError("out_of_range", n_lt)
    if not -180 <= lon <= 180:
        raise AmlError("out_of_range", n_lg)
    if not _NUMBER.match(rd):
        raise AmlError("invalid_format", n_rd)
    radius = float(rd)
    if not 0 < radius <= MAX_RADIUS_M:
        raise AmlError("out_of_range", n_rd)
    return lat, lon, radius, confidence


def _zero(value: str) -> bool | None:
    if value in ("", None):
        return None
    try:
        return float(value) == 0.0
    except ValueError:
        return False


def _confidence(value: str, field: str) -> int:
    if not _INT.match(value):
        raise AmlError("invalid_format", field)
    if not 0 <= int(value) <= 100:
        raise AmlError("out_of_range", field)
    return int(value)


def _top(value: str, field: str) -> datetime:
    if not _TOP.match(value):
        raise AmlError("invalid_format", field)
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        raise AmlError("out_of_range", field) from None


def _from_ms(ms: int, field: str) -> datetime:
    try:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise AmlError("out_of_range", field) from None


def _opt(fields: dict, key: str, pattern: re.Pattern, name: str | None = None) -> str | None:
    value = fields.get(key)
    if not value:
        return None
    if not pattern.match(value):
        raise AmlError("invalid_format", name or key)
    return value
