"""Plain-text SMS parser: the corpus goals, and the rules behind them one by one."""
from __future__ import annotations

import pytest

from bench.sms_parse import CORPUS, GOALS, evaluate, gazetteer, load
from backend.categories import CATEGORY_CODES
from backend.sms.text import parse_text


@pytest.fixture(scope="module")
def gaz():
    return gazetteer()


def test_the_corpus_meets_the_goals(gaz):
    rows = load(CORPUS)
    assert len(rows) >= 120
    assert {r["category"] for r in rows} == set(CATEGORY_CODES)
    result = evaluate(rows, gaz)
    assert result["category"] >= GOALS["category"], result["misses"]
    assert result["desa"] >= GOALS["desa"], result["misses"]
    assert result["no_false_desa"] >= 0.9, result["misses"]


def test_the_example_of_the_issue(gaz):
    parsed = parse_text("KEBAKARAN rumah di desa Kayu Ara", gaz)
    assert parsed.category == "fire" and parsed.category_confidence == 1.0
    assert parsed.keywords == ("kebakaran",)
    assert (parsed.desa.code, parsed.desa.name, parsed.desa.score) == (
        "16.06.01.1009", "Kayu Ara", 100.0)
    assert parsed.kecamatan.name == "Sekayu" and parsed.candidates == ()
    assert parsed.cleaned == "kebakaran rumah di desa kayu ara"


@pytest.mark.parametrize("text, category", [
    ("kbkrn", "fire"), ("kebakran", "fire"), ("rumah tebakar", "fire"),
    ("lakalantas", "accident"), ("kcelakaan", "accident"), ("laka", "accident"),
    ("butuh ambulan", "health"), ("pinsan", "health"), ("sesak nafas", "health"),
    ("digigit ular", "health"), ("mau lahiran", "health"), ("lonsor", "natural_disaster"),
    ("tawuran", "riot"), ("KDRT", "violence_women_children"), ("begal", "public_order"),
    ("ada maling", "public_order"), ("rampok", "public_order"), ("🔥🔥", "fire"),
    ("my father is unconscious", "health"), ("halo", "other"), ("", "other"),
])
def test_keywords_abbreviations_typos_and_english(gaz, text, category):
    assert parse_text(text, gaz).category == category


def test_unknown_is_other_with_no_confidence(gaz):
    parsed = parse_text("tolong segera datang", gaz)
    assert (parsed.category, parsed.category_confidence, parsed.keywords) == ("other", 0.0, ())


def test_an_act_on_a_woman_or_child_is_that_category_alone_it_is_assault(gaz):
    assert parse_text("suami mukul istri", gaz).category == "violence_women_children"
    assert parse_text("ada orang dipukul preman", gaz).category == "public_order"


def test_words_of_a_desa_name_are_not_emergency_words(gaz):
    # Pinang *Banjar* is not banjir, Gajah *Mati* is not a death.
    parsed = parse_text("tolong ke pinang banjar", gaz)
    assert parsed.category == "other" and parsed.desa.code == "16.06.07.2017"


def test_a_name_shared_by_four_desa_gives_candidates_not_a_guess(gaz):
    parsed = parse_text("kebakaran di desa mekar jaya", gaz)
    assert parsed.desa is None
    assert {c.code for c in parsed.candidates} == {
        "16.06.08.2005", "16.06.09.2058", "16.06.11.2027", "16.06.15.2011"}
    assert all(c.kecamatan for c in parsed.candidates)


def test_the_kecamatan_named_picks_the_desa(gaz):
    parsed = parse_text("pingsan di mekar jaya kec jirak jaya", gaz)
    assert parsed.desa.code == "16.06.15.2011"
    assert parsed.kecamatan.code == "16.06.15"


def test_two_villages_named_are_ranked_candidates(gaz):
    parsed = parse_text("tabrakan antara desa kayu ara dan sukarami", gaz)
    assert parsed.desa is None
    assert [c.code for c in parsed.candidates] == ["16.06.01.1009", "16.06.01.2001"]


@pytest.mark.parametrize("text, code", [
    ("banjir ds bangunsari", "16.06.06.2007"),           # glued
    ("kebakaran di lubuk bintalo", "16.06.04.2008"),     # a letter missing
    ("pingsan di ngulak 3", "16.06.05.2008"),             # Roman numeral typed as a digit
    ("kecelakaan di bailangu timur", "16.06.01.2014"),   # Baliangu Timur, letters swapped
    ("buaya masuk desa teluk", "16.06.02.2006"),         # an everyday word after "desa"
    ("LONGSOR DI DUSUN LAYAN", "16.06.15.2012"),         # all caps, dusun
])
def test_desa_typed_as_people_type_them(gaz, text, code):
    assert parse_text(text, gaz).desa.code == code


def test_an_everyday_word_without_a_marker_is_not_a_place(gaz):
    assert parse_text("rumah di tepi teluk kebanjiran", gaz).desa is None
    assert parse_text("ada terusan air meluap", gaz).desa is None


def test_no_place_no_desa(gaz):
    parsed = parse_text("kebun sawit terbakar sudah 2 hektar", gaz)
    assert parsed.desa is None and parsed.candidates == () and parsed.kecamatan is None
