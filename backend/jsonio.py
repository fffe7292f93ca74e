"""Strict JSON: standard JSON only (no NaN/Infinity), decoded from UTF-8, errors as ApiError."""
from __future__ import annotations

import json
from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider

from backend.errors import ApiError


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _loads(data: bytes | str) -> Any:
    """Standard JSON only; ValueError (UnicodeDecodeError is one) on anything else."""
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def loads_strict(data: bytes | str) -> Any:
    """Parse a request body; raise ApiError(400, malformed_json) on anything but standard JSON."""
    try:
        return _loads(data)
    except ValueError as exc:
        raise ApiError(f"Body is not valid JSON: {exc}", code="malformed_json", status=400) from None


class StrictJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def loads(self, s, **kwargs):
        return _loads(s)


class StrictRequest(Request):
    def on_json_loading_failed(self, e):
        if isinstance(e, ApiError):
            raise e
        raise ApiError("Body is not valid JSON.", code="malformed_json", status=400)
