"""Plain-text SMS from any phone → a category, the desa it names, and what else it might be.

    parse_text("KEBAKARAN rumah di desa Kayu Ara", gazetteer)
      → TextReport(category="fire", desa=AreaRef("16.06.01.1009", "Kayu Ara", …), …)

Pure: the caller passes a Gazetteer of the regency's areas (build it once per regency from
places' cached areas, `Gazetteer(regency_areas(id).areas.values())`, or from a CSV in
tests and benchmarks). Nothing here guesses: a name shared by several desa (Mekar Jaya is
in four kecamatan) or two villages named in one message give `desa=None` and ranked
`candidates` for the operator; unknown words give category "other" with confidence 0.

Keywords are matched as words are written in SMS: affixed forms through their roots
(backend.sms.morphology), regional vowels, vowel-less abbreviations, typos, one word slipped
inside a phrase. Two desa joined by atau/dan/vs after a place marker ("ke kayu ara atau
lais") are both candidates.

Place names are folded and scored by backend.places.names, the same functions as the
operators' place search.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rapidfuzz import fuzz, process

from backend.places.names import fold_name, fold_words, name_score
from backend.sms.lexicon import (ACT_WEIGHT, ANIMALS, COLLECTIVE, COLLISION_WEIGHT, CROWD,
                                 EMOJI, EVERYDAY, KEYWORDS, MOB_ROOTS, SLANG, VEHICLES,
                                 VERSUS, VICTIMS, VIOLENT_ACTS)
from backend.sms.morphology import is_derived, roots, skeleton, vowel_variant

OTHER = "other"

# A word before a name that says "this is a place": desa words are strong, prepositions weak.
DESA_MARKERS = {"desa", "ds", "dsa", "kel", "kelurahan", "dusun", "dsn", "kampung", "kp",
                "village"}
NEAR_MARKERS = {"di", "ke", "dari", "dekat", "dkt", "depan", "dpn", "sekitar", "arah",
                "wilayah", "daerah", "lokasi", "alamat", "perairan", "jalan", "jln", "jl", "dr",
                "near", "at", "in", "to"}
KEC_MARKERS = {"kec", "kecamatan", "kecmatan", "kcmtn"}
# Words that never start or sit inside a place name typed in an SMS.
STOP = DESA_MARKERS | NEAR_MARKERS | KEC_MARKERS | {
    "dan", "atau", "vs", "yang", "yg", "ada", "the", "and", "or", "rt", "rw", "no", "km",
    "tolong", "pak", "bu", "di"}
# Desa whose name is an everyday word: matched only after a marker ("desa Teluk").
COMMON_WORDS = {"teluk", "terusan", "pengaturan", "peninggalan", "babat", "layan", "napal",
                "telang", "kemang", "saut", "letang", "supat", "epil", "lais", "jirak"}
SEGMENT = re.compile(r"[,;!?\n()]+")
_RUN = re.compile(r"(.)\1{2,}")
_WORD = re.compile(r"[a-z0-9']+")
VOWELS = set("aeiou")
CONJUNCTIONS = {"dan", "atau", "and", "or", "vs", "sama", "ato"}

MARKED_MIN = 85.0     # a fuzzy name after a marker ("di lubuk bintalo")
UNMARKED_MIN = 88.0   # a fuzzy multi-word name anywhere ("simpng bayat")


# ---------------------------------------------------------------------------- results

@dataclass(frozen=True)
class AreaRef:
    """An area the text names: code, name, level, its kecamatan, and how well it matched."""

    code: str
    name: str
    level: str                 # "desa" or "kecamatan"
    kecamatan_code: str | None
    kecamatan: str | None
    score: float               # 0-100, name_score of the words typed


@dataclass(frozen=True)
class TextReport:
    """What a plain-text SMS says, for the report pipeline and the operator."""

    text: str                          # as received
    cleaned: str                       # folded words the parser read (slang expanded)
    category: str                      # a backend.categories code; "other" when unknown
    category_confidence: float         # 0-1; 0 for "other"
    keywords: tuple[str, ...]          # lexicon entries found, in text order
    desa: AreaRef | None               # one desa, or None (none named, or ambiguous)
    candidates: tuple[AreaRef, ...]    # when ambiguous: every desa it may be, best first
    kecamatan: AreaRef | None          # the kecamatan named or implied, if one


# ---------------------------------------------------------------------------- gazetteer

@dataclass(frozen=True)
class _Entry:
    code: str
    name: str
    level: str
    parent: str | None
    folded: str
    flat: str


class Gazetteer:
    """The regency's desa and kecamatan names, folded once for matching."""

    def __init__(self, areas: Iterable):
        """`areas`: objects or tuples with code, name, level, parent_code (places' Area rows,
        or (code, name, level, parent_code) tuples)."""
        entries = []
        for a in areas:
            code, name, level, parent = (a if isinstance(a, tuple) else
                                         (a.code, a.name, a.level, a.parent_code))
            if level in ("desa", "kecamatan"):
                folded = fold_name(name)
                entries.append(_Entry(code, name, level, parent, folded,
                                      folded.replace(" ", "")))
        self.entries = entries
        self.by_code = {e.code: e for e in entries}
        self._flats = [e.flat for e in entries]
        self.name_words = {w for e in entries for w in e.folded.split()}

    @classmethod
    def from_csv(cls, path: str | Path) -> "Gazetteer":
        with open(path, encoding="utf-8") as f:
            return cls((r["code"], r["name"], r["level"], r["parent_code"] or None)
                       for r in csv.DictReader(f))

    def ref(self, entry: _Entry, score: float) -> AreaRef:
        kec = self.by_code.get(entry.parent) if entry.level == "desa" else entry
        return AreaRef(entry.code, entry.name, entry.level, kec and kec.code,
                       kec and kec.name, round(score, 1))

    def best(self, words: list[str]) -> tuple[float, list[_Entry]]:
        """The entries whose name best matches these words (ties all kept)."""
        query = " ".join(words)
        flat = query.replace(" ", "")
        hits = process.extract(flat, self._flats, scorer=fuzz.ratio, score_cutoff=75,
                               limit=None)
        best, found = 0.0, []
        for _, _, i in hits:
            entry = self.entries[i]
            score = name_score(query, entry.folded, prefix=False)
            if score > best + 0.01:
                best, found = score, [entry]
            elif abs(score - best) <= 0.01:
                found.append(entry)
        return best, found


