"""Strict JSON: standard JSON only (no NaN/Infinity), decoded from UTF-8, errors as ApiError."""
from __future__ import annotations

import json
from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider

from backend.errors import ApiError


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(data: bytes | str) -> Any:
    """Parse a request body; raise ApiError(400, malformed_json) on anything but standard JSON."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(f"Body is not valid JSON: {exc}", code="malformed_json", status=400) from None


class StrictJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def loads(self, s, **kwargs):
        return loads_strict(s)


class StrictRequest(Request):
    def on_json_loading_failed(self, e):
        if isinstance(e, ApiError):
            raise e
        raise ApiError("Body is not valid JSON.", code="malformed_json", status=400)
