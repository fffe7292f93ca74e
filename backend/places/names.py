"""Matching place names as people type them: one folding and one score, shared by the
operators' place search (places.service.search_places) and the SMS text parser
(backend.sms.text), so a desa is found the same way wherever its name is typed.

Pure functions (no database): callers pass the names they have.
"""
from __future__ import annotations

import re

from rapidfuzz import fuzz

_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_LEVEL_PREFIX = re.compile(r"^(desa|kelurahan|kel|kecamatan|kec|ds)\s+")
# Desa are numbered in Roman (Ngulak III, Teluk Kijing II) and typed in digits ("ngulak 3").
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}


def fold_words(text: str) -> list[str]:
    """Lower case, anything but a-z0-9 a space, Roman numerals 1-5 as digits, as words."""
    words = _NOT_WORD.sub(" ", text.lower()).split()
    return [ROMAN.get(w, w) for w in words]


def fold_name(text: str) -> str:
    """The comparable form of a place name or query: "Desa Teluk Kijing II" → "teluk kijing 2"
    (a leading level word such as desa/kel/kec is dropped)."""
    text = _SPACES.sub(" ", _NOT_WORD.sub(" ", text.lower())).strip()
    text = _LEVEL_PREFIX.sub("", text)
    return " ".join(ROMAN.get(w, w) for w in text.split())


def name_score(query: str, name: str, *, prefix: bool = True) -> float:
    """How well a folded query matches a folded name, 0-100.

    The better of the spaced and the squeezed ("bangunsari" = "bangun sari") edit ratios.
    With `prefix` (search-as-you-type) a query of 4+ letters that starts the name scores 90
    and a part of the name scores up to 90; without it (a name inside free text) only whole
    names count, so "sungai" alone does not match every "Sungai …".
    """
    squeezed, flat = query.replace(" ", ""), name.replace(" ", "")
    score = max(fuzz.ratio(query, name), fuzz.ratio(squeezed, flat))
    if prefix and len(squeezed) >= 4:
        if flat.startswith(squeezed):
            score = max(score, 90.0)
        else:
            score = max(score, fuzz.partial_ratio(squeezed, flat) * 0.9)
    return score