# ---------------------------------------------------------------------------- folding

def _words(text: str) -> list[str]:
    """SMS words for the lexicon: lower case, accents off, runs of 3+ letters squeezed
    (tolooong), reduplication digits off (kejang2), slang expanded (tdk → tidak)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    out = []
    for w in _WORD.findall(_RUN.sub(r"\1", text)):
        w = w.strip("'")
        if len(w) > 3 and w.endswith("2") and w[:-1].isalpha():
            w = w[:-1]
        out.extend(SLANG.get(w, w).split())
    return out


def _fuzzy_cutoff(word: str) -> float | None:
    if len(word) <= 4 or word.isdigit():
        return None          # short words only exactly: laka ≠ luka
    return 83.0 if len(word) <= 6 else 80.0


class _Lexicon:
    def __init__(self):
        self.phrases = sorted(
            ((tuple(p.split()), c, w) for c, entries in KEYWORDS.items() for p, w in entries),
            key=lambda x: -len(x[0]))
        self.vocab = sorted({w for p, _, _ in self.phrases for w in p}
                            | VIOLENT_ACTS | {v for v in VICTIMS if " " not in v})
        self._vocab_set = set(self.vocab)
        # A word's weight when it stands alone (the lowest of its one-word entries); words
        # only found inside phrases have none.
        self.weight: dict[str, float] = {}
        for phrase, _, w in self.phrases:
            if len(phrase) == 1:
                self.weight[phrase[0]] = min(w, self.weight.get(phrase[0], w))
        self.by_root: dict[str, set[str]] = {}
        for v in self.vocab:
            for r in roots(v):
                self.by_root.setdefault(r, set()).add(v)
        self.by_skeleton: dict[str, set[str]] = {}
        for v in self.vocab:
            if len(v) >= 5:
                self.by_skeleton.setdefault(skeleton(v), set()).add(v)
        self.everyday = EVERYDAY | {x for v in SLANG.values() for x in v.split()}
        self._cache: dict[str, dict[str, float]] = {}

    def matches(self, word: str) -> dict[str, float]:
        """Lexicon words this SMS word may be, with a quality: 1 exact, 0.9 the same root
        (ketabrak ~ tabrak), 0.8 a typo, a vowel spelled the regional way (sesek ~ sesak)
        or a vowel-less abbreviation (bnjr ~ banjir)."""
        if word in self._cache:
            return self._cache[word]
        found = {word: 1.0} if word in self._vocab_set else {}
        if not found and word not in self.everyday:
            found.update(self._derived(word))
            cutoff = _fuzzy_cutoff(word)
            if cutoff is not None:
                for cand, _, _ in process.extract(word, self.vocab, scorer=fuzz.ratio,
                                                  score_cutoff=cutoff, limit=5):
                    if cand[0] == word[0] and cand not in found and len(cand) > 4:
                        found[cand] = 0.8
            if len(word) >= 5:
                for cand in self.vocab:
                    if cand not in found and vowel_variant(word, cand):
                        found[cand] = 0.8
            if len(word) >= 4 and word.isalpha() and not VOWELS & set(word):
                for cand in self.by_skeleton.get(word, ()):
                    found.setdefault(cand, 0.8)
        self._cache[word] = found
        return found

    def _derived(self, word: str) -> dict[str, float]:
        """Lexicon words built on the same root as an affixed SMS word: kecopetan ~ copet,
        ngungsi ~ mengungsi. Of a root's family only the weakest standalone word counts
        (bakar-an is not kebakaran's 4: "bakar sampah" is no fire), phrase words all."""
        if not is_derived(word):
            return {}
        # a shared root of 4 letters only when it is a lexicon word itself (pendemo ~
        # demo): kerang and perang share "rang", which is no root
        family = {v for r in roots(word) if r != word and (len(r) >= 5 or r in
                                                          self._vocab_set)
                  for v in self.by_root.get(r, ())}
        alone = [self.weight[v] for v in family if v in self.weight]
        low = min(alone) if alone else None
        return {v: 0.9 for v in family if v not in self.weight or self.weight[v] == low}


_LEXICON = _Lexicon()


def _phrase_at(phrase: tuple, i: int, options: list, blocked: set[int]):
    """Where `phrase` matches from word i, and how well: its words in order, with at most
    one other word slipped in between (air sungai naik ~ air naik, ketuban sudah pecah ~
    ketuban pecah; a slipped word costs 0.9). None when it does not match."""
    q = options[i].get(phrase[0])
    if q is None or i in blocked:
        return None
    span, quality, j, gap = [i], q, i, False
    for word in phrase[1:]:
        j += 1
        if j < len(options) and j not in blocked and word in options[j]:
            q = options[j][word]
        elif (not gap and j + 1 < len(options) and j + 1 not in blocked
              and word in options[j + 1]):
            j, gap = j + 1, True
            q = options[j][word] * 0.9
        else:
            return None
        span.append(j)
        quality = min(quality, q)
    return range(i, j + 1), quality


def _categorise(text: str, words: list[str], skip: set[int]) -> tuple[str, float, tuple]:
    scores: dict[str, float] = {}
    keywords: list[tuple[int, str]] = []
    used = set(skip)
    options = [_LEXICON.matches(w) for w in words]
    # What an animal does is no crime and no riot ("sapi ngamuk", "gajah merusak kebun"):
    # the word after an animal is not read for those two.
    animal_acts = {i + 1 for i, w in enumerate(words) if w in ANIMALS}
    for phrase, category, weight in _LEXICON.phrases:
        for i in range(len(words) - len(phrase) + 1):
            if i in animal_acts and category in ("public_order", "riot"):
                continue
            hit = _phrase_at(phrase, i, options, used)
            if hit is None:
                continue
            span, quality = hit
            scores[category] = scores.get(category, 0.0) + weight * quality
            keywords.append((i, " ".join(phrase)))
            used.update(span)
            break  # a phrase counts once per message
    acts = [i for i, o in enumerate(options) if i not in used and i not in animal_acts
            and VIOLENT_ACTS & o.keys()]
    collisions = [i for i in range(1, len(words) - 1) if words[i] in VERSUS and
                  words[i - 1] in VEHICLES and words[i + 1] in VEHICLES]
    if collisions:  # "motor vs truk", "mobil lawan motor": a collision
        scores["accident"] = scores.get("accident", 0.0) + COLLISION_WEIGHT
        keywords.append((collisions[0], " ".join(words[collisions[0] - 1:
                                                       collisions[0] + 2])))
    victims = [i for i, w in enumerate(words) if i not in skip and
               (w in VICTIMS or (w.endswith("nya") and w[:-3] in VICTIMS))]
    crowd = [i for i, w in enumerate(words) if i not in skip and (
        w in CROWD or (w == "saling" and COLLECTIVE & set(words)))]
    mob = [i for i, w in enumerate(words) if i not in skip and MOB_ROOTS & roots(w)]
    if acts or (crowd and mob):
        target = ("violence_women_children" if acts and victims
                  else "riot" if crowd and (mob or acts) else "public_order")
        scores[target] = scores.get(target, 0.0) + ACT_WEIGHT[target]
        first = (acts or mob)[0]
        keywords.append((first, words[first]))
    for emoji, category in EMOJI.items():
        if emoji in text:
            scores[category] = scores.get(category, 0.0) + 2
            keywords.append((-1, emoji))
    if not scores:
        return OTHER, 0.0, ()
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], list(KEYWORDS).index(kv[0])))
    top, second = ranked[0][1], (ranked[1][1] if len(ranked) > 1 else 0.0)
    confidence = min(1.0, top / 4) * top / (top + second)
    return ranked[0][0], round(confidence, 2), tuple(k for _, k in sorted(keywords))


