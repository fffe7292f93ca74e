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

import json
import time
import urllib.request
import uuid
from datetime import datetime, timezone

from backend.sms.gateways.webhook import signature
from backend.standin import NOT_FOUND, StandIn


class SmsStandIn(StandIn):
    def get(self, path: str) -> tuple:
        if path == "/_standin/sent":
            with self.lock:
                return 200, {"sent": list(self.sent), "attempts": self.attempts}
        return NOT_FOUND

    def post(self, path: str, raw: bytes, headers) -> tuple:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, {"message": "invalid JSON"}
        if path == "/message":
            return self.accept(body)
        if path == "/_standin/faults":
            with self.lock:
                self.script.extend(body.get("script", []))
            return 200, {"ok": True}
        if path == "/_standin/inject":
            return self.inject(**body)
        return NOT_FOUND

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


if __name__ == "__main__":
    SmsStandIn.main("SMS stand-in", 8114)
