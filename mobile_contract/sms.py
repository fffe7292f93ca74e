"""Compact signed SOS by SMS, format S1 (PROTOCOL.md §13), as a phone app implements it.

Self-contained on purpose (standard library only, no server code): port it as is.

    text = encode_sos(op, device_id, device_key)   # ≤ 85 GSM-7 characters, one SMS
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime

LETTERS = {"fire": "F", "riot": "R", "accident": "A", "natural_disaster": "N",
           "health": "H", "violence_women_children": "V", "public_order": "P", "other": "O"}
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def sms_key(device_key: str) -> bytes:
    """HMAC-SHA256(key = hex SHA-256 of the device key, as ASCII, msg = "siaga112-sms-v1")."""
    hashed = hashlib.sha256(device_key.encode()).hexdigest().encode("ascii")
    return hmac.new(hashed, b"siaga112-sms-v1", hashlib.sha256).digest()


def base36(n: int) -> str:
    sign, n, out = ("-" if n < 0 else ""), abs(n), ""
    while True:
        n, r = divmod(n, 36)
        out = DIGITS[r] + out
        if not n:
            return sign + out


def base32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


POST_FLAGS = {"phone": 2, "walk_in": 4}   # post.report `via`, added to the silent flag


def encode_sos(op: dict, device_id: int, device_key: str) -> str:
    """S1 <device> <op> <cat><flags> <lat> <lon> <acc> <at> <mac> for a report.create op
    (any phone) or a post.report op (a crew phone)."""
    data, location = op["data"], op["data"].get("location")
    if location:
        lat = base36(round(location["lat"] * 100000))
        lon = base36(round(location["lon"] * 100000))
        acc = "_" if location.get("accuracy_m") is None else base36(
            min(999999, round(location["accuracy_m"])))
    else:
        lat = lon = acc = "_"
    at = int(datetime.fromisoformat(op["at"].replace("Z", "+00:00")).timestamp())
    signed = " ".join(["S1", base36(device_id), base32(uuid.UUID(op["id"]).bytes),
                       LETTERS[data["category"]] + str(
                           (1 if data.get("silent") else 0)
                           + (POST_FLAGS[data["via"]] if op["type"] == "post.report" else 0)),
                       lat, lon, acc, base36(at)]) + " "
    mac = hmac.new(sms_key(device_key), signed.encode("ascii"), hashlib.sha256).digest()
    return signed + base32(mac[:10])

# Seconds an SOS may wait in the queue without a successful sync before it also goes by SMS.
SMS_FALLBACK_AFTER_S = 60
