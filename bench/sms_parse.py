"""Plain-text SMS parser on the corpus: category and desa accuracy, parse latency.

    ./dev bench sms_parse            # every set in tests/sms (SETS), one line each
    ./dev bench sms_parse --runs 20  # more latency samples

No database: the gazetteer is the regency's shipped areas (backend/places/data).
The corpus was written before the parser; the held-out set after it, before running it;
the second held-out set (holdout2) before the parser's morphology rules, and committed
first so history shows it was written blind; the third (holdout3) after those rules and
before running them on it, so it measures them on text they were not fitted to. Figures are printed per set and on their
union, which the tests hold to the goals.
Goals (issue 11): category ≥ 95 %, desa ≥ 90 % where one desa is named.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from backend.places.service import DEMO_SET
from backend.sms.text import Gazetteer, parse_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "sms" / "corpus.jsonl"
HOLDOUT = ROOT / "tests" / "sms" / "holdout.jsonl"
HOLDOUT2 = ROOT / "tests" / "sms" / "holdout2.jsonl"
HOLDOUT3 = ROOT / "tests" / "sms" / "holdout3.jsonl"
SETS = {"main": CORPUS, "holdout": HOLDOUT, "holdout2": HOLDOUT2, "holdout3": HOLDOUT3}
GOALS = {"category": 0.95, "desa": 0.90}


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def load_all() -> list[dict]:
    """Every set, ids prefixed by the set's name (they repeat between files)."""
    return [dict(row, id=f"{name}#{row['id']}") for name, path in SETS.items()
            for row in load(path)]


def gazetteer() -> Gazetteer:
    return Gazetteer.from_csv(DEMO_SET / "areas.csv")


def evaluate(rows: list[dict], gaz: Gazetteer) -> dict:
    """Accuracies over the rows and the messages missed.

    category: share of messages with the expected category. desa: share of messages that
    name one desa where it is found. no_false_desa: share of the others (no desa, or an
    ambiguous one) given no desa, with every expected candidate listed when ambiguous.
    """
    misses, cat_ok, desa_ok, named, other_ok, others = [], 0, 0, 0, 0, 0
    for row in rows:
        parsed = parse_text(row["text"], gaz)
        good_cat = parsed.category == row["category"]
        cat_ok += good_cat
        if row["desa"]:
            named += 1
            good_desa = parsed.desa is not None and parsed.desa.code == row["desa"]
            desa_ok += good_desa
        else:
            others += 1
            listed = {c.code for c in parsed.candidates}
            good_desa = parsed.desa is None and set(row.get("candidates", ())) <= listed
            other_ok += good_desa
        if not (good_cat and good_desa):
            misses.append({"id": row["id"], "text": row["text"],
                           "expected": [row["category"], row["desa"] or row.get("candidates")],
                           "got": [parsed.category, parsed.desa and parsed.desa.code,
                                   [c.code for c in parsed.candidates]]})
    return {"messages": len(rows), "category": cat_ok / len(rows),
            "desa": desa_ok / named if named else 1.0, "desa_named": named,
            "no_false_desa": other_ok / others if others else 1.0, "misses": misses}


def latency(rows: list[dict], gaz: Gazetteer, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        for row in rows:
            start = time.perf_counter()
            parse_text(row["text"], gaz)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()

    def rank(p):  # nearest rank
        return samples[max(0, -(-len(samples) * p // 100) - 1)]
    return {"samples": len(samples), "p50_ms": rank(50), "p95_ms": rank(95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    gaz = gazetteer()
    sets = [(name, load(path)) for name, path in SETS.items()]
    for name, rows in sets + [("all", load_all())]:
        result = evaluate(rows, gaz)
        print(f"{name}: {result['messages']} messages — category "
              f"{result['category']:.1%} (goal {GOALS['category']:.0%}), desa "
              f"{result['desa']:.1%} of {result['desa_named']} naming one "
              f"(goal {GOALS['desa']:.0%}), no false desa {result['no_false_desa']:.1%}")
        for miss in result["misses"] if name != "all" else ():
            print(f"   miss #{miss['id']}: {miss['text']!r} expected {miss['expected']} "
                  f"got {miss['got']}")
    rows = load_all()
    parse_text(rows[0]["text"], gaz)  # warm the lexicon cache out of the figures
    lat = latency(rows, gaz, args.runs)
    print(f"latency: {lat['samples']} parses, p50 {lat['p50_ms']:.2f} ms, "
          f"p95 {lat['p95_ms']:.2f} ms per message")


if __name__ == "__main__":
    main()
