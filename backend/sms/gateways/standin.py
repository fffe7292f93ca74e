"""A local stand-in for the SMS gateway phone, for laptops (`./dev run`) and tests.

It speaks the send API of the Android gateway app (backend/sms/gateways/webhook.py) and
records what it is asked to send; faults can be scripted. Inbound SMS on a laptop come from
`flask sms inject +62812… "KEBAKARAN di desa Kayu Ara"` (the service, as a gateway would) or
from POST /_standin/inject, which delivers a signed `sms:received` webhook to the app like
the real phone does.

    python -m backend.sms.gateways.standin --port 8114     # what `./dev run` starts
    GET  /_standin/sent                                    # what the centre sent
    POST /_standin/faults {"script": [{"status": 503}, {"status": 400}]}
    POST /_standin/inject {"from": "+62812…", "text": "…", "webhook": "http://…/v1/sms/webhook",
                           "secret": "…"}
    POST /_standin/reset
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from backend.sms.gateways.webhook import signature


class SmsStandIn:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.lock = threading.Lock()
        self.reset()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/_standin/sent":
                    with standin.lock:
                        return self._json(200, {"sent": list(standin.sent),
                                                "attempts": standin.attempts})
                self._json(404, {"error": "not found"})

            def do_POST(self):
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length")
                                                          or 0)) or b"{}")
                except ValueError:
                    return self._json(400, {"message": "invalid JSON"})
                if self.path == "/message":
                    status, payload = standin.accept(body)
                    return self._json(status, payload)
                if self.path == "/_standin/faults":
                    with standin.lock:
                        standin.script.extend(body.get("script", []))
                    return self._json(200, {"ok": True})
                if self.path == "/_standin/reset":
                    standin.reset()
                    return self._json(200, {"ok": True})
                if self.path == "/_standin/inject":
                    return self._json(*standin.inject(**body))
                self._json(404, {"error": "not found"})

            def _json(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.sent: list[dict] = []
            self.attempts = 0
            self.script: list[dict] = []

    def accept(self, body: dict) -> tuple[int, dict]:
        """The phone app's send API: 202 and the message's id, or a scripted fault."""
        with self.lock:
            self.attempts += 1
            scripted = self.script.pop(0) if self.script else None
        if scripted:
            return scripted["status"], {"message": scripted.get("message", "scripted fault")}
        text = (body.get("textMessage") or {}).get("text") or body.get("message")
        numbers = body.get("phoneNumbers")
        if not isinstance(text, str) or not isinstance(numbers, list) or not numbers:
            return 400, {"message": "textMessage.text and phoneNumbers are required"}
        with self.lock:
            message_id = str(body.get("id") or uuid.uuid4().hex)
            self.sent.append({"id": message_id, "text": text, "phoneNumbers": numbers,
                              "at": time.time()})
        return 202, {"id": message_id, "state": "Pending",
                     "recipients": [{"phoneNumber": n, "state": "Pending"} for n in numbers]}

    def inject(self, webhook: str, secret: str, text: str, **kw) -> tuple[int, dict]:
        """Deliver an `sms:received` event to `webhook`, signed as the phone app signs."""
        event = {"id": uuid.uuid4().hex[:21], "event": "sms:received", "deviceId": "standin",
                 "webhookId": "standin", "payload": {
                     "messageId": uuid.uuid4().hex[:8], "message": text,
                     "phoneNumber": kw.get("from") or "+6281200000000", "simNumber": 1,
                     "receivedAt": datetime.now(timezone.utc).isoformat()}}
        body, stamp = json.dumps(event).encode(), str(int(time.time()))
        request = urllib.request.Request(webhook, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Timestamp": stamp,
            "X-Signature": signature(secret, body, stamp)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return 200, {"status": response.status, "id": event["id"]}
        except urllib.error.HTTPError as exc:
            return 502, {"status": exc.code, "id": event["id"]}


def main():
    parser = argparse.ArgumentParser(description="Local SMS gateway stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8114)
    args = parser.parse_args()
    standin = SmsStandIn(args.host, args.port)
    print(f"SMS stand-in on {standin.url}", flush=True)
    standin.server.serve_forever()


if __name__ == "__main__":
    main()
