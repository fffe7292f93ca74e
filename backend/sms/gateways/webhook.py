"""Webhook driver: an Android phone running an SMS-gateway app (SMS Gateway for Android,
capcom6/android-sms-gateway, in local-server mode) — the second driver, for a centre without
a modem.

Inbound: the app POSTs each `sms:received` event to /v1/sms/webhook (register it in the app
or with `POST /webhooks {"url": …, "event": "sms:received"}`):

    {"id": "Ey6ECgOkVVFjz3CL48B8C", "event": "sms:received", "deviceId": "…",
     "webhookId": "…", "payload": {"messageId": "…", "message": "KEBAKARAN …",
     "phoneNumber": "+62812…", "simNumber": 1, "receivedAt": "2026-11-29T21:46:11.000+07:00"}}

signed with the app's signing key: X-Timestamp (Unix seconds) and X-Signature = hex
HMAC-SHA256(key, raw body bytes + X-Timestamp). The dedup key is the event `id` (stable
across the app's retries); `payload.messageId` is content-based and NOT unique (two
identical SMS share it), so it is never used as a key. We answer 2xx only after the row is
committed; anything else and the app retries.

Outbound: POST {"id": ref, "textMessage": {"text": …}, "phoneNumbers": [number]} to the
app's send API (SMS_WEBHOOK_SEND_URL, HTTP Basic SMS_WEBHOOK_SEND_AUTH); 202 = accepted.
`ref` is our id (the app keeps a message id given by the client), so the SMS can be traced
end to end.
"""
from __future__ import annotations

import hashlib
import hmac
import time

import requests

from backend.sms.gateways import Gateway, SendResult

TIMEOUT_S = 10


def signature(secret: str, body: bytes, timestamp: str) -> str:
    return hmac.new(secret.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, timestamp: str | None, given: str | None,
                     max_skew_s: int) -> bool:
    """Whether a webhook delivery is the app's: constant-time compare, and a timestamp
    inside the replay window. No secret configured = nothing verifies."""
    if not secret or not timestamp or not given or not timestamp.isdigit():
        return False
    if max_skew_s and abs(time.time() - int(timestamp)) > max_skew_s:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), given.strip().lower())


class WebhookGateway(Gateway):
    def __init__(self, send_url: str, auth: str, *, name: str = "webhook"):
        self.name, self.send_url = name, send_url
        user, _, password = auth.partition(":")
        self.auth = (user, password) if auth else None
        self.session = requests.Session()

    def send(self, number: str, text: str, ref: str) -> SendResult:
        if not self.send_url:
            return SendResult("retry", error="SMS_WEBHOOK_SEND_URL is not set")
        try:
            response = self.session.post(
                self.send_url, auth=self.auth, timeout=TIMEOUT_S,
                json={"id": ref, "textMessage": {"text": text}, "phoneNumbers": [number]})
        except requests.RequestException as exc:
            return SendResult("retry", error=f"{type(exc).__name__}: {exc}"[:300])
        if response.status_code in (200, 201, 202):
            try:
                gid = str(response.json().get("id") or ref)
            except ValueError:
                gid = ref
            return SendResult("sent", gateway_id=gid)
        error = f"HTTP {response.status_code}: {response.text[:200]}"
        if response.status_code in (429, 500, 502, 503, 504):
            retry_after = response.headers.get("Retry-After")
            return SendResult("retry", error=error, retry_after_s=float(retry_after)
                              if retry_after and retry_after.isdigit() else None)
        # 400 (a number the app refuses), 401/403 (wrong credentials): no retry helps; the
        # failure is shown to the operator.
        return SendResult("failed", error=error)
