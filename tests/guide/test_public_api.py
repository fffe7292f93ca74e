"""GET /v1/public/guide: no sign-in, both languages, categories from backend/categories.py,
ETag and 304, versions growing with each publish (older ones kept), the in-process cache,
and every answer valid against mobile_contract/openapi.json."""
from __future__ import annotations

import sqlalchemy as sa

from backend.categories import CATEGORIES
from backend.extensions import db
from backend.guide.models import GuideVersion
from tests.guide.helpers import edit
from tests.helpers import Console, count, register
from tests.mobile_contract.test_examples import response_ref, validate

SMS = "0811-0000-0112"


def _guide(client, lang="id", **headers):
    return client.get(f"/v1/public/guide?lang={lang}", headers=headers)


def _publish(client, base, **changes):
    admin = Console(client, "admin")
    response = admin.client.put("/v1/admin/guide", json=edit(base, **changes),
                                headers={"X-CSRF-Token": admin.csrf})
    assert response.status_code == 200, response.get_json()
    client.delete("/v1/operator/session", headers={"X-CSRF-Token": admin.csrf})
    return response.get_json()


def test_the_guide_needs_no_key_and_speaks_both_languages(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_NUMBER", SMS)
    for lang, title, label in (("id", "Kapan menelepon 112", "Kebakaran"),
                               ("en", "When to call 112", "Fire")):
        response = _guide(client, lang)
        assert response.status_code == 200 and response.mimetype == "application/json"
        body = response.get_json()
        validate(body, response_ref("/v1/public/guide", "get", 200))
        assert body["lang"] == lang and body["version"] == 0 and body["published_at"] is None
        assert body["regency"] == {"code": "1606", "name": "Musi Banyuasin"}
        assert body["emergency_number"] == "112" and body["sms"]["number"] == SMS
        assert body["sections"][0]["title"] == title
        assert [c["code"] for c in body["categories"]] == [c["code"] for c in CATEGORIES]
        assert [c["label"] for c in body["categories"]] == [c["label"][lang] for c in CATEGORIES]
        assert body["categories"][0]["label"] == label
        assert body["page_url"].endswith("/panduan" + ("?lang=en" if lang == "en" else ""))
    assert _guide(client, "id").get_json()["sections"] != _guide(client, "en").get_json()[
        "sections"]
    # a phone's key is not needed, and not refused either
    key = register(client)
    assert _guide(client, Authorization=f"Bearer {key}").status_code == 200


def test_etag_and_cache_control_let_the_app_revalidate_with_a_304(app, client):
    first = _guide(client, "en")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and "max-age=600" in first.headers["Cache-Control"]
    again = _guide(client, "en", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Siaga-Sync"] == "1"
    assert _guide(client, "en", **{"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert _guide(client, "en", **{"If-None-Match": '"stale"'}).status_code == 200
    # the other language is another document with its own tag
    assert _guide(client, "id").headers["ETag"] != etag
    assert _guide(client, "id", **{"If-None-Match": etag}).status_code == 200


def test_each_publish_is_a_new_version_and_the_old_ones_are_kept(app, client, staff):
    before = _guide(client).headers["ETag"]
    first = _publish(client, 0, after={"title": {"id": "Sesudah melapor", "en": "After"},
                                       "text": {"id": "- Tunggu di tempat aman.", "en": ""}})
    assert first["version"] == 1 and first["current_version"] == 1
    body = _guide(client).get_json()
    assert body["version"] == 1 and body["published_at"] is not None
    after = next(s for s in body["sections"] if s["key"] == "after")
    assert after == {"key": "after", "title": "Sesudah melapor", "lang": "id",
                     "blocks": [{"type": "list", "items": ["Tunggu di tempat aman."]}]}
    english = next(s for s in _guide(client, "en").get_json()["sections"] if s["key"] == "after")
    assert english["title"] == "After" and english["lang"] == "id"  # text not translated yet
    # the app's old copy is stale now
    assert _guide(client, **{"If-None-Match": before}).status_code == 200
    second = _publish(client, 1, sms_example_desa="Serasan Jaya")
    assert second["version"] == 2
    body = _guide(client).get_json()
    assert body["version"] == 2 and body["sms"]["example"] == "KEBAKARAN di desa Serasan Jaya"
    rows = db.session.execute(sa.select(GuideVersion.version, GuideVersion.content)
                              .order_by(GuideVersion.version)).all()
    db.session.rollback()
    assert [v for v, _ in rows] == [1, 2]
    assert rows[0].content["sms_example_desa"] == "Kayu Ara"  # version 1 as it was published
    assert rows[0].content["sections"][4]["title"]["id"] == "Sesudah melapor"


def test_the_rendering_is_cached_per_version(app, client, staff):
    from api.public import guide_cache

    cache = guide_cache()
    _guide(client, "id")
    renders = cache.renders
    for _ in range(5):
        assert _guide(client, "id").status_code == 200
    assert cache.renders == renders          # five answers, no rendering
    _publish(client, 0, sms_example_desa="Balai Agung")
    assert _guide(client, "id").get_json()["sms"]["example"].endswith("Balai Agung")
    assert cache.renders == renders + 1      # the new version rendered once


def test_without_an_sms_number_there_is_no_sms_section(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_NUMBER", "")
    body = _guide(client).get_json()
    assert body["sms"]["number"] is None
    assert "sms" not in [s["key"] for s in body["sections"]]
    monkeypatch.setitem(app.config, "SMS_NUMBER", SMS)
    assert "sms" in [s["key"] for s in _guide(client).get_json()["sections"]]


def test_public_base_url_sets_the_page_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://112.mubakab.go.id/")
    assert _guide(client, "en").get_json()["page_url"] == \
        "https://112.mubakab.go.id/panduan?lang=en"
    assert client.get("/v1/public/guide?regency=1607").get_json()["page_url"] == \
        "https://112.mubakab.go.id/panduan?regency=1607"


def test_each_regency_has_its_own_guide(app, client, staff):
    _publish(client, 0, sms_example_desa="Balai Agung")     # Musi Banyuasin's admin
    other = client.get("/v1/public/guide?regency=1607").get_json()
    assert other["regency"]["name"] == "Banyuasin" and other["version"] == 0
    assert _guide(client).get_json()["version"] == 1


def test_bad_queries_are_structured_errors_and_write_nothing(client):
    rows = count("guide_versions")
    for path, status, code in (("/v1/public/guide?lang=jv", 422, "validation_error"),
                               ("/v1/public/guide?regency=abc", 422, "validation_error"),
                               ("/v1/public/guide?lang=id&bogus=1", 422, "validation_error"),
                               ("/v1/public/guide?regency=9999", 404, "regency_not_found")):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.get_json()["error"]["code"] == code
        validate(response.get_json(), response_ref("/v1/public/guide", "get", status))
    assert client.post("/v1/public/guide", json={}).status_code == 405
    assert count("guide_versions") == rows
