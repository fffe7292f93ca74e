"""WSGI-level request guards: bounded gzip decompression before Flask sees the body, and
honest keep-alive when a body is left unread.

A gzip body is inflated at most to MAX_BODY_BYTES (+1 byte to detect overflow), so a
bomb costs the server no more memory than an honest maximal request.
"""
from __future__ import annotations

import io
import threading
import zlib

from backend.errors import error_bytes

# Every response of this server carries this header, errors included, so a phone can tell
# a real reply from a captive portal's or proxy's 200 (name and value are in the contract).
PROTOCOL_HEADER = ("Siaga-Sync", "1")


class BoundedGzip:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if encoding in {"", "identity"}:
            return self.app(environ, start_response)
        if encoding != "gzip":
            return self._fail(start_response, "415 Unsupported Media Type",
                              "unsupported_content_encoding",
                              "Only gzip request bodies are accepted.", {"accepted": ["gzip"]})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_bytes:
            return self._too_large(start_response)
        compressed = environ["wsgi.input"].read(min(length, self.max_bytes + 1) if length
                                                else self.max_bytes + 1)
        if len(compressed) > self.max_bytes:
            return self._too_large(start_response)
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(compressed, self.max_bytes + 1)
        except zlib.error as exc:
            return self._fail(start_response, "400 Bad Request", "malformed_gzip",
                              f"Body is not valid gzip: {exc}")
        if len(body) > self.max_bytes or inflater.unconsumed_tail:
            return self._too_large(start_response)
        if not inflater.eof:
            return self._fail(start_response, "400 Bad Request", "malformed_gzip",
                              "Gzip body is truncated.")
        environ = dict(environ)
        environ.pop("HTTP_CONTENT_ENCODING", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _too_large(self, start_response):
        return self._fail(start_response, "413 Request Entity Too Large", "payload_too_large",
                          f"Body exceeds {self.max_bytes} bytes (after decompression).",
                          {"max_bytes": self.max_bytes})

    @staticmethod
    def _fail(start_response, status, code, message, details=None):
        body = error_bytes(code, message, details)
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(body))), PROTOCOL_HEADER])
        return [body]


# gunicorn drains at most this much of an unread body before it reuses a connection; more,
# and it closes the connection after a reply that announced keep-alive.
SERVER_DRAIN_BYTES = 64 * 1024
_server_request = threading.local()


def remember_server_request(request, queue_wait: float | None = None) -> None:
    """gunicorn pre_request hook (gunicorn.conf.py): lets ConnectionGuard close the
    connection through gunicorn's own request object, in the same worker thread, and
    hands over how long the request waited for that thread (backend/overload.py)."""
    _server_request.current = request
    _server_request.queue_wait = queue_wait


def server_queue_wait(environ) -> float | None:
    """Seconds this request waited in gunicorn's queue for a thread (None when not served
    by gunicorn, or by a worker that does not measure it)."""
    if "gunicorn.socket" not in environ:
        return None
    return getattr(_server_request, "queue_wait", None)


class _CountingInput:
    def __init__(self, stream):
        self.stream, self.read_bytes = stream, 0

    def _count(self, data):
        self.read_bytes += len(data)
        return data

    def read(self, *args):
        return self._count(self.stream.read(*args))

    def readline(self, *args):
        return self._count(self.stream.readline(*args))

    def __iter__(self):
        return (self._count(line) for line in self.stream)


class ConnectionGuard:
    """An answer given without reading the whole body (401 before auth, 413, 415...) says
    `Connection: close` and the server closes; any other answer keeps the connection.

    Without this, gunicorn announces keep-alive, then finds more than it will drain and
    closes anyway, so the client's next request on that connection fails.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        _server_request.current = None if "gunicorn.socket" not in environ else getattr(
            _server_request, "current", None)
        counting = environ["wsgi.input"] = _CountingInput(environ["wsgi.input"])
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0

        def guarded_start_response(status, headers, exc_info=None):
            if declared - counting.read_bytes > SERVER_DRAIN_BYTES:
                headers = [h for h in headers if h[0].lower() != "connection"]
                headers.append(("Connection", "close"))
                server_request = getattr(_server_request, "current", None)
                if server_request is not None:
                    server_request.must_close = True
            return start_response(status, headers, exc_info)

        return self.app(environ, guarded_start_response)
