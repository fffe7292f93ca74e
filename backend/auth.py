"""Request-level authentication helpers (the services behind them take plain arguments)."""
from __future__ import annotations

from flask import g, request

from backend.devices.models import Device
from backend.devices.service import authenticate_device

DEVICE_SECURITY = [{"deviceKey": []}]


def current_device() -> Device:
    """The device whose bearer key authenticates this request (401 otherwise)."""
    if "device" not in g:
        g.device = authenticate_device(request.headers.get("Authorization"))
    return g.device
