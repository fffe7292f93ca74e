"""Compact signed SOS by SMS, format S1 (PROTOCOL.md §13): one queued report.create op in
one GSM-7 SMS, for when the phone has no data.

    S1 <device> <op> <cat><flags> <lat> <lon> <acc> <at> <mac>

    device  the device id (from POST /v1/devices), base36
    op      the op id, the UUID's 16 bytes in base32 (RFC 4648, upper case, no padding): 26
    cat     one letter per category (CATEGORY_LETTERS); flags one digit, the sum of
            1 = silent, 2 = a post report taken by phone, 4 = a post report of a walk-in
            (0/1: the op is report.create; 2-5: post.report, responder phones only)
    lat/lon round(degrees × 100000) as signed base36 (1e-5° ≈ 1.1 m); "_" = no fix
    acc     accuracy in whole metres, base36, capped at 999999; "_" = unknown or no fix
    at      capture time (the op's `at`), Unix seconds, base36
    mac     the first 10 bytes of HMAC-SHA256(sms_key, everything before it, the space
            included), base32: 16

All of it is in GSM-7's basic alphabet (A-Z, 0-9, a-z, space, "-" and "_"), so it is one
SMS of at most 160 characters; the longest S1 is 85 (MAX_LENGTH).

The SMS key is derived, never sent: sms_key = HMAC-SHA256(key = the device key's SHA-256
hex digest as ASCII, msg = "siaga112-sms-v1"). The phone computes it from its device key;
the server from devices.key_hash, which it already stores — no new secret, no migration.

Replays need no state here: the op id is inside the signed text, so a replayed SMS is the
same op again and the report pipeline answers it as a duplicate (exactly once by op id).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from backend.categories import CATEGORY_CODES

VERSION = "S1"
KDF_LABEL = b"siaga112-sms-v1"
MAC_BYTES = 10
CATEGORY_LETTERS = {"fire": "F", "riot": "R", "accident": "A", "natural_disaster": "N",
                    "health": "H", "violence_women_children": "V", "public_order": "P",
                    "other": "O"}
LETTER_CATEGORIES = {v: k for k, v in CATEGORY_LETTERS.items()}
# The flags digit's post bits: how the emergency reached the post (post.report `via`).
POST_FLAGS = {"phone": 2, "walk_in": 4}
FLAG_POSTS = {v: k for k, v in POST_FLAGS.items()}
assert set(CATEGORY_LETTERS) == set(CATEGORY_CODES)
MAX_DEVICE_ID = 36 ** 8 - 1
MAX_ACCURACY_M = 999_999
# Capture times before 2020 or after 2100 are not from a working phone clock.
MIN_TIME, MAX_TIME = 1_577_836_800, 4_102_444_800
# S1 + device(8) + op(26) + cat/flags(2) + lat(6) + lon(6) + acc(4) + at(7) + mac(16)
# + 8 spaces.
MAX_LENGTH = 2 + 8 + 26 + 2 + 6 + 6 + 4 + 7 + 16 + 8

COMPACT_CODES = {
    "not_compact": "The text is not a compact SOS (does not start with S and a version).",
    "unsupported_version": "The compact SOS version is not one this server reads.",
    "truncated": "Fields are missing: the SMS was cut.",
    "garbled": "Extra fields, characters outside the format, or a field that does not "
               "decode.",
    "out_of_range": "A field decodes to an impossible value.",
    "unknown_device": "No active device has this id.",
    "op_not_allowed": "This device may not send this op (a post report from a citizen "
                      "phone, or from a responder phone with no crew member of a unit "
                      "signed in).",
    "bad_mac": "The signature does not match: forged or altered.",
}

_FIELD = re.compile(r"^[0-9A-Za-z_-]+$")
_B36 = re.compile(r"^-?[0-9a-z]+$")
_B32 = re.compile(r"^[A-Z2-7]+$")


class CompactError(ValueError):
    """A refused compact SOS: a stable `code` (COMPACT_CODES) and the field at fault."""

    def __init__(self, code: str, field: str | None = None):
        self.code, self.field = code, field
        super().__init__(code + (f" ({field})" if field else ""))


@dataclass(frozen=True)
class CompactSos:
    """A decoded (not yet verified) compact SOS."""

    version: str
    device_id: int
    op_id: uuid.UUID
    category: str
    silent: bool
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    captured_at: datetime
    mac: bytes
    signed: str          # the text the MAC covers
    post_via: str | None = None   # phone | walk_in: the op is post.report (responder phones)

    @property
    def op_type(self) -> str:
        return "post.report" if self.post_via else "report.create"

    def to_op(self) -> dict:
        """The sync op it carries (PROTOCOL.md §2 report.create), for the report pipeline.
        The app's own copy of the op has more (note, fix_time, source): dedup is by op id,
        never by body."""
        # The source does not travel: an SOS's point is the phone's fix; a post report's
        # point is usually one picked on the map (where the emergency is, not the post).
        location = None if self.lat is None else {
            "lat": self.lat, "lon": self.lon, "accuracy_m": self.accuracy_m,
            "source": "manual" if self.post_via else "gps"}
        data = {"category": self.category, "location": location, "note": "",
                "silent": self.silent}
        if self.post_via:
            data.update(via=self.post_via, desa_code=None, desa_name=None, caller_phone=None)
        return {"id": str(self.op_id), "type": self.op_type,
                "at": self.captured_at.isoformat(), "data": data}


# ---------------------------------------------------------------------------- keys

def sms_key_from_key_hash(key_hash: str) -> bytes:
    """The SMS key from what the server stores (devices.key_hash, SHA-256 hex)."""
    return hmac.new(key_hash.encode("ascii"), KDF_LABEL, hashlib.sha256).digest()


def sms_key_from_device_key(device_key: str) -> bytes:
    """The SMS key from the device key (what the phone has)."""
    return sms_key_from_key_hash(hashlib.sha256(device_key.encode()).hexdigest())


# ---------------------------------------------------------------------------- encodings

def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n < 0:
        return "-" + b36(-n)
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _unb36(text: str, field: str) -> int:
    if not _B36.match(text) or len(text) > 8:
        raise CompactError("garbled", field)
    return int(text, 36)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def _unb32(text: str, n: int, field: str) -> bytes:
    if not _B32.match(text) or len(text) != -(-n * 8 // 5):
        raise CompactError("garbled", field)
    try:
        data = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:
        raise CompactError("garbled", field) from None
    if len(data) != n or _b32(data) != text:   # non-canonical trailing bits
        raise CompactError("garbled", field)
    return data


def mac_of(signed: str, key: bytes) -> bytes:
    return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]


# ---------------------------------------------------------------------------- encode

def encode(op: dict, device_id: int, sms_key: bytes) -> str:
    """The S1 text of a queued report.create or post.report op (PROTOCOL.md §2 / §10
    shape) of this device."""
    if op.get("type") not in ("report.create", "post.report"):
        raise ValueError("only report.create and post.report travel by SMS")
    if not 0 < device_id <= MAX_DEVICE_ID:
        raise ValueError("device id out of range")
    data = op["data"]
    at = datetime.fromisoformat(op["at"].replace("Z", "+00:00"))
    loc = data.get("location")
    if loc:
        lat, lon = b36(round(loc["lat"] * 100000)), b36(round(loc["lon"] * 100000))
        acc = "_" if loc.get("accuracy_m") is None else b36(
            min(MAX_ACCURACY_M, round(loc["accuracy_m"])))
    else:
        lat = lon = acc = "_"
    flags = str((1 if data.get("silent") else 0) + (
        POST_FLAGS[data["via"]] if op["type"] == "post.report" else 0))
    signed = " ".join((VERSION, b36(device_id), _b32(uuid.UUID(op["id"]).bytes),
                       CATEGORY_LETTERS[data["category"]] + flags, lat, lon, acc,
                       b36(int(at.timestamp())))) + " "
    return signed + _b32(mac_of(signed, sms_key))


# ---------------------------------------------------------------------------- decode

def is_compact(text: str) -> bool:
    """Whether an inbound SMS claims to be a compact SOS (routes it before plain text)."""
    return bool(re.match(r"^S\d+ ", (text or "").strip()))


def decode(text: str) -> CompactSos:
    """Parse an S1 text (no key needed); raise CompactError. Verify before trusting it."""
    text = (text or "").strip()
    if not is_compact(text):
        raise CompactError("not_compact")
    parts = text.split(" ")
    if parts[0] != VERSION:
        raise CompactError("unsupported_version", "version")
    if len(text) > MAX_LENGTH or len(parts) > 9 or any(not _FIELD.match(p) for p in parts):
        raise CompactError("garbled")
    if len(parts) < 9:
        raise CompactError("truncated", ("device", "op", "category", "lat", "lon",
                                         "accuracy", "at", "mac")[len(parts) - 1])
    _, dev, op, cat, lat, lon, acc, at, mac = parts
    device_id = _unb36(dev, "device")
    if not 0 < device_id <= MAX_DEVICE_ID or dev.startswith(("-", "0")):
        raise CompactError("out_of_range", "device")
    op_id = uuid.UUID(bytes=_unb32(op, 16, "op"))
    if len(cat) != 2 or cat[0] not in LETTER_CATEGORIES or cat[1] not in "012345":
        raise CompactError("garbled", "category")
    flags = int(cat[1])
    if (lat == "_") != (lon == "_") or (lat == "_" and acc != "_"):
        raise CompactError("garbled", "lat")
    latitude = longitude = accuracy = None
    if lat != "_":
        latitude, longitude = _unb36(lat, "lat") / 100000, _unb36(lon, "lon") / 100000
        if not -90 <= latitude <= 90:
            raise CompactError("out_of_range", "lat")
        if not -180 <= longitude <= 180:
            raise CompactError("out_of_range", "lon")
        if acc != "_":
            accuracy = float(_unb36(acc, "accuracy"))
            if not 0 <= accuracy <= MAX_ACCURACY_M:
                raise CompactError("out_of_range", "accuracy")
    seconds = _unb36(at, "at")
    if not MIN_TIME <= seconds <= MAX_TIME:
        raise CompactError("out_of_range", "at")
    return CompactSos(
        version=VERSION, device_id=device_id, op_id=op_id,
        category=LETTER_CATEGORIES[cat[0]], silent=bool(flags & 1), lat=latitude,
        lon=longitude, accuracy_m=accuracy,
        captured_at=datetime.fromtimestamp(seconds, tz=timezone.utc),
        mac=_unb32(mac, MAC_BYTES, "mac"), signed=text[:text.rindex(" ") + 1],
        post_via=FLAG_POSTS.get(flags & 6))


def verify(sos: CompactSos, sms_key: bytes) -> CompactSos:
    """Return the SOS if its MAC is right under this device's key; raise bad_mac otherwise
    (constant-time compare)."""
    if not hmac.compare_digest(mac_of(sos.signed, sms_key), sos.mac):
        raise CompactError("bad_mac", "mac")
    return sos
