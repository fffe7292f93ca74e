"""Plain-text SMS parser: the corpus goals, and the rules behind them one by one."""
from __future__ import annotations

import pytest

from bench.sms_parse import CORPUS, GOALS, SETS, evaluate, gazetteer, load, load_all
from backend.categories import CATEGORY_CODES
from backend.sms.morphology import roots, skeleton, vowel_variant
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


def test_every_set_together_meets_the_goals(gaz):
    """The goals hold on the union of the main corpus and every held-out set (holdout2 was
    committed before the morphology rules, holdout3 after them and before they were run on
    it). The goals themselves are the thresholds: a drop below either fails, whatever
    today's margin (the parser before the morphology rules scored 93.8 % on this union)."""
    sets = {name: load(path) for name, path in SETS.items()}
    assert len(sets["holdout2"]) >= 60
    assert {r["category"] for r in sets["holdout2"]} == set(CATEGORY_CODES)
    rows = load_all()
    assert len(rows) == sum(len(r) for r in sets.values())
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


# ---------------------------------------------------------------- morphology and spelling

@pytest.mark.parametrize("word, root", [
    ("ketabrak", "tabrak"), ("tertabrak", "tabrak"), ("menabrak", "tabrak"),
    ("nabrak", "tabrak"), ("kecopetan", "copet"), ("dicopet", "copet"),
    ("mukulin", "pukul"), ("dipukuli", "pukul"), ("mengeroyok", "keroyok"),
    ("menyiksa", "siksa"), ("dihakimi", "hakim"), ("kebanjiran", "banjir"),
    ("pengungsi", "ungsi"), ("ngungsi", "ungsi"), ("tirinyo", "tiri"),
])
def test_roots_through_prefixes_suffixes_and_nasals(word, root):
    assert root in roots(word)


def test_roots_do_not_invent_what_is_not_there():
    assert "perang" not in roots("merang")          # m+e is the prefix me-, not m- on p
    assert "rasan" not in roots("kekerasan")        # ke- is stripped once, not twice
    assert roots("api") == frozenset()              # under 4 letters: no root at all


def test_regional_vowels_and_vowelless_abbreviations():
    assert vowel_variant("sesek", "sesak") and vowel_variant("jatoh", "jatuh")
    assert not vowel_variant("masak", "masuk")      # u is not written a
    assert skeleton("banjir") == "bnjr" and skeleton("kebakaran") == "kbkrn"


@pytest.mark.parametrize("text, category", [
    ("ada yg ketabrak truk", "accident"),          # ke- passive
    ("hp sy kecopetan di pasar", "public_order"),  # ke-...-an
    ("motor sy dicopet", "public_order"),          # di-
    ("tetangga ditabrak lari", "accident"),
    ("warga ngungsi semua", "natural_disaster"),   # colloquial bare nasal
    ("bnjr", "natural_disaster"), ("lngsr", "natural_disaster"),  # vowels dropped
    ("nenek sesek napas", "health"),               # Palembang a -> e
    ("anak jatoh dr motor", "accident"),           # u -> o, dr = dari
    ("air sungai naik", "natural_disaster"),       # one word slipped inside a phrase
    ("kobongan omah", "fire"), ("bapak semaput", "health"),  # Javanese villages
    ("budak dianiaya bapak tirinyo", "violence_women_children"),  # budak = child
])
def test_affixed_regional_and_abbreviated_words(gaz, text, category):
    assert parse_text(text, gaz).category == category


@pytest.mark.parametrize("text", [
    "tolong datang sekarang",      # sekarang is not sekarat
    "rumah kosong",                # kosong is not kobong
    "ibu lagi masak",              # masak is not masuk
    "bakar sampah di belakang",    # a bare bakar is no fire
    "help pls",                    # pls is please, not polisi
    "jual serasan merang",         # serasan/kekerasan, merang/perang: no shared root
])
def test_everyday_words_are_not_emergencies(gaz, text):
    parsed = parse_text(text, gaz)
    assert (parsed.category, parsed.category_confidence) == ("other", 0.0), parsed.keywords


def test_violence_by_a_crowd_is_a_riot_by_one_person_public_order(gaz):
    assert parse_text("massa ngamuk bakar pos polisi", gaz).category == "riot"
    assert parse_text("massa hakimi maling", gaz).category == "riot"
    assert parse_text("maling dipukul warga", gaz).category == "public_order"
    assert parse_text("ada preman mukul orang", gaz).category == "public_order"


@pytest.mark.parametrize("text, codes", [
    ("tolong ke kayu ara atau lais", ["16.06.01.1009", "16.06.02.2005"]),
    ("banjir di sungai dua dan rantau sialang", ["16.06.03.2006", "16.06.03.2010"]),
    ("perang kampung desa toman vs sereka", ["16.06.06.2008", "16.06.06.2001"]),
])
def test_two_desa_joined_by_a_conjunction_are_both_candidates(gaz, text, codes):
    parsed = parse_text(text, gaz)
    assert parsed.desa is None
    assert [c.code for c in parsed.candidates] == codes


def test_a_conjunction_without_a_marked_place_before_it_marks_nothing(gaz):
    # "lais" is an everyday-looking name: without a marker (or a marked name joined to
    # it) it is not read as the desa
    parsed = parse_text("ada pohon dan lais", gaz)
    assert parsed.desa is None and parsed.candidates == ()


def test_two_vehicles_against_each_other_are_a_collision(gaz):
    assert parse_text("motor vs truk, korban tdk sadar", gaz).category == "accident"
    assert parse_text("mobil lawan motor di tikungan", gaz).category == "accident"


def test_what_an_animal_does_is_no_crime(gaz):
    assert parse_text("sapi ngamuk lepas dr kandang", gaz).category == "other"
    assert parse_text("org ngamuk bawa golok", gaz).category == "public_order"


def test_villages_attacking_each_other_are_a_riot(gaz):
    assert parse_text("warga 2 desa saling serang", gaz).category == "riot"


def test_a_marker_word_is_not_swallowed_by_a_fuzzy_name(gaz):
    # "pasar desa" is close to Pagar Desa, but "desa" marks the name after it
    parsed = parse_text("pemuda mabuk di pasar desa purwo agung", gaz)
    assert parsed.desa.code == "16.06.11.2007" and parsed.candidates == ()
