"""The console at 3 a.m., in a real headless Chromium (1366×768, id-ID): new SOS alerts,
the live incident page, voice-call entry by desa name, the offline map and text-only tooltips.

Screenshots land in test-artifacts/ for people to look at.
"""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from tests.console.test_browser import ARTIFACTS, _phone_sends_sos, page  # noqa: F401

XSS = "<img src=x onerror=window.__xss=1>"


def _call(base, method, path, body=None, key=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def _sign_in(page, base, username="operator1"):
    page.goto(base + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    expect(page.locator("#live.on")).to_be_visible(timeout=5000)


def _shot(page, db_backend, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-{name}.png"))


def test_new_sos_beeps_badges_and_counts_up_its_wait(page, live_server, db_backend):
    _sign_in(page, live_server)
    expect(page).to_have_title(re.compile(r"^Siaga 112"))
    assert page.evaluate("window.siagaAlarm.played") == 0

    ref = _phone_sends_sos(live_server, category="fire", note="asap dari gudang")
    row = page.locator(f"li[data-ref='{ref}']")
    expect(row).to_be_visible(timeout=3000)
    expect(page).to_have_title(re.compile(r"^\(1\) Siaga 112"))
    assert page.evaluate("window.siagaAlarm.played") == 1
    assert page.evaluate("window.siagaAlarm.badge") == 1
    assert page.locator("#favicon").get_attribute("href").startswith("data:image/png")
    clock = row.locator(".waiting .clock")
    first = clock.inner_text()
    expect(clock).not_to_have_text(first, timeout=3000)   # ticks every second
    assert re.fullmatch(r"\d+:\d\d", clock.inner_text())

    # Muted: nothing plays, the badge still counts; a silent SOS goes on top of the list.
    page.click("#sound-toggle")
    expect(page.locator("#sound-toggle")).to_have_attribute("aria-pressed", "true")
    silent = _phone_sends_sos(live_server, category="violence_women_children", silent=True)
    expect(page.locator("#reports li.report").first).to_have_attribute("data-ref", silent)
    expect(page).to_have_title(re.compile(r"^\(2\) Siaga 112"))
    assert page.evaluate("[window.siagaAlarm.requested, window.siagaAlarm.played]") == [2, 1]
    expect(page.locator("#reports li.report").first).to_contain_text("SOS senyap")
    _shot(page, db_backend, "5-inbox-badge-muted")

    page.reload()                                        # the mute choice is remembered
    expect(page.locator("#sound-toggle")).to_have_attribute("aria-pressed", "true")
    page.click("#sound-toggle")
    expect(page.locator("#sound-toggle")).to_have_attribute("aria-pressed", "false")


def test_incident_page_shows_a_responders_acknowledgement_without_reload(
        page, live_server, db_backend):
    _sign_in(page, live_server)
    ref = _phone_sends_sos(live_server, category="fire", note="kebakaran pasar")
    page.locator(f"li[data-ref='{ref}']").click()
    page.click("#confirm")
    page.wait_for_url("**/console/incidents/112-*")
    expect(page.locator("#live.on")).to_be_visible(timeout=5000)
    page.locator("#recommended button.dispatch").first.click()
    dispatch = page.locator("#dispatches li[data-dispatch]").first
    expect(dispatch).to_be_visible()
    expect(page.locator("#incident-status")).to_have_text("unit dikirim")
    dispatch_id = int(dispatch.get_attribute("data-dispatch"))
    call_sign = re.search(r"\(([A-Z0-9-]+)\)", dispatch.inner_text()).group(1)
    page.evaluate("window.__sameDocument = true")

    phone = _call(live_server, "POST", "/v1/devices", {"platform": "android",
                                                       "app_version": "1.0", "kind": "responder"})
    key = phone["device_key"]
    _call(live_server, "POST", "/v1/responder/session",
          {"username": call_sign.lower(), "password": "siaga112-demo"}, key)
    _call(live_server, "POST", f"/v1/responder/dispatches/{dispatch_id}/ack", None, key)

    expect(page.locator(f"#dispatches li[data-dispatch='{dispatch_id}']")).to_contain_text(
        "diterima unit", timeout=3000)
    expect(page.locator("#incident-status")).to_have_text("diterima unit")
    expect(page.locator("#timeline")).to_contain_text("menerima tugas")  # the describer's sentence
    assert page.evaluate("window.__sameDocument") is True   # no reload happened
    _shot(page, db_backend, "6-incident-live-ack")

    # A note is added in place too.
    page.fill("#note-form textarea", "Damkar sudah di jalan")
    page.click("#note-form button")
    expect(page.locator("#timeline")).to_contain_text("Damkar sudah di jalan")
    assert page.evaluate("window.__sameDocument") is True


def test_voice_call_placed_by_typing_a_desa_name(page, live_server, db_backend):
    _sign_in(page, live_server)
    page.click("#call summary")
    page.fill("#call-form input[name=caller_phone]", "081298765432")
    page.locator("#desa-search").press_sequentially("kayuara", delay=30)   # typo: no space
    option = page.locator("#desa-options li", has_text="Kayu Ara").first
    expect(option).to_be_visible(timeout=3000)
    _shot(page, db_backend, "7-call-desa-search")
    option.dispatch_event("mousedown")                # what a click on the suggestion does
    expect(page.locator("#call-place")).to_contain_text("Kayu Ara")
    assert page.locator("#call-form input[name=desa_code]").input_value() == "16.06.01.1009"
    expect(page.locator("#call-form input[name=lat]")).to_be_hidden()  # no coordinates typed
    page.fill("#call-form textarea[name=note]", "orang pingsan di pasar")
    page.click("#call-form button[type=submit]")
    row = page.locator("li.report", has_text="orang pingsan di pasar")
    expect(row).to_contain_text("Kayu Ara")
    expect(row).to_contain_text("081298765432")
    assert page.evaluate("window.siagaAlarm.played") == 0   # our own entry does not alarm

    # The caller's phone is one click from the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    row.locator("button.copy").click()
    expect(row.locator("button.copy")).to_have_text("Tersalin")
    assert page.evaluate("navigator.clipboard.readText()") == "081298765432"

    # Or a click on the map places the call.
    page.click("#map", position={"x": 300, "y": 160})
    expect(page.locator("#call-place")).to_contain_text("Titik peta")
    assert page.locator("#call-form input[name=desa_code]").input_value() == ""
    assert page.locator("#call-form input[name=lat]").input_value() != ""

    # The incident keeps the caller's phone and the desa.
    row.locator("strong").first.click()
    page.click("#confirm")
    page.wait_for_url("**/console/incidents/112-*")
    expect(page.locator("#incident-place")).to_contain_text("Kayu Ara")
    report = page.locator("#reports li").first
    expect(report.locator(".phone")).to_contain_text("081298765432")
    report.locator("button.copy").click()
    expect(report.locator("button.copy")).to_have_text("Tersalin")
    _shot(page, db_backend, "7b-incident-caller-phone")


def test_offline_map_draws_boundaries_with_desa_labels_and_no_tiles(page, live_server,
                                                                   db_backend):
    _sign_in(page, live_server)
    kecamatan = page.locator(".area-label.kecamatan span", has_text="Sekayu")
    expect(kecamatan.first).to_be_attached(timeout=5000)
    assert page.locator(".area-label.desa").count() == 0     # desa names only when zoomed in
    assert page.locator("img.leaflet-tile").count() == 0     # MAP_TILE_URL unset: no tiles
    assert page.locator("#map path.leaflet-interactive").count() > 0
    _shot(page, db_backend, "8-map-kecamatan")
    settled = page.locator("#map .leaflet-map-pane:not(.leaflet-zoom-anim)")
    for _ in range(3):            # Leaflet ignores a zoom click while it is still animating
        expect(settled).to_be_attached()
        page.click("#map .leaflet-control-zoom-in")
        page.wait_for_timeout(300)
    expect(settled).to_be_attached()
    expect(page.locator(".area-label.desa").first).to_be_attached()
    assert page.locator(".area-label.kecamatan").count() == 0
    assert page.locator(".area-label.desa span").count() > 20
    _shot(page, db_backend, "9-map-desa-labels")


def test_names_in_map_tooltips_stay_text(page, live_server, app, db_backend):
    from backend.units.models import Unit
    db.session.execute(sa.update(Unit).where(Unit.call_sign == "DMK-SKY-1").values(name=XSS))
    db.session.commit()
    _sign_in(page, live_server)
    markers = page.locator("#map path.unit-marker")
    expect(markers.first).to_be_attached(timeout=5000)
    tooltip = page.locator(".leaflet-tooltip", has_text=XSS)
    for i in range(markers.count()):                 # hover each unit until ours shows
        markers.nth(i).dispatch_event("mouseover")
        if tooltip.count():
            break
        markers.nth(i).dispatch_event("mouseout")
    expect(tooltip).to_have_count(1)
    assert tooltip.inner_text().startswith(XSS)
    assert page.locator(".leaflet-tooltip img").count() == 0
    _shot(page, db_backend, "10-xss-tooltip")

    # The incident page's unit lists render the name as text too.
    ref = _phone_sends_sos(live_server, category="fire")
    page.locator(f"li[data-ref='{ref}'] strong").first.click()
    page.click("#confirm")
    page.wait_for_url("**/console/incidents/112-*")
    expect(page.locator("#recommended")).to_contain_text(XSS)
    page.locator("#recommended li", has_text=XSS).locator("button.dispatch").click()
    expect(page.locator("#dispatches")).to_contain_text(XSS)
    assert page.locator("main img").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
