"""Registrations are limited per address and overall, before any database work; a refused
phone is told when to retry (and keeps its SOS queued: mobile_contract/client.py)."""
from __future__ import annotations

from tests.helpers import count


def _register(client, address="10.1.2.3"):
    return client.post("/v1/devices", json={"platform": "android", "app_version": "1"},
                       environ_base={"REMOTE_ADDR": address})


def test_one_address_is_limited_and_others_are_not(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_LIMIT_PER_ADDRESS", "5/minute")
    statuses = [_register(client).status_code for _ in range(7)]
    assert statuses == [201] * 5 + [429] * 2
    refused = _register(client)
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert refused.get_json()["error"]["details"] == {"limit": "per_address"}
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert refused.headers["Siaga-Sync"] == "1"
    assert _register(client, "10.9.9.9").status_code == 201       # another address
    assert count("devices") == 6                                  # refusals wrote nothing


def test_the_overall_limit_holds_whatever_the_addresses(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_LIMIT_GLOBAL", "3/minute")
    statuses = [_register(client, f"10.0.0.{i}").status_code for i in range(5)]
    assert statuses == [201] * 3 + [429] * 2


def test_a_limiter_that_is_down_fails_open(app, client, monkeypatch):
    from backend.ratelimit import RequestLimits

    monkeypatch.setitem(app.extensions, "siaga.limits", RequestLimits("redis://127.0.0.1:1/0"))
    monkeypatch.setitem(app.config, "REGISTRATION_LIMIT_PER_ADDRESS", "1/minute")
    assert [_register(client).status_code for _ in range(3)] == [201] * 3
