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

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

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


class FcmStandIn:
    """The stand-in server; start() runs it on a thread and returns its base URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.lock = threading.Lock()
        self.reset()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                if self.path == "/_standin/messages":
                    with standin.lock:
                        return self._json(200, {"messages": list(standin.messages),
                                                "attempts": standin.attempts})
                self._json(404, {"error": "not found"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    return self._token(body)
                if self.path == "/_standin/faults":
                    standin.set_faults(**json.loads(body or b"{}"))
                    return self._json(200, {"ok": True})
                if self.path == "/_standin/reset":
                    standin.reset()
                    return self._json(200, {"ok": True})
                match = SEND_PATH.match(self.path)
                if match:
                    return self._send(match.group(1), body)
                self._json(404, {"error": "not found"})

            def _token(self, body):
                form = parse_qs(body.decode())
                if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] \
                        or not form.get("assertion"):
                    return self._json(400, {"error": "invalid_grant"})
                with standin.lock:
                    standin.tokens_issued += 1
                    token = f"standin-access-{standin.tokens_issued}"
                self._json(200, {"access_token": token, "expires_in": 3600,
                                 "token_type": "Bearer"})

            def _send(self, project, body):
                if not (self.headers.get("Authorization") or "").startswith("Bearer standin-"):
                    status, payload = error_body("THIRD_PARTY_AUTH_ERROR")
                    return self._json(status, payload)
                status, payload, headers = standin.answer(project, body)
                self._json(status, payload, headers)

            def _json(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
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


def main():
    parser = argparse.ArgumentParser(description="Local FCM stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8113)
    args = parser.parse_args()
    standin = FcmStandIn(args.host, args.port)
    print(f"FCM stand-in on {standin.url}", flush=True)
    standin.server.serve_forever()


if __name__ == "__main__":
    main()
