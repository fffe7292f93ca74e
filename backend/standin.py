"""The shared frame of the local stand-ins for remote services (FCM: push/standin.py; the SMS
gateway phone: backend/sms/gateways/standin.py): a threaded HTTP/1.1 server answering JSON,
its state behind one lock, `POST /_standin/reset`, and a command line. A stand-in defines
reset() (its state), get() and post() (its routes, answering (status, payload[, headers])).
"""
from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOT_FOUND = (404, {"error": "not found"})


class StandIn:
    content_type = "application/json"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.lock = threading.Lock()
        self.reset()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self._reply(*standin.get(self.path))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/_standin/reset":
                    standin.reset()
                    return self._reply(200, {"ok": True})
                self._reply(*standin.post(self.path, body, self.headers))

            def _reply(self, status: int, payload: dict, headers: dict | None = None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", standin.content_type)
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

    # ---- what a stand-in defines ----

    def reset(self) -> None:
        raise NotImplementedError

    def get(self, path: str) -> tuple:
        return NOT_FOUND

    def post(self, path: str, body: bytes, headers) -> tuple:
        return NOT_FOUND

    @classmethod
    def main(cls, description: str, port: int) -> None:
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=port)
        args = parser.parse_args()
        standin = cls(args.host, args.port)
        print(f"{description} on {standin.url}", flush=True)
        standin.server.serve_forever()
