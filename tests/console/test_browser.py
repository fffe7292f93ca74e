"""The console in a real headless Chromium (Debian's), driven by Playwright.

A phone syncs an SOS while an operator watches the inbox: the report must appear without a
reload, then the operator confirms it and dispatches the recommended unit.
Screenshots land in test-artifacts/ for people to look at.
"""
from __future__ import annotations

import json
import pathlib
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.helpers import create_op, now_iso

ARTIFACTS = pathlib.Path(__file__).parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture
def page(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="id-ID")
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        browser.close()
        assert errors == [], errors


def _post(base, path, body, key=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {key}"} if key
                                                 else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _phone_sends_sos(base, **data) -> str:
    key = _post(base, "/v1/devices", {"platform": "android", "app_version": "1.0"})["device_key"]
    reply = _post(base, "/v1/sync", {"protocol": 1, "device_time": now_iso(), "cursor": None,
                                     "ops": [create_op(**data)]}, key)
    return reply["results"][0]["ref"]["report"]


def test_operator_sees_a_synced_sos_live_confirms_and_dispatches(page, live_server, db_backend):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-{name}.png"))
    page.goto(live_server + "/console/login")
    expect(page.get_by_role("button", name="Masuk")).to_be_visible()  # Bahasa Indonesia first
    page.fill("input[name=username]", "operator1")
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    expect(page.locator("#empty")).to_be_visible()
    expect(page.locator("#live.on")).to_be_visible(timeout=5000)
    shot("1-inbox-empty")

    ref = _phone_sends_sos(live_server, category="fire", note="rumah terbakar dekat masjid")
    row = page.locator(f"li[data-ref='{ref}']")
    expect(row).to_be_visible(timeout=2000)               # within 2 s, without a reload
    expect(row).to_contain_text("Kebakaran")
    expect(row).to_contain_text("rumah terbakar dekat masjid")
    expect(row).to_contain_text("WIB")
    shot("2-inbox-live-report")

    row.click()
    expect(page.locator("#confirm")).to_be_visible()
    page.click("#confirm")
    page.wait_for_url("**/console/incidents/112-*")
    expect(page.locator("#incident-status")).to_have_text("terbuka")
    first = page.locator("#recommended li").first
    expect(first).to_contain_text("Damkar Sekayu")
    unit_name = first.inner_text().split(" · ")[0]
    shot("3-incident-recommended")

    first.locator("button.dispatch").click()
    expect(page.locator("#incident-status")).to_have_text("unit dikirim")
    expect(page.locator("#dispatches")).to_contain_text(unit_name)
    assert page.locator("a.wa").get_attribute("href").startswith("https://wa.me/?text=")
    shot("4-dispatched")


def test_console_speaks_english_on_request_and_rejects_bad_logins(page, live_server):
    page.goto(live_server + "/console/login")
    page.fill("input[name=username]", "operator1")
    page.fill("input[name=password]", "salah-sekali")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text("Nama pengguna atau kata sandi salah.")
    page.click("a.lang")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    expect(page.locator("section.inbox h2")).to_contain_text("Incoming reports")
    page.click("text=Audit log")
    expect(page.locator("table.audit")).to_contain_text("user.login")


def test_operator_takes_a_unit_off_duty_and_adds_a_note(page, live_server):
    page.goto(live_server + "/console/login")
    page.fill("input[name=username]", "operator2")
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    page.click("header >> text=Unit")
    row = page.locator("tr", has_text="DMK-SKY-1")
    expect(row.locator(".duty")).to_have_text("Siaga")
    row.locator("button.toggle").click()
    expect(page.locator("tr", has_text="DMK-SKY-1").locator(".duty")).to_have_text(
        "Tidak siaga")
    page.goto(live_server + "/console/")
    page.locator("#call-form").evaluate("f => f.closest('details').open = true")
    page.select_option("#call-form select[name=category]", "fire")
    page.fill("#call-form input[name=caller_phone]", "081234567890")
    page.fill("#call-form textarea[name=note]", "gudang terbakar")
    page.click("#call-form details.advanced summary")  # typed coordinates are the fallback
    page.fill("#call-form input[name=lat]", "-2.8851")
    page.fill("#call-form input[name=lon]", "103.8467")
    page.click("#call-form button[type=submit]")
    row = page.locator("li.report", has_text="gudang terbakar")
    expect(row).to_contain_text("081234567890")
    row.click()
    page.click("#confirm")
    page.wait_for_url("**/console/incidents/112-*")
    expect(page.locator("#recommended li").first).to_contain_text("Damkar Sekayu 2")
    expect(page.locator("#recommended")).not_to_contain_text("Damkar Sekayu 1")
    page.fill("#note-form textarea", "Pemilik gudang dihubungi")
    page.click("#note-form button")
    expect(page.locator(".timeline")).to_contain_text("Pemilik gudang dihubungi")
