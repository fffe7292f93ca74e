"""Papan Pantau in a real headless Chromium: the supervisor's board fills from the API, a new
SOS shows on it live (over the feed), today's figures against target show with compliance
coloured, and the wall screen fits 1920×1080 with no navigation and no scrolling. Screenshots land in test-artifacts/."""
from __future__ import annotations

import re

from playwright.sync_api import expect, sync_playwright

from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _phone_sends_sos


def _browser_page(playwright, width, height):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": width, "height": height}, locale="id-ID")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return browser, page, errors


def _sign_in(page, base, username="supervisor"):
    page.goto(base + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")


def _dispatch_first_unit(page, base, ref):
    """Confirm `ref` and dispatch its first recommended unit, through the page's own session."""
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    number = page.request.post(f"{base}/v1/operator/reports/{ref}/confirm", data="{}",
                               headers=headers).json()["number"]
    unit = page.request.get(f"{base}/v1/operator/incidents/{number}").json()["recommendations"][0]
    page.request.post(f"{base}/v1/operator/incidents/{number}/dispatch", headers=headers,
                      data={"units": [unit["unit"]["id"]]})
    return number


def _shot(page, db_backend, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-{name}.png"))


def test_board_fills_updates_live_and_fits_a_wall_screen(live_server, db_backend):
    with sync_playwright() as playwright:
        browser, page, errors = _browser_page(playwright, 1366, 768)
        page.set_default_timeout(8000)
        try:
            _sign_in(page, live_server)
            page.get_by_role("link", name="Papan Pantau").click()
            page.wait_for_url("**/console/board")
            expect(page.locator("#board")).to_have_attribute("aria-busy", "false")
            expect(page.locator("#live.on")).to_be_visible(timeout=5000)
            expect(page.locator("#waiting-count")).to_have_text("0")
            expect(page.locator("#waiting-oldest")).to_have_text("tidak ada")
            fire = page.locator("#agency-units tr", has_text="Damkar")
            expect(fire.locator("td[data-state=available]")).to_have_text("5")

            # Something happens elsewhere: the board follows without a reload.
            page.evaluate("window.__sameDocument = true")
            ref = _phone_sends_sos(live_server, category="fire", note="gudang terbakar")
            expect(page.locator("#waiting-count")).to_have_text("1", timeout=8000)
            expect(page.locator("#tile-waiting")).to_have_class("tile alarm")
            _phone_sends_sos(live_server, category="health", silent=True)
            expect(page.locator("#waiting-count")).to_have_text("2", timeout=8000)
            expect(page.locator("#waiting-extra")).to_contain_text("1 SOS senyap")
            number = _dispatch_first_unit(page, live_server, ref)
            dispatched = page.locator("#incident-states tr[data-state=dispatched]")
            expect(dispatched.locator("td.n")).to_have_text("1", timeout=8000)
            expect(page.locator("#waiting-count")).to_have_text("1")
            expect(fire.locator("td[data-state=assigned]")).to_have_text("1")
            expect(page.locator("#escalation-figures dd[data-key=board_awaiting_ack]")) \
                .to_have_text("1")
            expect(page.locator("#today-figures dd[data-key=board_today_reports]")) \
                .to_have_text("2")
            assert page.evaluate("window.__sameDocument") is True
            assert number.startswith("112-")

            # Today against target (backend/kpi): one report triaged within seconds of its
            # arrival, the other still waiting; one incident dispatched within seconds; its
            # unit has not acknowledged yet — so no acknowledgement figure and no compliance.
            targets = page.locator("#today-targets")
            cell = lambda row, measure: targets.locator(  # noqa: E731
                f"tr[data-row=board_measure_{row}] td[data-measure={measure}]")
            expect(page.locator("#tile-targets thead th[data-measure=answer]")) \
                .to_have_text("Waktu tanggap")
            expect(page.locator("#tile-targets thead th[data-measure=acknowledgement]")) \
                .to_have_text("Waktu konfirmasi unit")
            expect(cell("count", "triage")).to_have_text("1")
            expect(cell("count", "processing")).to_have_text("1")
            expect(cell("count", "acknowledgement")).to_have_text("0")
            expect(cell("target", "triage")).to_have_text("90 % ≤ 60 s")
            expect(cell("target", "processing")).to_have_text("90 % ≤ 64 s")
            expect(cell("target", "travel")).to_have_text("—")
            for measure in ("triage", "processing"):
                expect(cell("compliance", measure)).to_have_text("100 %")
                expect(cell("compliance", measure)).to_have_class(re.compile(r"\bmet\b"))
            expect(cell("compliance", "acknowledgement")).to_have_text("—")
            expect(cell("p50_p90", "acknowledgement")).to_have_text("— / —")
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator("#tile-targets").screenshot(
                path=str(ARTIFACTS / f"{db_backend[0]}-board-today-targets.png"))
            _shot(page, db_backend, "board-1-live")

            # The wall screen: no navigation, large type, everything on one 1920×1080 screen.
            page.get_by_role("link", name="Layar dinding").click()
            page.wait_for_url("**/console/board?wall=1")
            page.set_viewport_size({"width": 1920, "height": 1080})
            expect(page.locator("#board")).to_have_attribute("aria-busy", "false")
            expect(page.locator("header.bar")).to_have_count(0)
            expect(page.locator("#waiting-count")).to_have_text("1")
            size = page.evaluate("""() => ({
                scrollH: document.documentElement.scrollHeight, innerH: innerHeight,
                scrollW: document.documentElement.scrollWidth, innerW: innerWidth,
                font: parseFloat(getComputedStyle(document.body).fontSize),
                figure: parseFloat(getComputedStyle(
                    document.getElementById('waiting-count')).fontSize),
                clipped: [...document.querySelectorAll('.tile')].filter(t =>
                    t.getBoundingClientRect().bottom > innerHeight
                    || t.scrollHeight > t.clientHeight + 1).map(t => t.id)})""")
            assert size["scrollH"] <= size["innerH"] and size["scrollW"] <= size["innerW"], size
            assert size["clipped"] == [], size
            assert size["font"] >= 24 and size["figure"] >= 96, size
            for measure in ("triage", "processing"):
                expect(page.locator(f"#tile-targets tr[data-row=board_measure_compliance] "
                                    f"td[data-measure={measure}]")).to_have_class(
                    re.compile(r"\bmet\b"))
            _phone_sends_sos(live_server, category="accident")
            expect(page.locator("#waiting-count")).to_have_text("2", timeout=8000)
            _shot(page, db_backend, "board-2-wall-1920x1080")
        finally:
            browser.close()
        assert errors == [], errors


def test_admin_board_polls_and_operator_is_refused(live_server, db_backend):
    with sync_playwright() as playwright:
        browser, page, errors = _browser_page(playwright, 1366, 768)
        try:
            _sign_in(page, live_server, "admin")
            page.goto(live_server + "/console/board")
            expect(page.locator("#board")).to_have_attribute("aria-busy", "false")
            # Admins have no live feed (it is for those who triage): the board polls instead.
            expect(page.locator("#live")).to_have_attribute(
                "title", "Tidak langsung: diperbarui tiap 10 detik")
            _phone_sends_sos(live_server, category="fire")
            expect(page.locator("#waiting-count")).to_have_text("1", timeout=12000)
            page.context.clear_cookies()
            _sign_in(page, live_server, "operator1")
            expect(page.get_by_role("link", name="Papan Pantau")).to_have_count(0)
            assert page.goto(live_server + "/console/board").status == 403
        finally:
            browser.close()
        assert errors == [], errors
