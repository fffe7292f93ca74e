"""Console strings: gettext catalogues complete and compiled, language choice, JS config."""
from __future__ import annotations

import json
import pathlib
import re

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from backend.i18n import LOCALES, TRANSLATIONS_DIR
from tests.helpers import Console

ROOT = pathlib.Path(__file__).parents[2]
TRANSLATED = [locale for locale in LOCALES if locale != "id"]  # id msgids are the source


def _source_msgids() -> set[str]:
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                "lazy_gettext": None, "pgettext": ((1, "c"), 2)}
    found = set()
    for folder in ("api", "backend"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map, options_map, keywords=keywords):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _po(locale):
    with open(pathlib.Path(TRANSLATIONS_DIR, locale, "LC_MESSAGES", "messages.po"), "rb") as f:
        return read_po(f)


def test_every_console_string_has_an_english_translation():
    source = _source_msgids()
    assert "Laporan masuk" in source and "diterima unit" in source  # extraction works
    for locale in TRANSLATED:
        catalog = _po(locale)
        translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
        missing = sorted(source - translated.keys())
        assert missing == [], f"not in {locale}/messages.po (run ./dev i18n): {missing}"
        empty = sorted(i for i, m in translated.items() if i in source and (
            not m.string or (isinstance(m.string, tuple) and not all(m.string))
            or m.fuzzy))
        assert empty == [], f"untranslated or fuzzy in {locale}/messages.po: {empty}"


def test_compiled_catalogue_is_current():
    for locale in TRANSLATED:
        mo_path = pathlib.Path(TRANSLATIONS_DIR, locale, "LC_MESSAGES", "messages.mo")
        assert mo_path.exists(), "compile the catalogues: ./dev i18n (./dev test does it)"
        with open(mo_path, "rb") as f:
            compiled = {m.id: m.string for m in read_mo(f) if m.id}
        source = {m.id: m.string for m in _po(locale) if m.id and not m.fuzzy}
        assert compiled == source, f"{mo_path} is stale: run ./dev i18n"


def _config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="siaga-config">(.*?)</script>',
                      html, re.S)
    assert match, "page has no JSON config"
    return json.loads(match.group(1))


def test_console_speaks_the_users_language_and_feeds_its_javascript(client, staff):
    console = Console(client, "operator1")
    html = console.get("/console/").get_data(as_text=True)
    assert "Laporan masuk" in html and 'lang="id"' in html
    config = _config(html)
    assert config["catalogue"]["messages"]["silent"] == "SOS senyap"
    assert config["catalogue"]["status"]["acknowledged"] == "diterima unit"
    assert config["catalogue"]["categories"]["fire"] == "Kebakaran"
    assert "<script>" not in html  # no inline code: only data and module files
    assert 'type="module"' in html and "js/pages/inbox.js" in html

    assert console.get("/console/lang/en").status_code == 302
    html = console.get("/console/").get_data(as_text=True)
    assert "Incoming reports" in html and 'lang="en"' in html
    config = _config(html)
    assert config["catalogue"]["messages"]["silent"] == "Silent SOS"
    assert config["catalogue"]["status"]["acknowledged"] == "acknowledged"
    assert config["catalogue"]["categories"]["fire"] == "Fire"
    assert config["locale"] == "en"


def test_language_switch_returns_only_to_a_console_page(client, staff):
    console = Console(client, "operator1")
    go = lambda path, **kw: console.get(path, **kw).headers["Location"]  # noqa: E731
    assert go("/console/lang/en?next=/console/units").endswith("/console/units")
    assert go("/console/lang/id", headers={"Referer": "http://localhost/console/audit?x=1"}
              ).endswith("/console/audit?x=1")
    for evil in ("https://evil.example/console/", "//evil.example/console/",
                 "/\\evil.example", "javascript:alert(1)", "/v1/operator/inbox",
                 "http://evil.example/console/units"):
        assert go("/console/lang/en?next=" + evil).endswith("/console/"), evil
        assert go("/console/lang/en", headers={"Referer": evil}).endswith("/console/"), evil


def test_every_string_the_javascript_asks_for_is_in_its_config():
    from api.console import JS_MESSAGES

    used = set()
    for path in (ROOT / "api" / "static" / "js").rglob("*.js"):
        used |= set(re.findall(r"\bt\('([a-z0-9_]+)'\)", path.read_text()))
    assert used, "no t('…') calls found"
    assert sorted(used - JS_MESSAGES.keys()) == []
