"""Security headers on every response: a CSP without inline script, no framing, nosniff, a
same-origin Referer; HSTS only over HTTPS; the session cookie Secure when configured."""
from __future__ import annotations

from tests.helpers import Console


def test_console_pages_carry_a_strict_policy(client, staff):
    Console(client, "operator1")
    page = client.get("/console/")
    assert page.status_code == 200
    csp = dict(part.strip().split(" ", 1) for part in
               page.headers["Content-Security-Policy"].split(";") if part.strip())
    assert csp["script-src"] == "'self'"                 # no inline script, no CDN
    assert csp["frame-ancestors"] == "'none'" and page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in page.get_data(as_text=True)  # only JSON config and modules
    assert "Strict-Transport-Security" not in page.headers   # plain HTTP here


def test_hsts_over_https_and_api_answers_are_covered_too(client):
    secure = client.get("/v1/health", base_url="https://siaga.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert secure.headers["X-Content-Type-Options"] == "nosniff"


def test_the_session_cookie_is_secure_when_configured():
    from backend import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SESSION_COOKIE_SECURE": True,
                      "PUSH_THREAD": False})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
