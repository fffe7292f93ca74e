"""Graceful overload (backend/overload.py): a phone request that waited too long for a thread
or for a database connection is answered 503 + Retry-After (with jitter) at once, with the
error shape and nothing written; requests the phone cannot retry are never shed.

The queue wait is simulated here the way the front door reports it (nginx's
X-Request-Start); tests/test_overload_server.py measures a real one in gunicorn."""
from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

from backend.extensions import db
from backend.metrics.instruments import OVERLOAD_SHED
from backend.overload import SHEDDABLE, SHEDDABLE_PREFIXES, parse_request_start, sheddable
from tests.helpers import Console, create_op, register, row_counts, sync
from tests.sms.test_gateway_webhook import _event, _post, webhook_app  # noqa: F401

SPEC = Path(__file__).resolve().parents[2] / "mobile_contract" / "openapi.json"

RETRY_RANGE = range(2, 11)  # OVERLOAD_RETRY_AFTER_MIN_S … MAX_S, the defaults


@pytest.fixture
def queued(app, monkeypatch):
    """Requests from the returned client arrive as if nginx had forwarded them `seconds` ago
    (the app behind the front door trusts nginx's X-Request-Start)."""
    monkeypatch.setattr(app.extensions["siaga.overload"], "trust_request_start", True)

    def waited(client, seconds: float):
        client.environ_base["HTTP_X_REQUEST_START"] = f"t={time.time() - seconds:.3f}"
        return client
    return waited


def _shed(name: str, reason: str) -> float:
    return OVERLOAD_SHED.labels(name, reason)._value.get()


def _assert_shed(response, reason: str) -> int:
    assert response.status_code == 503, response.get_json()
    assert response.headers["Siaga-Sync"] == "1"          # a real reply: the phone keeps its ops
    retry_after = int(response.headers["Retry-After"])
    assert retry_after in RETRY_RANGE
    assert response.get_json() == {"error": {
        "code": "unavailable",
        "message": "Server busy; your request was not applied. Retry after Retry-After.",
        "details": {"reason": reason, "retry_after_s": retry_after}}}
    return retry_after


def test_a_sync_that_queued_too_long_is_shed_and_writes_nothing(app, client, queued):
    key = register(client)
    op = create_op()
    before, shed_before = row_counts(), _shed("/v1/sync", "queue_wait")
    _assert_shed(sync(queued(client, 2.0), key, [op]), "queue_wait")
    assert row_counts() == before
    assert _shed("/v1/sync", "queue_wait") == shed_before + 1
    # The phone retries the same op when the queue is short again: stored now, once.
    result = sync(queued(client, 0.05), key, [op]).get_json()["results"][0]
    assert result["status"] == "applied"
    assert sync(client, key, [op]).get_json()["results"][0]["status"] == "duplicate"


def test_retry_after_is_spread_over_the_configured_range(client, queued):
    queued(client, 1.0)
    seen = {_assert_shed(client.post("/v1/devices", json={"platform": "android",
                                                          "app_version": "1"}), "queue_wait")
            for _ in range(60)}
    assert len(seen) >= 4  # jitter: phones shed together do not come back together


def test_every_phone_endpoint_that_may_shed_sheds(app, client, queued):
    key = register(client)
    ref = sync(client, key, [create_op()]).get_json()["results"][0]["ref"]["report"]
    queued(client, 3.0)
    auth = {"Authorization": f"Bearer {key}"}
    before = row_counts()
    for method, path in (("POST", "/v1/sync"), ("POST", "/v1/devices"), ("GET", "/v1/devices/me"),
                         ("GET", "/v1/reports"), ("GET", f"/v1/reports/{ref}"),
                         ("GET", "/v1/categories"), ("GET", "/v1/public/guide?lang=id")):
        _assert_shed(client.open(path, method=method, headers=auth, json={} if method == "POST"
                                 else None), "queue_wait")
    assert row_counts() == before


def test_what_a_phone_cannot_retry_is_never_shed(app, client, queued, staff, webhook_app):
    crew_key = register(client, kind="responder")
    queued(client, 5.0)
    # The SMS gateway's delivery: SMS is what phones fall back to when data fails.
    response = _post(client, _event(event_id="ev-overload"))
    assert response.status_code == 200 and response.get_json()["stored"] is True
    assert client.get("/v1/health").status_code == 200
    assert client.get("/metrics").status_code == 200
    operator = Console(client, "operator1")   # the centre works the surge
    assert operator.get("/v1/operator/inbox").status_code == 200
    crew = {"Authorization": f"Bearer {crew_key}"}    # a crew's job alerts and acks
    assert client.post("/v1/responder/session", headers=crew, json={
        "username": "amb-sky-1", "password": "siaga112-demo"}).status_code == 200
    assert client.get("/v1/responder/dispatches", headers=crew).status_code == 200


def test_a_short_wait_is_served(client, queued):
    key = register(queued(client, 0.2))     # under OVERLOAD_QUEUE_WAIT_MS (500)
    assert sync(client, key, [create_op()]).status_code == 200


