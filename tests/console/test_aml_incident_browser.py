"""The AML supplemental rule on the incident page, in a real Chromium: the caller's phone
posts its AML over HTTPS (POST /v1/aml/https) during the call; the operator types the call
in and confirms it; the incident page's map shows the AML's accuracy circle (purple, dashed)
beside the incident's point, with the positioning method — and the report moves only when
the operator presses "Pakai lokasi AML" there."""
from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import urlencode

from playwright.sync_api import expect

from backend.sms.gateways.webhook import signature
from tests.console.test_browser import ARTIFACTS, page  # noqa: F401

SECRET = "browser-aml-secret"


def _aml_https(base, number: str, lat: str, lon: str, accuracy: str, source: str) -> dict:
    body = urlencode({"v": "3", "device_number": number, "location_latitude": lat,
                      "location_longitude": lon, "location_accuracy": accuracy,
                      "location_confidence": "68", "location_source": source,
                      "location_time": str(int(time.time() * 1000))}).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(base + "/v1/aml/https", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Timestamp": stamp,
        "X-Signature": signature(SECRET, body, stamp)})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _report(page, ref):  # noqa: F811
    return page.evaluate("ref => fetch('/v1/operator/reports/' + ref).then(r => r.json())", ref)


def _call_typed_in(page, base, phone: str, note: str) -> str:  # noqa: F811
    """Sign in as an operator, type a voice call at a point, open its report; its ref."""
    page.goto(base + "/console/login")
    page.fill("input[name=username]", "operator1")
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    expect(page.locator("#live.on")).to_be_visible(timeout=5000)
    page.click("#call summary")
    page.fill("#call-form input[name=caller_phone]", phone)
    page.fill("#call-form textarea[name=note]", note)
    page.click("#call-form details.advanced summary")
    page.fill("#call-form input[name=lat]", "-2.88510")
    page.fill("#call-form input[name=lon]", "103.84670")
    page.click("#call-form button[type=submit]")
    row = page.locator("li.report", has_text=note)
    expect(row).to_be_visible(timeout=5000)
    ref = row.get_attribute("data-ref")
    row.click()
    return ref


def test_incident_page_shows_the_aml_circle_and_accepts_it(page, live_server, db_backend,  # noqa: F811
                                                           app, monkeypatch):
    monkeypatch.setitem(app.config, "AML_HTTPS_SECRET", SECRET)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = lambda name: page.screenshot(  # noqa: E731
        path=str(ARTIFACTS / f"{db_backend[0]}-aml-incident-{name}.png"), full_page=True)
    held = _aml_https(live_server, "+6281298765432", "-2.912340", "103.876540", "35", "wifi")
    assert (held["accepted"], held["result"]) == (True, "held")

    # The call, typed in by the operator at the point the caller described.
    ref = _call_typed_in(page, live_server, "081298765432",
                         "kecelakaan motor, lokasi kurang jelas")
    page.click("#confirm")
    page.wait_for_url("**/console/incidents/112-*")

    # The incident page: the incident's point and, distinct from it, the AML circle.
    aml = page.locator(f"#aml-box section.aml[data-ref='{ref}']")
    expect(aml).to_contain_text(ref)
    expect(aml).to_contain_text("Wi-Fi")
    expect(aml).to_contain_text("radius 35 m")
    expect(aml).to_contain_text("Tambahan: lokasi laporan tidak berubah")
    expect(page.locator("#map path.aml-circle")).to_have_count(1)
    expect(page.locator("#map path.aml-centre")).to_have_count(1)
    stroke = page.locator("#map path.aml-circle").get_attribute("stroke-dasharray")
    assert stroke == "6 4"                                  # dashed: supplemental
    before = _report(page, ref)
    assert (before["report"]["lat"], before["report"]["lon"]) == (-2.8851, 103.8467)
    assert before["aml"]["accepted_at"] is None and before["aml"]["transport"] == "https"
    shot("1-supplemental")

    # Only the operator's press applies it — through the report's accept endpoint.
    aml.locator("button.aml-accept").click()
    expect(aml.locator(".aml-accepted")).to_be_visible()
    expect(page.locator("#aml-box button.aml-accept")).to_have_count(0)
    expect(page.locator("#map path.aml-circle")).to_have_count(1)
    after = _report(page, ref)
    assert (after["report"]["lat"], after["report"]["lon"]) == (-2.91234, 103.87654)
    assert after["report"]["location_source"] == "aml" and after["aml"]["accepted_at"]
    page.reload()                                         # and it stays accepted
    expect(page.locator(f"#aml-box section.aml[data-ref='{ref}'] .aml-accepted")).to_be_visible()
    shot("2-accepted")


def test_a_fix_after_the_call_appears_live_in_the_inbox_and_on_the_incident_page(
        page, live_server, db_backend, app, monkeypatch):  # noqa: F811
    """The AML that arrives after the operator has typed the call (the usual order when the
    SMS is slow) is attached to the report and announced on the feed (`report.aml`): the
    open report in the inbox and the incident's page show it without a reload, and a newer
    fix replaces the older one there."""
    monkeypatch.setitem(app.config, "AML_HTTPS_SECRET", SECRET)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = lambda name: page.screenshot(  # noqa: E731
        path=str(ARTIFACTS / f"{db_backend[0]}-aml-live-{name}.png"), full_page=True)
    ref = _call_typed_in(page, live_server, "081277776666", "rumah roboh, penelepon panik")
    expect(page.locator("#detail h3")).to_contain_text(ref)
    expect(page.locator("#detail section.aml")).to_have_count(0)
    page.evaluate("window.stayed = true")                 # gone if the page reloads

    attached = _aml_https(live_server, "+6281277776666", "-2.912340", "103.876540", "35",
                          "wifi")
    assert (attached["accepted"], attached["result"]) == (True, "attached")
    expect(page.locator("#detail section.aml")).to_contain_text("Wi-Fi", timeout=5000)
    expect(page.locator("#detail section.aml")).to_contain_text("radius 35 m")
    expect(page.locator("#map path.aml-circle")).to_have_count(1)
    assert page.evaluate("window.stayed") is True
    shot("1-inbox")

    page.click("#confirm")
    page.wait_for_url("**/console/incidents/112-*")
    section = page.locator(f"#aml-box section.aml[data-ref='{ref}']")
    expect(section).to_contain_text("Wi-Fi")
    page.evaluate("window.stayed = true")
    newer = _aml_https(live_server, "+6281277776666", "-2.913000", "103.877000", "8", "gps")
    assert newer["result"] == "attached"
    expect(section).to_contain_text("GPS", timeout=5000)     # the newest fix with a location
    expect(section).to_contain_text("radius 8 m")
    expect(page.locator("#aml-box section.aml")).to_have_count(1)
    expect(page.locator("#map path.aml-circle")).to_have_count(1)
    assert page.evaluate("window.stayed") is True
    shot("2-incident")
