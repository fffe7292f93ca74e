"""The service as it is deployed: the project's gunicorn settings, over real sockets.

Keep-alive must be honest: an answer given without reading the body says `Connection: close`
and the server closes; every other answer keeps the connection, and the next request on it
works (a phone on EDGE pays dearly for each new connection).
"""
from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from tests.servers import gunicorn


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn with the project's settings; feeds capped per process only."""
    with gunicorn(tmp_path_factory.mktemp("server"), FEED_MAX_PER_USER="50") as port:
        yield port


def _send(conn, method, path, body=b"", headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response, response.read()


def test_an_unread_large_body_closes_the_connection_and_says_so(server):
    for status_wanted, path, size in ((401, "/v1/sync", 200 * 1024),      # key checked first
                                      (413, "/v1/devices", 300 * 1024)):  # over the limit
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
        response, _ = _send(conn, "POST", path, b"x" * size,
                            {"Content-Type": "application/json",
                             "Authorization": "Bearer not-a-key"})
        assert response.status == status_wanted
        assert response.getheader("Connection") == "close"
        assert response.getheader("Siaga-Sync") == "1"
        # http.client honours the announcement and opens a new connection by itself.
        again, body = _send(conn, "GET", "/v1/health")
        assert again.status == 200, body


def test_a_small_refused_body_keeps_the_connection_and_it_still_works(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    for _ in range(5):
        response, _ = _send(conn, "POST", "/v1/sync", b'{"protocol": 1}',
                            {"Content-Type": "application/json",
                             "Authorization": "Bearer not-a-key"})
        assert response.status == 401 and response.getheader("Connection") == "keep-alive"
        first_socket = conn.sock
        again, _ = _send(conn, "GET", "/v1/health")
        assert again.status == 200 and conn.sock is first_socket   # the same connection


def test_a_phone_registers_and_syncs_over_one_kept_alive_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    response, body = _send(conn, "POST", "/v1/devices",
                           json.dumps({"platform": "android", "app_version": "1"}).encode(),
                           {"Content-Type": "application/json"})
    assert response.status == 201
    key, first_socket = json.loads(body)["device_key"], conn.sock
    wrong_type, _ = _send(conn, "POST", "/v1/sync", b'{"protocol": 1}',
                          {"Content-Type": "text/plain", "Authorization": f"Bearer {key}"})
    assert wrong_type.status == 415                 # PROTOCOL.md: application/json only
    synced, _ = _send(conn, "POST", "/v1/sync",
                      json.dumps({"protocol": 1, "device_time": "2026-11-29T10:00:00Z",
                                  "cursor": None, "ops": []}).encode(),
                      {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    assert synced.status == 200 and conn.sock is first_socket


def _sign_in(port, username="operator1") -> str:
    """Console sign-in over HTTP; returns the Cookie header value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    response, body = _send(conn, "GET", "/v1/operator/session")
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = json.loads(body)["csrf_token"]
    response, body = _send(conn, "POST", "/v1/operator/session",
                           json.dumps({"username": username,
                                       "password": "siaga112-demo"}).encode(),
                           {"Content-Type": "application/json", "X-CSRF-Token": token,
                            "Cookie": cookie})
    assert response.status == 200, body
    return response.getheader("Set-Cookie").split(";", 1)[0]


def test_thirty_open_feeds_leave_phones_their_threads(server):
    """The attack of the security review: 30 live feeds made /v1/health and registrations
    time out. Feeds are capped per process, so phones always find a thread."""
    cookie = _sign_in(server)
    feeds, statuses = [], []
    for _ in range(30):
        sock = socket.create_connection(("127.0.0.1", server), timeout=10)
        sock.sendall(f"GET /v1/operator/feed HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n"
                     f"\r\n".encode())
        statuses.append(sock.recv(64).split(b" ")[1])
        feeds.append(sock)
    try:
        # At most 4 per process × 2 processes (fewer if one process accepted fewer of the
        # connections); the rest refused at once, holding no thread.
        assert 4 <= statuses.count(b"200") <= 8
        assert statuses.count(b"200") + statuses.count(b"429") == 30
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
        for _ in range(10):
            started = time.monotonic()
            health, _ = _send(conn, "GET", "/v1/health")
            registered, _ = _send(conn, "POST", "/v1/devices", json.dumps(
                {"platform": "android", "app_version": "1"}).encode(),
                {"Content-Type": "application/json"})
            assert (health.status, registered.status) == (200, 201)
            assert time.monotonic() - started < 2.0
    finally:
        for sock in feeds:
            sock.close()


def test_metrics_sum_every_gunicorn_worker(tmp_path):
    """Two worker processes, one scrape: the counters of both (prometheus_client's
    multi-process mode, set up by gunicorn.conf.py)."""
    from prometheus_client.parser import text_string_to_metric_families

    def health_count(port) -> float:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        response, body = _send(conn, "GET", "/metrics")
        assert response.status == 200, body
        # Multi-process mode exports the shared counters, not one process's own gc figures.
        assert b"python_gc_objects_collected_total" not in body
        for family in text_string_to_metric_families(body.decode()):
            for sample in family.samples:
                if sample.name == "siaga_http_requests_total" and \
                        sample.labels == {"endpoint": "/v1/health", "method": "GET",
                                          "status": "200"}:
                    return sample.value
        return 0.0

    with gunicorn(tmp_path, WEB_WORKERS="2") as port:
        for _ in range(40):       # a new connection each time: both workers get some
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            response, _ = _send(conn, "GET", "/v1/health", headers={"Connection": "close"})
            assert response.status == 200
            conn.close()
        scrapes = {health_count(port) for _ in range(6)}
        assert scrapes == {40.0}, scrapes   # whichever worker answers, the sum of both
