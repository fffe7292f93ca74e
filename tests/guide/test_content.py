"""The built-in guide and its rendering, without a database: text → paragraphs and lists,
placeholders, English falling back to Bahasa, categories from backend/categories.py, and
the example SMS the guide teaches read correctly by the SMS parser."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from backend.categories import CATEGORIES, CATEGORY_CODES
from backend.guide.content import SECTION_KEYS, SMS_WORDS, default_content
from backend.guide.service import blocks, fill, render
from backend.places.service import DEMO_SET
from backend.sms.text import Gazetteer, parse_text

REGENCY = {"code": "1606", "name": "Musi Banyuasin"}


def _render(content=None, lang="id", sms="0811-0000-0112"):
    return render(content or default_content(), lang=lang, regency=REGENCY, version=0,
                  published_at=None, sms_number=sms, page_url="https://x.example/panduan")


def test_text_becomes_paragraphs_and_lists():
    text = ("Tetap tenang.\nJawab operator.\n\n- Di mana\n- Apa\n  yang terjadi\n\n"
            "Penutup")
    assert blocks(text) == [
        {"type": "paragraph", "text": "Tetap tenang. Jawab operator."},
        {"type": "list", "list_items": ["Di mana", "Apa yang terjadi"]},
        {"type": "paragraph", "text": "Penutup"}]
    assert blocks("\r\n- satu\r\n-\r\n") == [{"type": "list", "list_items": ["satu", ""]}]
    assert blocks("   \n\n") == []


def test_placeholders_are_filled_and_nothing_else_is_touched():
    values = {"sms_number": "0811", "emergency_number": "112", "regency": "Muba"}
    assert fill("SMS {sms_number}, telepon {emergency_number} di {regency} {lain} {", values) \
        == "SMS 0811, telepon 112 di Muba {lain} {"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_built_in_guide_has_every_section_in_both_languages(lang):
    guide = _render(lang=lang)
    assert [s["key"] for s in guide["sections"]] == list(SECTION_KEYS)
    assert all(s["lang"] == lang and s["title"] and s["blocks"] for s in guide["sections"])
    strings = [s["title"] for s in guide["sections"]] + [
        t for s in guide["sections"] for b in s["blocks"]
        for t in ([b["text"]] if b["type"] == "paragraph" else b["list_items"])]
    text = "\n".join(strings)
    assert "{" not in text and "0811-0000-0112" in text and "Musi Banyuasin" in text
    what = next(s for s in guide["sections"] if s["key"] == "what_to_say")
    items = next(b["list_items"] for b in what["blocks"] if b["type"] == "list")
    assert len(items) == 5  # where, what, who, how many hurt, your number


def test_categories_come_from_backend_categories_in_the_language_asked():
    for lang in ("id", "en"):
        guide = _render(lang=lang)
        assert [(c["code"], c["label"]) for c in guide["categories"]] == \
            [(c["code"], c["label"][lang]) for c in CATEGORIES]
    assert set(SMS_WORDS) == set(CATEGORY_CODES)


def test_without_an_sms_number_the_guide_says_nothing_about_sms():
    guide = _render(sms=None)
    assert "sms" not in [s["key"] for s in guide["sections"]]
    assert guide["sms"]["number"] is None


def test_english_falls_back_to_bahasa_per_section():
    content = default_content()
    content["sections"][1]["text"]["en"] = ""
    content["sections"][1]["title"]["en"] = ""
    guide = _render(content, lang="en")
    second = guide["sections"][1]
    assert second["lang"] == "id" and second["title"] == "Apa yang disampaikan"
    assert guide["sections"][0]["lang"] == "en"


def test_published_at_and_version_are_passed_through():
    at = datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)
    guide = render(default_content(), lang="id", regency=REGENCY, version=4, published_at=at,
                   sms_number=None, page_url="u")
    assert guide["version"] == 4 and guide["published_at"] == at


def test_every_example_sms_is_read_as_its_category_and_desa_by_the_sms_parser():
    """What the guide teaches must be what the plain-text SMS channel understands."""
    gazetteer = Gazetteer.from_csv(DEMO_SET / "areas.csv")
    for category in _render()["categories"]:
        parsed = parse_text(category["sms_example"], gazetteer)
        assert parsed.category == category["code"], category
        assert parsed.desa is not None and parsed.desa.name == "Kayu Ara", category
    assert _render()["sms"]["example"] == "KEBAKARAN di desa Kayu Ara"
