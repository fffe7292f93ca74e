"""The inbox in a real Chromium: a report taken at a unit's post shows its channel and unit."""
from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.console.test_browser import ARTIFACTS, _phone_sends_sos, _post, page  # noqa: F401
from tests.helpers import now_iso


def _crew_logs_a_walk_in(base) -> str:
    key = _post(base, "/v1/devices", {"platform": "android", "app_version": "1.0",
                                      "kind": "responder"})["device_key"]
    _post(base, "/v1/responder/session", {"username": "dmk-sky-1",
                                          "password": "siaga112-demo"}, key)
    op = {"id": str(uuid.uuid4()), "type": "post.report", "at": now_iso(),
          "data": {"category": "health", "via": "walk_in", "desa_name": "Mekar Jaya",
                   "caller_phone": "+6281377001122", "note": "ibu hamil pendarahan"}}
    reply = _post(base, "/v1/sync", {"protocol": 1, "device_time": now_iso(), "cursor": None,
                                     "ops": [op]}, key)
    return reply["results"][0]["ref"]["report"]


def test_operator_sees_a_post_report_live_with_its_unit(page, live_server, db_backend):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(live_server + "/console/login")
    page.fill("input[name=username]", "operator1")
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    expect(page.locator("#live.on")).to_be_visible(timeout=5000)

    app_ref = _phone_sends_sos(live_server, category="fire", note="rumah terbakar")
    post_ref = _crew_logs_a_walk_in(live_server)
    row = page.locator(f"li[data-ref='{post_ref}']")
    expect(row).to_be_visible(timeout=8000)  # live, without a reload
    expect(row.locator(".channel-post")).to_have_text(
        "Diterima di pos: [DEMO] Damkar Sekayu 1 (datang ke pos)")
    expect(row.locator(".place-said")).to_have_text("Tempat disebut: “Mekar Jaya”")
    expect(row).to_contain_text("+6281377001122")
    app_row = page.locator(f"li[data-ref='{app_ref}']")
    expect(app_row).to_be_visible()
    assert app_row.locator(".channel-post").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-inbox-post-report.png"))
