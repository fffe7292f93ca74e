"""The evaluation reports page in a real headless Chromium: a supervisor generates November,
downloads its PDF, writes the evaluation and sees it kept after a reload; an operator has no
such page. Screenshot in test-artifacts/."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, page  # noqa: F401
from tests.console.test_browser_admin import _sign_in
from tests.evaluation.month import build_month


def test_supervisor_generates_downloads_and_evaluates_a_month(page, live_server, db_backend,
                                                              staff):
    build_month(staff)
    _sign_in(page, live_server, "supervisor")
    page.click("header >> text=Laporan evaluasi")
    expect(page.locator("#empty")).to_be_visible()
    page.fill("#generate-month input[name=month]", "2026-11")
    page.click("#generate-month button")
    row = page.locator("#evaluations tbody tr[data-period='2026-11']")
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("10 laporan")
    expect(page.locator("#flash")).to_contain_text("Laporan 2026-11 selesai.")

    with page.expect_download() as download:
        row.locator("a.pdf").click()
    assert download.value.suggested_filename == "evaluasi-112-2026-11.pdf"
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"

    row.locator("textarea[name=keep]").fill("Triase cepat di siang hari.")
    row.locator("textarea[name=improve]").fill("Kru DMK-SKY-2 harus menjawab.")
    row.locator("form.evaluation button").click()
    # Saving redraws the PDF with the evaluation in it: seconds, not milliseconds.
    expect(page.locator("#flash")).to_have_text("Tersimpan.", timeout=30_000)
    page.reload()
    row = page.locator("#evaluations tbody tr[data-period='2026-11']")
    expect(row.locator("textarea[name=keep]")).to_have_value("Triase cepat di siang hari.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-evaluations.png"), full_page=True)


def test_an_operator_has_no_evaluation_page(page, live_server, db_backend):
    _sign_in(page, live_server, "operator1")
    expect(page.locator("header >> text=Laporan evaluasi")).to_have_count(0)
    response = page.goto(live_server + "/console/evaluations")
    assert response.status == 403
