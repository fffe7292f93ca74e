"""The reference client against the real server, a captive portal, a flaky link and a
weak-signal crowd: nothing lost, nothing twice, queues empty."""
from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlalchemy as sa

from backend.reports.models import Report
from mobile_contract.client import SiagaClient
from mobile_contract.weaklink import WeakLink
from tests.helpers import count, fetch


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


class Stub:
    """A tiny HTTP server answering every request with one canned response."""

    def __init__(self, status: int, body: bytes, headers: dict):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                """Keep test output quiet."""

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.hits += 1
                self.send_response(status)
                for k, v in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.hits = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()


def test_sos_queued_offline_goes_through_once_and_learns_its_fate(live_server):
    phone = SiagaClient(live_server)
    phone.register()
    first = phone.sos("fire", -2.8851, 103.8467, "rumah terbakar")
    second = phone.sos("health", None, None, "tanpa GPS")
    assert len(phone.queued()) == 2
    assert phone.flush(deadline_s=10)
    receipts = phone.receipts()
    assert {receipts[first]["status"], receipts[second]["status"]} == {"applied"}
    assert phone.queued() == [] and count("reports") == 2
    assert phone.flush(deadline_s=10)  # the next sync pulls the "received" statuses
    assert phone.db.execute("SELECT count(*) FROM changes").fetchone()[0] == 2


def test_a_captive_portal_200_is_a_failure_and_the_ops_stay(live_server):
    portal = Stub(200, b"<html>Login to WiFi.id</html>", {"Content-Type": "text/html"})
    try:
        phone = SiagaClient(live_server, sleep=lambda s: None)
        phone.register()
        phone.sos("fire", -2.88, 103.84)
        phone.port = port_of(portal.url)           # the phone joins the portal's Wi-Fi
        assert phone.flush(deadline_s=0.3) is False
        assert portal.hits >= 1 and len(phone.queued()) == 1 and phone.retries >= 1
        phone.port = port_of(live_server)          # real connectivity returns
        assert phone.flush(deadline_s=10) and count("reports") == 1
    finally:
        portal.close()


def test_retry_after_is_honoured(live_server):
    busy = Stub(503, b'{"error": {"code": "unavailable", "message": "busy", "details": {}}}',
                {"Content-Type": "application/json", "Siaga-Sync": "1", "Retry-After": "7"})
    slept = []
    try:
        phone = SiagaClient(live_server, sleep=slept.append)
        phone.register()
        phone.sos("fire", -2.88, 103.84)
        phone.port = port_of(busy.url)
        phone.flush(deadline_s=0.2)
        assert slept and phone.waits and set(phone.waits) == {7.0}  # Retry-After, not backoff
        assert len(phone.queued()) == 1
    finally:
        busy.close()


def test_a_reply_cut_mid_body_is_retried_without_a_duplicate(live_server):
    link = WeakLink(port_of(live_server), cut_response_after=120).start()
    try:
        phone = SiagaClient(live_server, sleep=lambda s: None)
        phone.register()
        op = phone.sos("fire", -2.88, 103.84)
        phone.port = link.port
        assert phone.flush(deadline_s=0.5) is False   # the server applied it; we never heard
        assert count("reports") == 1 and len(phone.queued()) == 1
        phone.port = port_of(live_server)
        assert phone.flush(deadline_s=10)
        assert phone.receipts()[op]["status"] == "duplicate" and count("reports") == 1
    finally:
        link.stop()


def test_too_many_ops_halves_the_batch(live_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_MAX_OPS", 4)
    phone = SiagaClient(live_server, sleep=lambda s: None)
    phone.register()
    for _ in range(10):
        phone.sos("accident", -2.64, 104.15)
    assert phone.flush(deadline_s=10)
    assert phone.batch <= 4 and count("reports") == 10


def test_two_hundred_phones_back_online_through_a_lossy_link(live_server):
    """Each phone queued 1–5 SOS with no signal; all come back at once over a bad link."""
    rng = random.Random(2026)
    link = WeakLink(port_of(live_server), latency_ms=40, bytes_per_s=200_000,
                    drop_probability=0.2, seed=7).start()
    try:
        phones = []
        for i in range(200):
            phone = SiagaClient(live_server, rng=random.Random(i), backoff_base=0.05,
                                backoff_cap=0.5)
            phone.register()
            for _ in range(rng.randint(1, 5)):
                phone.sos(rng.choice(["fire", "health", "accident"]),
                          -2.9 + rng.random(), 103.5 + rng.random())
            phone.port = link.port
            phones.append(phone)
        queued = {op["id"] for p in phones for op in p.queued()}
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=24) as pool:
            done = list(pool.map(lambda p: p.flush(deadline_s=120), phones))
        elapsed = time.monotonic() - started
    finally:
        link.stop()
    stored = [r.client_op_id for r in fetch(sa.select(Report))]
    retries = sum(p.retries for p in phones)
    print(f"\n200 phones, {len(queued)} reports, {link.connections} connections, "
          f"{link.dropped} dropped by the link, {retries} client retries, {elapsed:.1f} s")
    assert all(done) and all(p.queued() == [] for p in phones)
    assert len(stored) == len(set(stored)) == len(queued)   # zero lost, zero duplicates
    assert set(stored) == queued
    assert link.dropped > 0 and retries > 0                  # the link really was lossy


def _revoke_all_devices():
    from backend.devices.models import Device
    from backend.devices.service import revoke_device
    from backend.extensions import db

    for device in db.session.scalars(sa.select(Device)).all():
        revoke_device(device=device, actor=("system", "test"))
    db.session.commit()


def test_a_revoked_key_registers_again_and_keeps_the_queue(live_server):
    """PROTOCOL.md: 401 revoked_device_key → register again; keep your queue."""
    phone = SiagaClient(live_server, sleep=lambda s: None)
    old_key = phone.register(phone="+6281234567890")
    op = phone.sos("fire", -2.88, 103.84, "rumah terbakar")
    _revoke_all_devices()
    assert phone.flush(deadline_s=10)                     # no traceback, no lost op
    assert phone.key != old_key and phone.receipts()[op]["status"] == "applied"
    reports = fetch(sa.select(Report))
    assert len(reports) == 1 and reports[0].caller_phone == "+6281234567890"


def test_a_responder_phone_does_not_register_itself_again(live_server):
    from mobile_contract.client import Fatal

    phone = SiagaClient(live_server, sleep=lambda s: None)
    phone.register(kind="responder")
    phone.queue("responder.location", {"lat": -2.88, "lon": 103.84})
    _revoke_all_devices()
    try:
        phone.flush(deadline_s=1)
    except Fatal as exc:
        assert exc.status == 401 and exc.code == "revoked_device_key"
    else:
        raise AssertionError("a revoked responder phone must surface the 401")
    assert len(phone.queued()) == 1                        # kept for after the sign-in


def test_the_command_line_client_reports_a_refusal_without_a_traceback(live_server, tmp_path):
    import subprocess
    import sys

    store = str(tmp_path / "phone.db")
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "mobile_contract.client", "--url", live_server, "--store", store,
         *args], capture_output=True, text=True, timeout=60)
    assert run("register", "--kind", "responder").returncode == 0
    assert run("sos", "fire", "-2.88", "103.84").returncode == 0
    _revoke_all_devices()
    result = run("sync")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "revoked_device_key" in result.stderr and "queued ops kept" in result.stderr
