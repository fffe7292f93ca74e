"""A local stand-in for Firebase Cloud Messaging's HTTP endpoints, for laptops and tests.

It speaks what the real firebase-admin SDK speaks: the OAuth 2 token endpoint
(`POST /token`, JWT-bearer grant) and FCM HTTP v1 (`POST /v1/projects/{id}/messages:send`)
with the real success and error JSON. Faults can be injected (unregistered or invalid
tokens, 429 with Retry-After, 500/503, latency), and everything accepted is recorded.

    python -m push.standin --port 8113      # what `./dev run` starts
    GET  /_standin/messages                 # what arrived
    POST /_standin/faults {"unregistered": ["tok"], "script": [{"status": 429, "retry_after": 2}],
                           "latency_ms": 50}
    POST /_standin/reset
"""
from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs

from backend.standin import NOT_FOUND, StandIn

SEND_PATH = re.compile(r"^/v1/projects/([^/]+)/messages:send$")
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
# HTTP status and google.rpc status of each FCM error code (FCM HTTP v1 reference).
ERRORS = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT",
                         "The registration token is not a valid FCM registration token"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Quota exceeded for sending messages."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "Auth error from APNS or Web Push."),
}
STATUS_TO_CODE = {429: "QUOTA_EXCEEDED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def error_body(code: str) -> tuple[int, dict]:
    status, rpc_status, message = ERRORS[code]
    return status, {"error": {"code": status, "message": message, "status": rpc_status,
                              "details": [{"@type": FCM_ERROR_TYPE, "errorCode": code}]}}


class FcmStandIn(StandIn):
    """The stand-in server; start() runs it on a thread and returns its base URL."""

    content_type = "application/json; charset=UTF-8"

    def get(self, path: str) -> tuple:
        if path == "/_standin/messages":
            with self.lock:
                return 200, {"messages": list(self.messages), "attempts": self.attempts}
        return NOT_FOUND

    def post(self, path: str, body: bytes, headers) -> tuple:
        if path == "/token":
            return self.token(body)
        if path == "/_standin/faults":
            self.set_faults(**json.loads(body or b"{}"))
            return 200, {"ok": True}
        match = SEND_PATH.match(path)
        if match:
            if not (headers.get("Authorization") or "").startswith("Bearer standin-"):
                return error_body("THIRD_PARTY_AUTH_ERROR")
            return self.answer(match.group(1), body)
        return NOT_FOUND

    def token(self, body: bytes) -> tuple:
        form = parse_qs(body.decode())
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] \
                or not form.get("assertion"):
            return 400, {"error": "invalid_grant"}
        with self.lock:
            self.tokens_issued += 1
            token = f"standin-access-{self.tokens_issued}"
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    # ---- state and faults ----

    def reset(self) -> None:
        with self.lock:
            self.messages: list[dict] = []
            self.attempts = 0
            self.tokens_issued = 0
            self.unregistered: set[str] = set()
            self.mismatched: set[str] = set()
            self.invalid: set[str] = set()
            self.script: list[dict] = []
            self.latency_s = 0.0

    def set_faults(self, unregistered=(), sender_mismatch=(), invalid=(), script=(),
                   latency_ms=None) -> None:
        """Add failing tokens and scripted answers (consumed one per request, in order)."""
        with self.lock:
            self.unregistered.update(unregistered)
            self.mismatched.update(sender_mismatch)
            self.invalid.update(invalid)
            self.script.extend(script)
            if latency_ms is not None:
                self.latency_s = latency_ms / 1000

    def answer(self, project: str, body: bytes) -> tuple[int, dict, dict]:
        arrived = time.time()  # when the request reached us, before the simulated latency
        with self.lock:
            self.attempts += 1
            latency = self.latency_s
            scripted = self.script.pop(0) if self.script else None
        if latency:
            time.sleep(latency)
        if scripted:
            status = scripted["status"]
            _, payload = error_body(STATUS_TO_CODE.get(status, "INTERNAL"))
            payload["error"]["code"] = status
            retry_after = scripted.get("retry_after")
            return status, payload, ({"Retry-After": str(retry_after)} if retry_after else {})
        try:
            message = json.loads(body)["message"]
        except (ValueError, KeyError, TypeError):
            status, payload = error_body("INVALID_ARGUMENT")
            return status, payload, {}
        token = message.get("token") or message.get("fid")
        targets = [k for k in ("token", "fid", "topic", "condition") if message.get(k)]
        if len(targets) != 1 or (token is not None and not isinstance(token, str)):
            status, payload = error_body("INVALID_ARGUMENT")
            return status, payload, {}
        with self.lock:
            for tokens, code in ((self.unregistered, "UNREGISTERED"),
                                 (self.mismatched, "SENDER_ID_MISMATCH"),
                                 (self.invalid, "INVALID_ARGUMENT")):
                if token in tokens:
                    status, payload = error_body(code)
                    return status, payload, {}
            name = f"projects/{project}/messages/{len(self.messages) + 1}"
            self.messages.append({"name": name, "message": message, "received_at": arrived})
        return 200, {"name": name}, {}


if __name__ == "__main__":
    FcmStandIn.main("FCM stand-in", 8113)
