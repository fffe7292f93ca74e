"""Light Indonesian morphology for SMS keywords: the roots a word may be built on.

    roots("ketabrak")   → {"ketabrak", "tabrak"}        (colloquial ke- passive = ter-)
    roots("kecopetan")  → {..., "copet"}                (ke-…-an: what befell someone)
    roots("mukulin")    → {..., "pukul"}                (nasal prefix m- on p, Jakarta -in)
    roots("dihakimi")   → {..., "hakim"}                (di-…-i)

It over-generates on purpose (menabrak → tabrak and abrak): two words are related when
they share a root of 4+ letters, so a spurious root only matters if another lexicon word
happens to produce the same one. No dictionary: the lexicon is the dictionary.

Covered: prefixes di-, ke-, ter-/te- (Palembang tebakar), ber-/be-, se-, per-/pe-, the
nasal prefixes meN-/peN- with their assimilation (mem-p, men-t, meng-k, meny-s) and the
colloquial bare nasals (nabrak, mukul, ngamuk, nyopet, nyiksa); suffixes -nya/-nyo
(Palembang), -lah, -kah, -kan, -an, -i, -in (Jakarta); reduplication written out
(pukul-pukul, dipukul2) is folded before this by the word splitter.
"""
from __future__ import annotations

from functools import lru_cache

VOWELS = set("aeiou")
MIN_ROOT = 4

SUFFIXES = ("nya", "nyo", "lah", "kah", "kan", "an", "in", "i")
# plain prefixes, longest first; the nasal ones are handled with their assimilation
PREFIXES = ("ter", "ber", "per", "di", "ke", "te", "be", "se", "pe")
# meN-/peN- (and the colloquial bare N-): the letters written, and the root's first
# letter they may have replaced ("" = nothing dropped: mendorong → dorong).
NASALS = (
    ("meny", ("s", "c")), ("peny", ("s", "c")), ("meng", ("k", "")), ("peng", ("k", "")),
    ("mem", ("p", "")), ("pem", ("p", "")), ("men", ("t", "")), ("pen", ("t", "")),
    ("me", ("",)), ("pe", ("",)),
    ("ny", ("s", "c")), ("ng", ("k", "")), ("m", ("p",)), ("n", ("t",)),
)


def _strip_suffixes(word: str) -> set[str]:
    out = {word}
    for _ in range(2):                           # -kannya, -annya: at most two
        for w in list(out):
            for s in SUFFIXES:
                if w.endswith(s) and len(w) - len(s) >= MIN_ROOT:
                    out.add(w[:-len(s)])
    return out


def _strip_prefixes(word: str) -> set[str]:
    out = set()
    for p in PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= MIN_ROOT:
            out.add(word[len(p):])
    for p, restored in NASALS:
        rest = word[len(p):]
        if not word.startswith(p) or len(rest) < MIN_ROOT - 1:
            continue
        if len(p) <= 2 and p not in ("me", "pe") and (
                rest[0] not in VOWELS or (p == "m" and rest[0] == "e")):
            continue       # bare N- only before a vowel (nabrak); m+e is the prefix me-
        for r in restored:
            if r and rest[0] not in VOWELS:
                continue   # a dropped consonant leaves a vowel: menabrak, not mentraktir
            if len(r + rest) >= MIN_ROOT:
                out.add(r + rest)
    return out


@lru_cache(maxsize=20000)
def roots(word: str) -> frozenset[str]:
    """The word itself and every root it may be built on (4+ letters)."""
    found = set()
    for w in _strip_suffixes(word):
        found.add(w)
        for p1 in _strip_prefixes(w):
            found.add(p1)
            # ke-ter-, di-per-, ber-ke-; never the same prefix twice (kekerasan ≠ ke-ke-rasan)
            found.update(r for r in _strip_prefixes(p1) if not w.startswith(p1[:2] * 2))
    return frozenset(r for r in found if len(r) >= MIN_ROOT)


def is_derived(word: str) -> bool:
    """True when the word carries an affix (it has a root other than itself)."""
    return len(roots(word)) > 1


# How Palembang/Malay and colloquial speech lower a standard vowel when writing it:
# a → e (sesek, tebel, tenggelem), u → o (jatoh, mabok, dipatok), i → e (kecik), a → o
# (tuo, dio). (SMS vowel, standard vowel) pairs.
LOWERED = {("e", "a"), ("o", "u"), ("e", "i"), ("o", "a")}


def vowel_variant(sms: str, word: str) -> bool:
    """Same length, same consonants in the same places, exactly one vowel written the
    regional way (LOWERED): sesek ~ sesak, jatoh ~ jatuh; masak is not masuk."""
    if len(sms) != len(word) or sms[0] != word[0]:
        return False
    diff = [(x, y) for x, y in zip(sms, word) if x != y]
    return len(diff) == 1 and diff[0] in LOWERED


def skeleton(word: str) -> str:
    """The first letter and the consonants: how SMS abbreviates (kebakaran → kbkrn)."""
    return word[0] + "".join(c for c in word[1:] if c not in VOWELS) if word else ""
