"""The public guide and its admin page in a real headless Chromium (Playwright).

/panduan on screen and in print (emulated print media and a real A4 PDF: one page), its QR
code read back from the pixels Chromium drew; an admin edits a section, previews the draft in
a new tab, is stopped by a blank Bahasa field, publishes, and the public page shows the new
version. Screenshots in test-artifacts/.
"""
from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, page  # noqa: F401
from tests.console.test_browser_admin import _shot, _sign_in

SMS = "0811-0000-0112"


def _decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _pdf_pages(pdf: bytes) -> list[bytes]:
    return re.findall(rb"/Type\s*/Page\b(?!s).*?/MediaBox\s*\[([^\]]*)\]", pdf, re.S) or \
        re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)


def test_public_page_on_screen_in_print_and_its_qr_code(page, live_server, app, db_backend,
                                                       monkeypatch):
    monkeypatch.setitem(app.config, "SMS_NUMBER", SMS)
    backend = db_backend[0]
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(live_server + "/panduan")
    expect(page.locator("h1")).to_have_text("Panggilan Darurat 112")
    expect(page.locator("#sms-box")).to_contain_text("KEBAKARAN di desa Kayu Ara")
    expect(page.locator("#categories tbody tr")).to_have_count(8)
    size = float(page.eval_on_selector("body", "b => parseFloat(getComputedStyle(b).fontSize)"))
    assert size >= 18  # large, readable type
    assert page.locator("script").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"{backend}-guide-1-screen.png"), full_page=True)
    qr = page.locator("svg.qr")
    assert _decode(qr.screenshot()) == [live_server + "/panduan"]

    page.emulate_media(media="print")
    expect(page.locator("nav.langs")).to_be_hidden()
    expect(page.locator("#after")).to_be_hidden()        # the poster keeps the essentials
    expect(page.locator("#what_to_say")).to_be_visible()
    expect(page.locator("#sms-box")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"{backend}-guide-2-print.png"), full_page=True)
    assert _decode(page.locator("svg.qr").screenshot()) == [live_server + "/panduan"]
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / f"{backend}-guide-poster.pdf").write_bytes(pdf)
    boxes = _pdf_pages(pdf)
    assert len(boxes) == 1, boxes                          # one A4 sheet
    width, height = [float(x) for x in boxes[0].split()[2:4]]
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2  # A4 in points

    page.emulate_media(media="screen")
    page.click("nav.langs a")
    expect(page).to_have_url(live_server + "/panduan?lang=en")
    expect(page.locator("h1")).to_have_text("Emergency Call 112")
    assert _decode(page.locator("svg.qr").screenshot()) == [live_server + "/panduan?lang=en"]
    page.screenshot(path=str(ARTIFACTS / f"{backend}-guide-3-english.png"), full_page=True)


def test_admin_edits_previews_and_publishes_the_guide(page, live_server, app, db_backend,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "SMS_NUMBER", SMS)
    backend = db_backend[0]
    _sign_in(page, live_server, "admin")
    page.click("header >> text=Administrasi")
    page.click(".subnav >> text=Panduan Publik")
    form = page.locator("#guide-form")
    expect(form.locator("fieldset[data-section=when] input[name='when.title.id']")) \
        .to_have_value("Kapan menelepon {emergency_number}")
    expect(page.locator("#version-info")).to_contain_text("bawaan")
    _shot(page, backend, "guide-1-form")

    form.locator("input[name='after.title.id']").fill("Sesudah Anda melapor")
    form.locator("textarea[name='after.text.id']").fill(
        "- Operator menelepon balik bila perlu.\n- Unit terdekat datang.")
    with page.expect_popup() as opened:
        page.click("button.preview[value=id]")
    preview = opened.value
    expect(preview.locator(".preview-banner")).to_have_text("PRATINJAU — belum diterbitkan")
    expect(preview.locator("#after h2")).to_have_text("Sesudah Anda melapor")
    expect(preview.locator("#after li")).to_have_count(2)
    preview.screenshot(path=str(ARTIFACTS / f"{backend}-admin-guide-2-preview.png"),
                       full_page=True)
    preview.close()

    body = form.locator("textarea[name='misuse.text.id']")
    body.fill("")
    body.evaluate("t => t.removeAttribute('required')")  # let the server's rule answer
    page.click("#publish")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error[data-for='misuse.text.id']")).not_to_be_empty()
    expect(page.locator("#flash")).to_have_class(re.compile("error"))
    _shot(page, backend, "guide-3-refused")

    body.fill("- Jangan iseng menelepon 112.")
    page.click("#publish")
    expect(page.locator("#flash")).to_have_text("Versi 1 diterbitkan.")
    expect(page.locator("#versions tbody tr")).to_have_count(1)
    expect(page.locator("#version-info")).to_contain_text("versi 1")
    _shot(page, backend, "guide-4-published")

    page.goto(live_server + "/panduan")
    expect(page.locator("#after h2")).to_have_text("Sesudah Anda melapor")
    expect(page.locator("footer .version")).to_contain_text("Versi 1")
