"""/panduan without a browser: no sign-in, Bahasa first, no script at all, the QR code is the
one segno draws for the page's address, print rules for A4; and the admins' preview."""
from __future__ import annotations

import re

import segno

from backend.guide.content import SECTION_KEYS
from tests.guide.helpers import edit
from tests.helpers import Console, row_counts

SMS = "0811-0000-0112"


def _qr_of(html: str) -> str:
    match = re.search(r"<svg[^>]*class=\"qr\".*?</svg>", html, re.S)
    assert match, "no QR code on the page"
    return match.group(0)


def _expected_qr(url: str) -> str:
    """The SVG segno itself draws for `url`, regenerated here from the library."""
    return segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr", lineclass="qr-modules", title=url,
        dark="#000", light="#fff")


def test_the_page_is_public_bahasa_first_and_script_free(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_NUMBER", SMS)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://112.mubakab.go.id")
    response = client.get("/panduan")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Panggilan Darurat 112" in html and "Kapan menelepon 112" in html
    assert "<script" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html)                   # no inline handlers
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert SMS in html and "KEBAKARAN di desa Kayu Ara" in html
    for key in SECTION_KEYS:
        assert f'id="{key}"' in html
    assert _qr_of(html) == _expected_qr("https://112.mubakab.go.id/panduan")
    english = client.get("/panduan?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "When to call 112" in english
    assert _qr_of(english) == _expected_qr("https://112.mubakab.go.id/panduan?lang=en")
    assert 'href="/panduan?lang=en"' in html and 'href="/panduan"' in english


def test_the_qr_code_decodes_to_the_page_address():
    """segno's matrix for the address, read back as a QR code by zxing-cpp (PNG from the
    same QR object the SVG comes from)."""
    import io

    import zxingcpp
    from PIL import Image

    url = "https://112.mubakab.go.id/panduan?lang=en"
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(buffer))] == [url]


def test_the_stylesheet_prints_an_a4_poster(client):
    css = client.get("/panduan/static/guide.css")
    assert css.status_code == 200
    text = css.get_data(as_text=True)
    assert "@media print" in text and "size: A4" in text
    assert ".screen-only" in text


def test_unknown_regency_is_a_404_and_a_bad_language_falls_back_to_bahasa(client):
    assert client.get("/panduan?regency=9999").status_code == 404
    assert client.get("/panduan?regency=x;drop").status_code == 404
    assert '<html lang="id">' in client.get("/panduan?lang=xx").get_data(as_text=True)
    assert "Banyuasin" in client.get("/panduan?regency=1607").get_data(as_text=True)


def test_the_page_shows_the_published_version(app, client, staff):
    admin = Console(app.test_client(), "admin")
    body = edit(0, when={"title": {"id": "Kapan harus menelepon", "en": ""},
                         "text": {"id": "Saat ada bahaya.", "en": ""}})
    assert admin.client.put("/v1/admin/guide", json=body,
                            headers={"X-CSRF-Token": admin.csrf}).status_code == 200
    html = client.get("/panduan").get_data(as_text=True)
    assert "Kapan harus menelepon" in html and "Versi 1, diterbitkan" in html
    english = client.get("/panduan?lang=en").get_data(as_text=True)
    assert "Not translated yet" in english and 'lang="id"' in english


def _form(body: dict, lang="id") -> dict:
    form = {"sms_example_desa": body["sms_example_desa"], "lang": lang}
    for key, s in body["sections"].items():
        for part in ("title", "text"):
            for code in ("id", "en"):
                form[f"{key}.{part}.{code}"] = s[part][code]
    return form


def test_admins_preview_a_draft_without_storing_it(app, staff):
    admin = Console(app.test_client(), "admin")
    before = row_counts()
    draft = edit(0, after={"title": {"id": "Draf sesudah melapor", "en": "Draft after"},
                           "text": {"id": "Teks draf.", "en": "Draft text."}})
    response = admin.post("/console/admin/guide/preview",
                          data={**_form(draft, "en"), "csrf_token": admin.csrf})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "PREVIEW" in html and "Draft after" in html and "<script" not in html
    bad = _form(draft)
    bad["misuse.text.id"] = ""
    refused = admin.post("/console/admin/guide/preview", data={**bad, "csrf_token": admin.csrf})
    assert refused.status_code == 422 and "misuse" in refused.get_data(as_text=True)
    assert row_counts() == before
    assert client_without_csrf(app).status_code == 403
    operator = Console(app.test_client(), "operator1")
    assert operator.post("/console/admin/guide/preview",
                         data={**_form(draft), "csrf_token": operator.csrf}).status_code == 403


def client_without_csrf(app):
    admin = Console(app.test_client(), "admin")
    return admin.client.post("/console/admin/guide/preview", data={"lang": "id"})
