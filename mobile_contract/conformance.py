"""Conformance kit: replay the field's failure modes against any Siaga112 server.

    python -m mobile_contract.conformance --url http://127.0.0.1:8112

Each scenario registers its own device, so it can run against a shared staging server.
Exit status 0 when every scenario passes. App teams run it against their staging backend
and read mobile_contract/client.py for what their app must do on each answer.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import threading
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mobile_contract.client import HEADER, SiagaClient
from mobile_contract.weaklink import WeakLink


def _op(category="fire", at=None, **data):
    return {"id": str(uuid.uuid4()), "type": "report.create",
            "at": (at or datetime.now(timezone.utc)).isoformat(),
            "data": {"category": category, "location": {"lat": -2.8851, "lon": 103.8467,
                                                        "accuracy_m": 10, "source": "gps"},
                     "note": "conformance", **data}}


class Scenarios:
    def __init__(self, url: str):
        self.url = url
        self.port = urllib.parse.urlsplit(url).port or 80

    def phone(self, **kwargs) -> SiagaClient:
        client = SiagaClient(self.url, sleep=lambda s: None, **kwargs)
        client.register(test=True)  # conformance traffic never looks like an emergency
        return client

    def raw(self, client: SiagaClient, ops, *, device_time=None, gzipped=True):
        body = {"protocol": 1, "cursor": None, "ops": ops,
                "device_time": (device_time or datetime.now(timezone.utc)).isoformat()}
        return client._request("POST", "/v1/sync", body, gzipped=gzipped)

    # ---- scenarios: each returns None on success or raises AssertionError ----

    def duplicate_submission(self):
        phone, op = self.phone(), _op()
        first = json.loads(self.raw(phone, [op])[2])["results"][0]
        again = json.loads(self.raw(phone, [op])[2])["results"][0]
        assert first["status"] == "applied", first
        assert again == {"id": op["id"], "status": "duplicate", "ref": first["ref"]}, again

    def same_id_different_body(self):
        phone, op = self.phone(), _op()
        self.raw(phone, [op])
        changed = dict(op, data=dict(op["data"], category="riot"))
        result = json.loads(self.raw(phone, [changed])[2])["results"][0]
        assert (result["status"], result["code"]) == ("conflict",
                                                      "id_reused_with_different_body"), result

    def out_of_order_delivery(self):
        phone = self.phone()
        older, newer = _op(at=datetime.now(timezone.utc) - timedelta(minutes=30)), _op()
        results = json.loads(self.raw(phone, [newer, older])[2])["results"]
        assert [r["status"] for r in results] == ["applied", "applied"], results
        cancel = {"id": str(uuid.uuid4()), "type": "report.cancel",
                  "at": datetime.now(timezone.utc).isoformat(),
                  "data": {"report": str(uuid.uuid4())}}
        result = json.loads(self.raw(phone, [cancel])[2])["results"][0]
        assert (result["status"], result["code"]) == ("rejected", "report_not_found"), result

    def retry_after_lost_response(self):
        link = WeakLink(self.port, cut_response_after=60).start()
        try:
            phone = self.phone()
            op_id = phone.sos("fire", -2.88, 103.84)
            phone.port = link.port
            assert phone.flush(deadline_s=0.5) is False and phone.queued()
            phone.port = self.port
            assert phone.flush(deadline_s=10)
            assert phone.receipts()[op_id]["status"] == "duplicate", phone.receipts()
        finally:
            link.stop()

    def clock_skew_of_hours(self):
        phone = self.phone()
        behind = datetime.now(timezone.utc) - timedelta(hours=7)
        status, headers, payload = self.raw(phone, [_op(at=behind - timedelta(minutes=5))],
                                            device_time=behind)
        reply = json.loads(payload)
        assert status == 200 and reply["clock"]["flagged"] is True, reply
        assert abs(reply["clock"]["offset_ms"] - 7 * 3600 * 1000) < 60_000, reply["clock"]

    def captive_portal(self):
        class Portal(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b"<html><body>Login hotspot</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        portal = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
        threading.Thread(target=portal.serve_forever, daemon=True).start()
        try:
            phone = self.phone()
            phone.sos("health", -2.88, 103.84)
            phone.port = portal.server_address[1]
            assert phone.flush(deadline_s=0.3) is False and len(phone.queued()) == 1
            phone.port = self.port
            assert phone.flush(deadline_s=10) and not phone.queued()
        finally:
            portal.shutdown()

    def crew_ops_refused_from_citizen_phones(self):
        phone = self.phone()
        post = {"id": str(uuid.uuid4()), "type": "post.report",
                "at": datetime.now(timezone.utc).isoformat(),
                "data": {"category": "fire", "via": "walk_in", "note": "conformance"}}
        result = json.loads(self.raw(phone, [post])[2])["results"][0]
        assert (result["status"], result["code"]) == ("rejected", "op_not_allowed"), result

    def real_reply_is_marked(self):
        phone = self.phone()
        status, headers, _ = self.raw(phone, [])
        assert status == 200 and {k.lower(): v for k, v in headers.items()}.get(
            HEADER.lower()) == "1", headers

    def partial_batch(self):
        phone = self.phone()
        bad = _op()
        bad["data"]["location"]["lat"] = 123
        results = json.loads(self.raw(phone, [_op(), bad, _op()])[2])["results"]
        assert [r["status"] for r in results] == ["applied", "rejected", "applied"], results
        assert results[1]["code"] == "invalid_location"

    def oversize_batch(self):
        phone = self.phone()
        status, _, payload = self.raw(phone, [_op() for _ in range(101)])
        assert status == 413 and json.loads(payload)["error"]["code"] == "too_many_ops"
        status, _, payload = phone._request("POST", "/v1/sync", {
            "protocol": 1, "device_time": datetime.now(timezone.utc).isoformat(),
            "ops": [_op(note="x" * 1000) for _ in range(100)], "pad": "x" * 300_000})
        assert status == 413 and json.loads(payload)["error"]["code"] == "payload_too_large"

    def gzip_bomb(self):
        phone = self.phone()
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        conn.request("POST", "/v1/sync", body=gzip.compress(b" " * 20_000_000), headers={
            "Authorization": f"Bearer {phone.key}", "Content-Encoding": "gzip",
            "Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 413, response.status
        assert json.loads(response.read())["error"]["code"] == "payload_too_large"

    def all(self):
        return [(name, getattr(self, name)) for name in (
            "real_reply_is_marked", "duplicate_submission", "same_id_different_body",
            "out_of_order_delivery", "retry_after_lost_response", "clock_skew_of_hours",
            "captive_portal", "partial_batch", "oversize_batch", "gzip_bomb",
            "crew_ops_refused_from_citizen_phones")]


def run(url: str) -> list[tuple[str, str | None]]:
    outcomes = []
    for name, scenario in Scenarios(url).all():
        try:
            scenario()
            outcomes.append((name, None))
        except Exception as exc:  # report every scenario, do not stop at the first
            outcomes.append((name, f"{type(exc).__name__}: {exc}"[:300]))
    return outcomes


def main():
    parser = argparse.ArgumentParser(description="Siaga112 sync conformance kit")
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8112")
    outcomes = run(parser.parse_args().url)
    for name, error in outcomes:
        print(f"{'PASS' if error is None else 'FAIL'}  {name}" + (f"  — {error}" if error else ""))
    sys.exit(0 if all(error is None for _, error in outcomes) else 1)


if __name__ == "__main__":
    main()
