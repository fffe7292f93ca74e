"""Peta Sinyal and Perencanaan Pos in a real Chromium: the map layers, tooltips with counts,
the ranked villages, the proposed post sites; operators do not get the pages."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from backend.db import utcnow
from backend.extensions import db
from tests.backend.report_rows import add_report
from tests.console.test_browser import ARTIFACTS, page  # noqa: F401  (the browser fixture)

SERASAN = "16.06.01.1010"   # Kel. Serasan Jaya, Sekayu (the demo's Sekayu posts stand here)
SUKAJAYA = "16.06.09.2017"  # Desa Sukajaya, far from every demo post
LAIS = "16.06.02.2005"


def _sign_in(page, base, username):
    page.goto(base + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    expect(page.get_by_role("link", name="Laporan masuk")).to_be_visible()


def _history():
    at = utcnow() - timedelta(days=2)
    for delay in (60, 120, 700, 900, 1300):
        add_report(SERASAN, delay_s=delay, received_at=at)
    for delay in (1800, 2400, 3000, 3600, 4000, 5000):
        add_report(SUKAJAYA, delay_s=delay, received_at=at)
    add_report(LAIS, delay_s=30, received_at=at)
    add_report(SUKAJAYA, delay_s=99999, received_at=at, test=True)
    db.session.commit()


def test_supervisor_reads_the_signal_map(page, live_server, db_backend):  # noqa: F811
    _history()
    ARTIFACTS.mkdir(exist_ok=True)
    _sign_in(page, live_server, "supervisor")
    page.get_by_role("link", name="Peta Sinyal").click()
    expect(page.get_by_role("heading", name="Peta Sinyal")).to_be_visible()
    expect(page.locator("#signal-summary")).to_have_attribute("data-count", "12")
    rows = page.locator("#signal-ranking tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Desa Sukajaya, Kec. Bayung Lencir")
    expect(rows.nth(0).locator(".count")).to_have_text("6")
    expect(rows.nth(1)).to_contain_text("Kel. Serasan Jaya, Kec. Sekayu")
    expect(page.locator("#signal-small li")).to_have_text(re.compile(r"^Desa Lais.*: 1 laporan"))
    # The desa choropleth: hovering Sukajaya's polygon names it with its count.
    page.locator("#map").hover()  # the map is drawn
    expect(page.locator("#map path.leaflet-interactive").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-signal-desa.png"), full_page=True)
    page.get_by_label("Heksagon H3").check()
    expect(page.locator("#map .leaflet-overlay-pane path.leaflet-interactive")).to_have_count(3)
    page.locator("#map .leaflet-overlay-pane path.leaflet-interactive").nth(0).hover(force=True)
    expect(page.locator(".leaflet-tooltip", has_text="H3 ")).to_have_text(
        re.compile(r"^H3 87[0-9a-f]+ · \d+ laporan · median "))
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-signal-h3.png"), full_page=True)


def test_admin_plans_new_posts(page, live_server, db_backend):  # noqa: F811
    _history()
    _sign_in(page, live_server, "admin")
    page.get_by_role("link", name="Perencanaan Pos").click()
    expect(page.get_by_role("heading", name="Perencanaan Pos")).to_be_visible()
    expect(page.locator("#coverage-estimate")).to_contain_text("PERKIRAAN")
    rows = page.locator("#coverage-table tbody tr")
    expect(rows).to_have_count(3)
    # Every plan puts a post at Sukajaya, where six reports wait far from any post.
    expect(rows.nth(0).locator(".sites")).to_have_text("Desa Sukajaya, Kec. Bayung Lencir")
    expect(page.locator("#map .post-marker")).to_have_count(7)
    expect(page.locator("#map .site-marker")).to_have_count(1)
    expect(page.locator(".leaflet-tooltip", has_text="Usulan")).to_contain_text(
        "Usulan pos baru 1: Desa Sukajaya")
    expect(page.locator("#coverage-outside tbody tr").first).to_contain_text("Desa Sukajaya")
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-coverage.png"), full_page=True)
    # A shorter target and one speed: recomputed, k from the form.
    page.fill("input[name=k]", "1")
    page.fill("input[name=speed_kmh]", "60")
    page.click("#coverage-filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(page.locator("#coverage-summary")).to_contain_text("12 laporan")


def test_operators_do_not_get_the_monitoring_pages(page, live_server):  # noqa: F811
    _sign_in(page, live_server, "operator1")
    expect(page.get_by_role("link", name="Peta Sinyal")).to_have_count(0)
    assert page.goto(live_server + "/console/signal").status == 403
    assert page.goto(live_server + "/console/coverage").status == 403
