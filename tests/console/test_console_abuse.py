"""The console under abuse, in a real headless Chromium (1366×768, id-ID): a flooding phone is
one row after the real reports, and the operator mutes it; a console without a live feed
(all feed slots taken, or a role without the feed) keeps itself current by polling."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.console.test_browser import ARTIFACTS, _phone_sends_sos, _post, page  # noqa: F401
from tests.console.test_console_live import _sign_in
from tests.helpers import create_op, now_iso


def test_a_flood_is_one_row_after_real_reports_and_the_operator_mutes_it(page, live_server,
                                                                          db_backend):
    _sign_in(page, live_server)
    key = _post(live_server, "/v1/devices", {"platform": "android", "app_version": "1",
                                             "phone": "+6281234000111"})["device_key"]
    for _ in range(3):
        _post(live_server, "/v1/sync", {"protocol": 1, "device_time": now_iso(), "cursor": None,
                                        "ops": [create_op(silent=True, note="banjir laporan")
                                                for _ in range(10)]}, key)
    real = _phone_sends_sos(live_server, category="health", note="ibu pingsan di pasar")
    expect(page.locator(f"li[data-ref='{real}']")).to_be_visible(timeout=3000)
    flood = page.locator("#floods li.flood")
    expect(flood).to_have_count(1)
    expect(flood).to_contain_text("20")                      # 30 sent, 10 within the rate
    expect(flood).to_contain_text("+6281234000111")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-flood-row.png"))
    flood.locator("button.mute").click()
    expect(flood).to_contain_text("dibisukan", timeout=3000)
    expect(flood.locator("button.mute")).to_have_text("Batal bisukan")


def test_a_console_without_the_feed_polls(page, live_server, app):
    app.extensions["siaga.feed_slots"].per_process = 0       # every slot is taken
    try:
        page.goto(live_server + "/console/login")
        page.fill("input[name=username]", "operator1")
        page.fill("input[name=password]", "siaga112-demo")
        page.click("button[type=submit]")
        expect(page.locator("#empty")).to_be_visible()
        ref = _phone_sends_sos(live_server, category="fire", note="gudang terbakar")
        expect(page.locator(f"li[data-ref='{ref}']")).to_be_visible(timeout=15000)
        expect(page.locator("#live")).to_have_attribute(
            "title", "Tidak langsung: diperbarui tiap 10 detik")
    finally:
        app.extensions["siaga.feed_slots"].per_process = app.config["FEED_MAX_PER_WORKER"]


def test_no_page_breaks_the_content_security_policy(page, live_server):
    """The CSP forbids inline script: every page must work with its modules only."""
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    _sign_in(page, live_server)
    ref = _phone_sends_sos(live_server, category="fire", note="api di dapur")
    page.locator(f"li[data-ref='{ref}']").click()
    page.click("#confirm")
    page.wait_for_url("**/console/incidents/112-*")
    expect(page.locator("#incident-status")).to_be_visible()
    page.goto(live_server + "/console/units")
    expect(page.locator("table")).to_be_visible()
    assert violations == []