def test_request_start_is_trusted_only_behind_the_proxy_and_when_plausible(app, client,
                                                                          monkeypatch):
    stale = {"X-Request-Start": f"t={time.time() - 5:.3f}"}
    body = {"platform": "android", "app_version": "1"}
    # Without TRUSTED_PROXIES the header is the client's own: ignored.
    assert client.post("/v1/devices", json=body, headers=stale).status_code == 201
    monkeypatch.setattr(app.extensions["siaga.overload"], "trust_request_start", True)
    assert client.post("/v1/devices", json=body, headers=stale).status_code == 503
    for value in (f"t={time.time() + 30:.3f}",    # from the future: clock trouble
                  f"t={time.time() - 3600:.3f}",  # an hour: clock trouble, not a queue
                  "t=yesterday", ""):
        client.environ_base["HTTP_X_REQUEST_START"] = value
        assert client.post("/v1/devices", json=body).status_code == 201, value


def test_request_start_formats():
    now = 1_795_936_542.5
    assert parse_request_start("t=1795936542.0", now) == pytest.approx(0.5)
    assert parse_request_start("1795936542000", now) == pytest.approx(0.5)       # ms
    assert parse_request_start("t=1795936542000000", now) == pytest.approx(0.5)  # µs
    assert parse_request_start(None, now) is None
    assert parse_request_start("t=1795936600", now) is None


def test_the_sheddable_list_names_real_phone_routes_only(app):
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules()
              for method in rule.methods}
    for (method, path), label in SHEDDABLE.items():
        assert (method, label) in routes and path == label
    for method, prefix, label in SHEDDABLE_PREFIXES:
        assert (method, label) in routes and label.startswith(prefix)
    never = ("/v1/sms", "/v1/operator", "/v1/responder", "/v1/admin", "/console", "/metrics",
             "/v1/health")
    assert not [label for label in [*SHEDDABLE.values(), *(p[2] for p in SHEDDABLE_PREFIXES)]
                if label.startswith(never)]
    assert sheddable("GET", "/v1/reports/R-000001") == "/v1/reports/<ref>"
    assert sheddable("GET", "/v1/reports/R-1/x") is None
    assert sheddable("POST", "/v1/sms/webhook") is None


def _hold_every_connection():
    pool = db.engine.pool
    return [db.engine.connect() for _ in range(pool.size() + pool._max_overflow)]


def test_a_phone_request_that_waits_for_a_database_connection_is_shed_quickly(app, client):
    key = register(client)
    op = create_op()
    before, shed_before = row_counts(), _shed("/v1/sync", "pool_wait")
    held = _hold_every_connection()
    try:
        started = time.monotonic()
        response = sync(client, key, [op])
        waited = time.monotonic() - started
    finally:
        for conn in held:
            conn.close()
    _assert_shed(response, "pool_wait")
    assert 0.2 <= waited < 2.0    # OVERLOAD_POOL_WAIT_MS (250), not pool_timeout (30 s)
    assert _shed("/v1/sync", "pool_wait") == shed_before + 1
    assert row_counts() == before
    assert sync(client, key, [op]).get_json()["results"][0]["status"] == "applied"


def test_other_requests_wait_for_a_connection_as_before(app, client, staff):
    operator = Console(client, "operator1")
    held = _hold_every_connection()
    release = threading.Timer(1.0, lambda: [conn.close() for conn in held])
    release.start()
    try:
        started = time.monotonic()
        response = operator.get("/v1/operator/inbox")
        waited = time.monotonic() - started
    finally:
        release.join()
    assert response.status_code == 200 and waited >= 0.9


def test_a_registration_shed_for_want_of_a_connection_uses_up_no_limit(app, client,
                                                                        monkeypatch):
    """Behind a carrier's NAT many phones share an address: a registration the server shed
    itself must not count against that address's limit."""
    monkeypatch.setitem(app.config, "REGISTRATION_LIMIT_PER_ADDRESS", "1/minute")
    body = {"platform": "android", "app_version": "1.0.0", "locale": "id"}
    held = _hold_every_connection()
    try:
        response = client.post("/v1/devices", json=body)
    finally:
        for conn in held:
            conn.close()
    _assert_shed(response, "pool_wait")
    assert client.post("/v1/devices", json=body).status_code == 201
    assert client.post("/v1/devices", json=body).status_code == 429   # the limit still holds


def test_every_sheddable_route_documents_its_503(app):
    """PROTOCOL.md §6 promises 503 + Retry-After on these routes: the spec says so too."""
    with open(SPEC, encoding="utf-8") as f:
        spec = json.load(f)
    for (method, _path), label in [*SHEDDABLE.items(),
                                   *(((m, p), lbl) for m, p, lbl in SHEDDABLE_PREFIXES)]:
        path = re.sub(r"<(\w+)>", r"{\1}", label)
        responses = spec["paths"][path][method.lower()]["responses"]
        assert "503" in responses, (method, path)
