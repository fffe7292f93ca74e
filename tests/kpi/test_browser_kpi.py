"""Kinerja Layanan and Target Layanan in a real headless Chromium (Playwright) over a month known
by construction: a supervisor reads the figures and charts, grouped and not; an admin sets a
target and the page judges against it. Screenshots in test-artifacts/."""
from __future__ import annotations

import time

from playwright.sync_api import expect

from backend.extensions import db
from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, page  # noqa: F401
from tests.console.test_browser_admin import _sign_in
from tests.kpi.factory import known_month, make_cast
from tests.kpi.test_service import START, regency_id

NOVEMBER = "/console/kpi?start=2026-11-01&until=2026-11-30"


def _shot(page, backend, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{backend}-kpi-{name}.png"), full_page=True)


def _charts_drawn(page, ids):
    """Each chart <img> has loaded an SVG (a picture with a width, not a broken image)."""
    for chart in ids:
        image = page.locator(f"#{chart}")
        expect(image).to_be_visible()
        deadline = time.monotonic() + 10
        while not image.evaluate("img => img.complete && img.naturalWidth > 0"):
            assert time.monotonic() < deadline, f"{chart} not drawn"
            page.wait_for_timeout(100)


def test_supervisor_reads_figures_admin_sets_a_target(page, live_server, db_backend):
    backend = db_backend[0]
    known_month(regency_id(), START, make_cast(regency_id()))
    db.session.commit()

    _sign_in(page, live_server, "supervisor")
    page.click("header >> text=Kinerja Layanan")
    page.goto(live_server + NOVEMBER)
    triage = page.locator("#kpi-table tr[data-measure=triage]")
    expect(triage.locator("td.count")).to_have_text("100")
    expect(triage.locator("td.p50")).to_have_text("1 min 40 s")       # 100 s
    expect(triage.locator("td.p90")).to_have_text("3 min 00 s")       # 180 s
    expect(triage.locator("td.target")).to_have_text("90 % ≤ 60 s")
    expect(triage.locator("td.compliance")).to_have_text("30 %")
    expect(triage.locator("td.compliance")).to_have_class("num compliance missed")
    expect(page.locator("#kpi-table tr[data-measure=offline_delay] td.target")) \
        .to_have_text("tanpa target")
    expect(page.locator("#kpi-counts")).to_contain_text("Laporan")
    expect(page.locator("#kpi-counts")).to_contain_text("Telepon")
    assert "format=csv" in page.locator("#export-csv").get_attribute("href")
    _charts_drawn(page, ["chart-series", "chart-histogram"])
    expect(page.locator("#chart-bars")).to_be_hidden()
    _shot(page, backend, "1-summary")

    page.select_option("select[name=group_by]", "category")
    page.select_option("select[name=measure]", "acknowledgement")
    page.click("#kpi-form button[type=submit]")
    fire = page.locator("#kpi-table tr[data-group=fire][data-measure=acknowledgement]")
    expect(fire.locator("td.target")).to_have_text("90 % ≤ 80 s")
    expect(fire.locator("td.count")).to_have_text("12")
    expect(page.locator("#kpi-table tr[data-group=fire]").first).to_contain_text("Kebakaran")
    _charts_drawn(page, ["chart-series", "chart-histogram", "chart-bars"])
    assert "group_by=category" in page.url
    _shot(page, backend, "2-by-category")

    admin = page.context.browser.new_context(viewport={"width": 1366, "height": 900},
                                             locale="id-ID").new_page()
    _sign_in(admin, live_server, "admin")
    admin.click("header >> text=Administrasi")
    admin.click(".subnav >> text=Target Layanan")
    answer = admin.locator("#targets tr[data-measure=answer][data-category='*']")
    expect(answer.locator("td.source")).to_have_text("bawaan: NENA call answering")
    admin.locator("#targets tr[data-measure=triage][data-category='*'] button.edit").click()
    form = admin.locator("#target-form")
    form.locator("input[name=seconds]").fill("100")
    form.locator("input[name=percent]").fill("50")
    form.locator("button[type=submit]").click()
    triage_target = admin.locator("#targets tr[data-measure=triage][data-category='*']")
    expect(triage_target.locator("td.source")).to_have_text("ditetapkan kabupaten")
    expect(triage_target.locator("td.seconds")).to_have_text("100")
    expect(triage_target.locator("td.default")).to_contain_text("60 s")
    _shot(admin, backend, "3-targets")

    page.goto(live_server + NOVEMBER)
    expect(triage.locator("td.target")).to_have_text("50 % ≤ 100 s")
    expect(triage.locator("td.compliance")).to_have_text("50 %")
    expect(triage.locator("td.compliance")).to_have_class("num compliance met")
    _shot(page, backend, "4-after-target")

    triage_target.locator("button.remove").click()
    expect(triage_target.locator("td.source")).to_have_text("bawaan: Siaga112 default")
    admin.context.close()