# ---------------------------------------------------------------------------- places

@dataclass
class _Mention:
    start: int
    end: int
    score: float
    marker: str | None            # "desa", "near", "kec" or None
    entries: list


def _place_mentions(text: str, gaz: Gazetteer) -> list[_Mention]:
    """Non-overlapping spans of the text that name areas, best coverage first."""
    found = []
    offset = 0
    for segment in SEGMENT.split(text):
        words = fold_words(segment)
        for i, first in enumerate(words):
            if first in STOP or first.isdigit():
                continue
            prev = words[i - 1] if i else None
            marker = ("desa" if prev in DESA_MARKERS else "kec" if prev in KEC_MARKERS
                      else "near" if prev in NEAR_MARKERS else None)
            if marker is None and prev in CONJUNCTIONS:
                # "di kayu ara atau lais", "desa toman dan sereka": a name joined to a
                # marked one by a conjunction is marked the same way.
                marker = next((m.marker for m in reversed(found)
                               if m.end == offset + i - 1 and m.marker), None)
            for n in range(1, 5):
                span = words[i:i + n]
                if len(span) < n or (n > 1 and (span[-1] in STOP and span[-1] not in
                                                gaz.name_words)):
                    break
                if any(w in STOP and w not in gaz.name_words for w in span[1:]) or any(
                        w.isdigit() and len(w) > 1 for w in span):
                    break
                score, entries = gaz.best(span)
                if not entries:
                    continue
                flat = "".join(span)
                if score < 99.5 and any(w in DESA_MARKERS or w in KEC_MARKERS
                                        for w in span):
                    continue  # only an exact name keeps a marker word: "pasar desa
                    # purwo agung" is no Pagar Desa
                if score >= 99.5:
                    ok = (marker is not None or n > 1 or len(entries[0].folded.split()) > 1
                          or (len(flat) >= 5 and flat not in COMMON_WORDS))
                elif marker is not None:
                    ok = score >= MARKED_MIN and len(flat) >= 5
                else:
                    ok = score >= UNMARKED_MIN and len(entries[0].folded.split()) > 1
                if ok:
                    found.append(_Mention(offset + i, offset + i + n, score, marker, entries))
        offset += len(words) + 1
    # Coverage decides between overlapping spans: "bailangu timur" (a typo of Baliangu
    # Timur) beats the exact but shorter "bailangu"; ties go to the exact, then the marked.
    found.sort(key=lambda m: (-(m.score / 100) * sum(len(e) for e in
                                                      m.entries[0].folded.split()),
                              -m.score, m.marker is None, m.start))
    taken: list[_Mention] = []
    for m in found:
        if all(m.end <= t.start or m.start >= t.end for t in taken):
            taken.append(m)
    return sorted(taken, key=lambda m: m.start)


