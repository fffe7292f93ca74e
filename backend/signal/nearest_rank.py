"""INTERIM nearest-rank percentile, until backend/kpi/measures.py (the lead's, on main) lands.

When it does, import its percentile function in backend/signal/service.py and delete this
file: the definition is the same (the contract's "p50/p90 nearest-rank").
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile: the smallest value with at least p % of the values
    at or below it (rank ceil(p/100 × n), 1-based, of the sorted values); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    # Exact arithmetic: 0.9 * 70 is 63.00000000000001 in floats, whose ceiling is 64.
    rank = max(1, math.ceil(Fraction(str(p)) * len(ordered) / 100))
    return ordered[rank - 1]
