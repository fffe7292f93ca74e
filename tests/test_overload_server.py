"""Graceful overload in the real gunicorn (gunicorn.conf.py's worker measures each request's
wait for a thread): with the only thread held by a slow upload, a phone sync queued behind
it is answered 503 + Retry-After without being applied, while a health check queued just
the same is served."""
from __future__ import annotations

import http.client
import json
import re
import socket
import time
import uuid

import pytest

from tests.servers import gunicorn


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with gunicorn(tmp_path_factory.mktemp("overload"), WEB_WORKERS=1, WEB_THREADS=1,
                  OVERLOAD_QUEUE_WAIT_MS=200, OVERLOAD_RETRY_AFTER_MIN_S=3,
                  OVERLOAD_RETRY_AFTER_MAX_S=7) as port:
        yield port


def _call(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": "application/json",
                                                   **(headers or {})})
    response = conn.getresponse()
    return response, response.read()


def _raw(port, request: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(request)
    return sock


def _read_reply(sock) -> tuple[int, dict, bytes]:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length: *(\d+)", head)
        if length and len(body) >= int(length.group(1)):
            break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":")
                                                           for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _sync_request(key: str, op: dict) -> bytes:
    body = json.dumps({"protocol": 1, "device_time": "2026-11-29T10:00:00Z", "cursor": None,
                       "ops": [op]}).encode()
    return (b"POST /v1/sync HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nAuthorization: Bearer " + key.encode() +
            b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def test_a_sync_queued_behind_a_busy_thread_is_shed_and_the_health_check_is_not(server):
    response, body = _call(server, "POST", "/v1/devices", {"platform": "android",
                                                            "app_version": "1"})
    assert response.status == 201
    key = json.loads(body)["device_key"]
    op = {"id": str(uuid.uuid4()), "type": "report.create", "at": "2026-11-29T10:00:00Z",
          "data": {"category": "fire", "location": None}}

    registration = json.dumps({"platform": "android", "app_version": "1"}).encode()
    half = len(registration) // 2
    # The only thread reads this upload, which stalls halfway (nginx would buffer it; here it
    # stands for any request that keeps the thread busy).
    slow = _raw(server, b"POST /v1/devices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                        b"Content-Type: application/json\r\nContent-Length: "
                        + str(len(registration)).encode() + b"\r\n\r\n" + registration[:half])
    time.sleep(0.3)
    phone = _raw(server, _sync_request(key, op))
    health = _raw(server, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    time.sleep(0.6)                                  # both queue longer than 200 ms
    started = time.monotonic()
    slow.sendall(registration[half:])

    assert _read_reply(slow)[0] == 201
    status, headers, body = _read_reply(phone)
    assert status == 503, body
    assert 3 <= int(headers["retry-after"]) <= 7 and headers["siaga-sync"] == "1"
    error = json.loads(body)["error"]
    assert error["code"] == "unavailable" and error["details"]["reason"] == "queue_wait"
    assert _read_reply(health)[0] == 200
    assert time.monotonic() - started < 3.0          # answered at once, not served late

    # Nothing was applied: the phone's retry stores the op now.
    response, body = _call(server, "POST", "/v1/sync", {
        "protocol": 1, "device_time": "2026-11-29T10:00:00Z", "cursor": None, "ops": [op]},
        {"Authorization": f"Bearer {key}"})
    assert response.status == 200
    assert json.loads(body)["results"][0]["status"] == "applied"

    _, metrics = _call(server, "GET", "/metrics")
    text = metrics.decode()
    assert re.search(r'siaga_overload_shed_total\{endpoint="/v1/sync",reason="queue_wait"\} '
                     r'1\.0', text), text
    waits = re.search(r"siaga_request_queue_wait_seconds_count (\S+)", text)
    assert waits and float(waits.group(1)) >= 4      # measured for every request
    slow_waits = re.search(r'siaga_request_queue_wait_seconds_bucket\{le="0\.5"\} (\S+)', text)
    assert float(waits.group(1)) - float(slow_waits.group(1)) >= 2   # phone and health