def _resolve_places(mentions: list[_Mention], gaz: Gazetteer):
    kec_codes: set[str] = set()
    desa_mentions = []
    for m in mentions:
        desa = [e for e in m.entries if e.level == "desa"]
        kec = [e for e in m.entries if e.level == "kecamatan"]
        if m.marker == "kec" and kec:
            kec_codes.update(e.code for e in kec)
        elif desa and m.marker != "kec":
            desa_mentions.append((m, desa, kec))
        elif kec:
            kec_codes.update(e.code for e in kec)
    # A name that is both a kecamatan and its town (Sungai Lilin, Lais, Keluang) said
    # beside another desa of that kecamatan is the kecamatan: "Sumber Rejeki Sungai Lilin".
    if len(desa_mentions) > 1:
        keep = []
        for m, desa, kec in desa_mentions:
            others = [e for m2, d2, _ in desa_mentions if m2 is not m for e in d2]
            if kec and any(e.parent in {k.code for k in kec} for e in others):
                kec_codes.update(k.code for k in kec)
            else:
                keep.append((m, desa, kec))
        desa_mentions = keep
    resolved = []
    for m, desa, _ in desa_mentions:
        inside = [e for e in desa if e.parent in kec_codes]
        resolved.append((m, inside or desa))
    kecamatan = None
    if len(kec_codes) == 1:
        kecamatan = gaz.ref(gaz.by_code[next(iter(kec_codes))], 100.0)
    if len(resolved) == 1 and len(resolved[0][1]) == 1:
        m, (entry,) = resolved[0]
        desa_ref = gaz.ref(entry, m.score)
        if kecamatan is None:
            parent = gaz.by_code.get(entry.parent)
            kecamatan = parent and gaz.ref(parent, m.score)
        return desa_ref, (), kecamatan
    rank = {"desa": 0, "near": 1, None: 2, "kec": 3}
    ordered = sorted(resolved, key=lambda r: (-r[0].score, rank[r[0].marker], r[0].start))
    candidates = tuple(gaz.ref(e, m.score) for m, entries in ordered for e in entries)
    return None, candidates, kecamatan


