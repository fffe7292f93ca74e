"""The Wilayah (areas) page in a real Chromium: counts, kecamatan → desa, GeoJSON import."""
from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from backend.places.service import DEMO_SET
from tests.console.test_browser import ARTIFACTS, page  # noqa: F401  (the browser fixture)


def _sign_in(page, base, username):
    page.goto(base + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "siaga112-demo")
    page.click("button[type=submit]")
    expect(page.get_by_role("link", name="Laporan masuk")).to_be_visible()


def test_admin_reads_areas_and_imports_geojson(page, live_server, db_backend, tmp_path):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    _sign_in(page, live_server, "admin")
    page.get_by_role("link", name="Wilayah").click()
    expect(page.get_by_role("heading", name="Wilayah", exact=True)).to_be_visible()
    expect(page.locator("#area-counts")).to_have_text("15 kecamatan, 240 desa/kelurahan")
    expect(page.locator("tbody.kecamatan")).to_have_count(15)
    sekayu = page.locator("tbody.kecamatan[data-code='16.06.01']")
    expect(sekayu.locator(".desa-count")).to_have_text("14")
    sekayu.locator("summary").click()
    expect(sekayu.locator("li[data-code='16.06.01.1010']")).to_have_text(
        "16.06.01.1010 · Kel. Serasan Jaya")
    expect(sekayu.locator("li[data-code='16.06.01.2001']")).to_contain_text("Desa Sukarami")

    # The shipped desa file is larger than one request may be: it goes in parts.
    page.set_input_files("#import-form input[type=file]", str(DEMO_SET / "desa.geojson"))
    page.click("#import-form button")
    expect(page.locator("#import-result")).to_have_text(
        "Impor selesai: 0 baru, 0 diperbarui, 240 tidak berubah.", timeout=20000)
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-areas-import.png"), full_page=False)

    # A bad feature is refused with its reason, shown as text; nothing is written.
    feature = json.loads((DEMO_SET / "kecamatan.geojson").read_text())["features"][0]
    feature = dict(feature, properties=dict(feature["properties"], code="16.06.16",
                                            name="<img src=x onerror=alert(1)>"))
    bowtie = dict(feature, properties=dict(feature["properties"], code="16.06.17"), geometry={
        "type": "Polygon", "coordinates": [[[103, -3], [104, -2], [104, -3], [103, -2],
                                            [103, -3]]]})
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [feature, bowtie]}))
    page.set_input_files("#import-form input[type=file]", str(bad))
    page.click("#import-form button")
    result = page.locator("#import-result")
    expect(result).to_contain_text("Impor ditolak, tidak ada yang disimpan:")
    expect(result.locator("ul.problems li")).to_have_text(re.compile(r"^Fitur 1: geometry: "))
    page.screenshot(path=str(ARTIFACTS / f"{db_backend[0]}-areas-refused.png"))

    # The valid one alone is imported; the page shows the new kecamatan, its name as text.
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    page.set_input_files("#import-form input[type=file]", str(good))
    page.click("#import-form button")
    expect(result).to_have_text("Impor selesai: 1 baru, 0 diperbarui, 0 tidak berubah.")
    expect(page.locator("#area-counts")).to_have_text("16 kecamatan, 240 desa/kelurahan",
                                                      timeout=10000)
    expect(page.locator("tbody.kecamatan[data-code='16.06.16'] summary")).to_have_text(
        "Kec. <img src=x onerror=alert(1)>")


def test_operators_do_not_get_the_areas_page(page, live_server):  # noqa: F811
    _sign_in(page, live_server, "operator1")
    expect(page.get_by_role("link", name="Wilayah")).to_have_count(0)
    response = page.goto(live_server + "/console/areas")
    assert response.status == 403
