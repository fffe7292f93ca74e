"""The SMS channel in a real Chromium: the SMS page (messages in and out, a reply to a report,
block and unblock), a plain-text SMS report with its desa candidates and reply box, and the
AML supplemental rule — the circle is on the map, the report stays where the operator put it
until "Pakai lokasi AML" is pressed."""
from __future__ import annotations

import json
import time
import urllib.request

from playwright.sync_api import expect

from backend.sms.gateways.webhook import signature
from tests.console.test_browser import ARTIFACTS, page  # noqa: F401
from tests.helpers import now_iso
from tests.sms.helpers import aml_text

SECRET = "browser-webhook-secret"
CALLER = "+6281298765432"


def _sms_arrives(base, number: str, text: str, event_id: str) -> None:
    body = json.dumps({"id": event_id, "event": "sms:received", "payload": {
        "message": text, "phoneNumber": number, "receivedAt": now_iso()}}).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(base + "/v1/sms/webhook", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Timestamp": stamp,
                                              "X-Signature": signature(SECRET, body, stamp)})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["stored"] is True


def _report(page, ref):  # noqa: F811
    return page.evaluate("ref => fetch('/v1/operator/reports/' + ref).then(r => r.json())", ref)


def test_sms_page_text_report_and_the_aml_supplemental_rule(page, live_server, db_backend, app,  # noqa: F811
                                                            monkeypatch):
    monkeypatch.setitem(app.config, "SMS_WEBHOOK_SECRET", SECRET)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-sms-{name}.png"),
                                        full_page=True)
    _sms_arrives(live_server, "6281211112222", "kebakaran di desa mekar jaya", "ev-text")
    _sms_arrives(live_server, CALLER, aml_text(lat="-2.91234", lon="+103.87654"), "ev-aml")

    page.goto(live_server + "/console/login")
    page.fill("input[name=username]", "operator1")
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    expect(page.locator("#live.on")).to_be_visible(timeout=5000)

    # The SMS page: the text (made a report, answered), the AML (held), the reply.
    page.click("nav >> text=SMS")
    rows = page.locator("#sms-rows tr")
    expect(rows).to_have_count(3)
    text_row = page.locator("#sms-rows tr.sms-in", has_text="mekar jaya")
    expect(text_row.locator(".kind")).to_have_text("teks")
    ref = text_row.locator("a.report-link").inner_text()
    expect(page.locator("#sms-rows tr.sms-out", has_text=ref)).to_contain_text("akan menelepon")
    expect(page.locator("#sms-rows tr.sms-in", has_text='A"ML=1').locator(".kind")).to_have_text(
        "AML")

    page.fill("#block-form input[name=number]", "0813 9999 0000")
    page.fill("#block-form input[name=reason]", "iseng setiap malam")
    page.click("#block-form button")
    blocked = page.locator("#blocked-rows tr[data-number='+6281399990000']")
    expect(blocked).to_contain_text("iseng setiap malam")
    page.fill("#sms-reply input[name=ref]", ref)
    page.fill("#sms-reply textarea[name=text]", "Damkar menuju Mekar Jaya. Desa di kecamatan mana?")
    page.click("#sms-reply button")
    expect(page.locator("#sms-reply-result")).to_contain_text("+6281211112222")
    expect(rows).to_have_count(4)
    shot("1-page")
    page.once("dialog", lambda dialog: dialog.accept())
    blocked.locator("button.unblock").click()
    expect(page.locator("#blocked-rows")).to_contain_text("Tidak ada nomor yang diblokir.")

    # The text report: original SMS, the four Mekar Jaya as candidates, the reply thread.
    page.click(f"a.report-link >> text={ref}")
    candidates = page.locator(".report-sms .candidates li")
    expect(candidates).to_have_count(4)
    expect(page.locator(".report-sms .sms-in .sms-text")).to_have_text(
        "kebakaran di desa mekar jaya")
    page.fill("#sms-reply-text", "Mohon sebutkan nama kecamatan.")
    page.click("#sms-reply-send")
    expect(page.locator(".report-sms .sms-out")).to_have_count(3)
    shot("2-text-report")

    # A voice call from the AML's number, placed by the operator on the map (typed point).
    page.goto(live_server + "/console/")
    page.click("#call summary")
    page.fill("#call-form input[name=caller_phone]", "081298765432")
    page.fill("#call-form textarea[name=note]", "sesak napas, alamat kurang jelas")
    page.click("#call-form details.advanced summary")
    page.fill("#call-form input[name=lat]", "-2.88510")
    page.fill("#call-form input[name=lon]", "103.84670")
    page.click("#call-form button[type=submit]")
    call_row = page.locator("li.report", has_text="sesak napas")
    expect(call_row).to_be_visible(timeout=5000)
    call_ref = call_row.get_attribute("data-ref")
    call_row.click()

    aml = page.locator("section.aml")
    expect(aml).to_contain_text("GPS")
    expect(aml).to_contain_text("radius 20 m")
    expect(page.locator("path.aml-circle")).to_have_count(1)
    before = _report(page, call_ref)
    assert (before["report"]["lat"], before["report"]["lon"]) == (-2.8851, 103.8467)
    assert before["aml"]["accepted_at"] is None
    shot("3-aml-supplemental")

    page.click("#aml-accept")
    expect(page.locator("section.aml .aml-accepted")).to_be_visible()
    expect(page.locator("#aml-accept")).to_have_count(0)
    after = _report(page, call_ref)
    assert (after["report"]["lat"], after["report"]["lon"]) == (-2.91234, 103.87654)
    assert after["report"]["location_source"] == "aml" and after["aml"]["accepted_at"]
    shot("4-aml-accepted")
