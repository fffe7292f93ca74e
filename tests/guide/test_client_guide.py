"""The reference client keeps the guide for reading offline: the first fetch stores it, the
next ones revalidate with If-None-Match (304, no body), a publish brings the new version, and
offline or behind a captive portal it reads the copy it has (PROTOCOL.md §14)."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mobile_contract.client import SiagaClient
from tests.guide.helpers import edit
from tests.helpers import Console

SMS = "0811-0000-0112"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _portal():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            """Quiet."""

        def do_GET(self):
            body = b"<html>Login to WiFi.id</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_client_caches_the_guide_and_revalidates_it(live_server, app, monkeypatch,
                                                       tmp_path):
    monkeypatch.setitem(app.config, "SMS_NUMBER", SMS)
    phone = SiagaClient(live_server, str(tmp_path / "phone.db"))
    assert phone.cached_guide() is None and phone.sms_number() is None
    first = phone.guide("id")
    assert first["version"] == 0 and first["sections"][0]["title"] == "Kapan menelepon 112"
    assert phone.sms_number() == SMS                    # where §13's SOS SMS goes
    assert phone.guide("id") == first and phone.guide_fetches == [200, 304]
    english = phone.guide("en")
    assert english["lang"] == "en" and phone.guide_fetches[-1] == 200

    admin = Console(app.test_client(), "admin")
    assert admin.client.put("/v1/admin/guide", json=edit(0, sms_example_desa="Lais"),
                            headers={"X-CSRF-Token": admin.csrf}).status_code == 200
    updated = phone.guide("id")
    assert updated["version"] == 1 and updated["sms"]["example"] == "KEBAKARAN di desa Lais"
    assert phone.guide_fetches[-1] == 200

    phone.port = _closed_port()                          # no data at all
    assert phone.guide("id") == updated
    portal = _portal()                                   # a captive portal answers 200
    try:
        phone.port = portal.server_address[1]
        assert phone.guide("id") == updated
    finally:
        portal.shutdown()
    # a new app process on the same storage reads it offline too
    reopened = SiagaClient(f"http://127.0.0.1:{_closed_port()}", str(tmp_path / "phone.db"))
    assert reopened.guide("id") == updated and reopened.guide("en") == english
    assert len(phone.guide_fetches) == 4                 # the offline reads fetched nothing