# ---------------------------------------------------------------------------- entry point

def parse_text(text: str, gazetteer: Gazetteer) -> TextReport:
    """Read a plain-text emergency SMS: category, desa (or candidates) and the cleaned text."""
    text = text or ""
    mentions = _place_mentions(text, gazetteer)
    desa, candidates, kecamatan = _resolve_places(mentions, gazetteer)
    words = _words(text)
    skip = _name_positions(words, mentions, text)
    category, confidence, keywords = _categorise(text, words, skip)
    return TextReport(text=text, cleaned=" ".join(words), category=category,
                      category_confidence=confidence, keywords=keywords, desa=desa,
                      candidates=candidates, kecamatan=kecamatan)


def _name_positions(words: list[str], mentions: list[_Mention], text: str) -> set[int]:
    """Positions in `words` that belong to a place name (Gajah *Mati*, Pinang *Banjar*):
    they are never read as emergency words."""
    names = [fold_words(" ".join(fold_words(_segment_words(text, m)))) for m in mentions]
    skip: set[int] = set()
    for name in names:
        n = len(name)
        for i in range(len(words) - n + 1):
            if words[i:i + n] == name:
                skip.update(range(i, i + n))
    return skip


def _segment_words(text: str, m: _Mention) -> str:
    flat: list[str] = []
    for segment in SEGMENT.split(text):
        flat.extend(fold_words(segment))
        flat.append("")
    return " ".join(flat[m.start:m.end])
