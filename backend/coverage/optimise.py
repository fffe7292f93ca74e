"""Where k new posts save the most: the p-median and the maximal-covering models, solved with
PuLP's bundled CBC, and the greedy heuristic they are checked against.

Plain numbers in, plain numbers out (no database): demand i has a weight w_i and a time to
its nearest existing post cur_i (math.inf where there is none); times[i][j] is its time to
candidate site j.

p-median with existing posts fixed: choose at most k candidates to minimise Σ w_i·min(cur_i,
min over chosen j of t_ij). Written in the radius form (Cornuéjols, Nemhauser & Wolsey; Elloumi
2010): for each demand, its distinct candidate times below cur_i sorted D_1 < … < D_H, and
z_h = "no chosen site within D_h", chained z_h ≥ z_{h-1} − Σ_{j: t_ij = D_h} y_j, z_0 = 1;
its time is D_1 + Σ_h (D_{h+1} − D_h)·z_h with D_{H+1} = cur_i. Same optimum as the textbook
assignment form, with one row per time level instead of one per (demand, site) pair, so 242
desa × 242 candidates solve in well under a second.

Maximal covering: choose at most k candidates to maximise the demand within the target
time; among the plans that cover the most, the one with the least demand-weighted time
(a second solve with the coverage fixed at its optimum).
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from itertools import combinations

import pulp

OBJECTIVES = ("median", "cover")
# A demand with no existing post must be served by a new site; this stands in for "never".
UNSERVED_MINUTES = 1e5


@dataclass(frozen=True)
class Plan:
    sites: tuple[int, ...]        # chosen candidate indices, ascending
    weighted_minutes: float       # Σ w_i·time_i after the plan (UNSERVED_MINUTES if unserved)
    status: str                   # "optimal", or the solver's word for anything else
    seconds: float                # wall time of the solve(s)


def served_times(current, times, sites) -> list[float]:
    """Each demand's time with the existing posts and `sites` open."""
    return [min([current[i]] + [times[i][j] for j in sites]) for i in range(len(current))]


def weighted_total(weights, current, times, sites) -> float:
    return sum(w * min(t, UNSERVED_MINUTES)
               for w, t in zip(weights, served_times(current, times, sites)))


def _solve(problem: pulp.LpProblem, time_limit: float) -> str:
    with warnings.catch_warnings():
        # PuLP 3.3 announces that 4.0 moves CBC out of the wheel (pulp[cbc]); it is pinned
        # below 4, where the bundled CBC is the supported default.
        warnings.simplefilter("ignore", DeprecationWarning)
        # The radius form's relaxation is nearly always integral: CBC's primal heuristics
        # only cost time (0.4 s of 0.8 s on the regency), branch and bound still proves.
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit,
                                   options=["heuristicsOnOff off"])
    problem.solve(solver)
    return pulp.LpStatus[problem.status].lower()


def _median_terms(problem, weights, current, times, y, name: str):
    """Add the radius-form rows for every demand; return the objective as (constant,
    [(variable, coefficient)]). Rows are built from coefficient lists, not operator
    expressions: ~8 000 rows for the regency take 0.1 s instead of 0.7 s."""
    constant, terms = 0.0, []
    for i, w in enumerate(weights):
        if w <= 0:
            continue
        cur = min(current[i], UNSERVED_MINUTES)
        levels: dict[float, list[int]] = {}
        for j, t in enumerate(times[i]):
            if t < cur:
                levels.setdefault(t, []).append(j)
        if not levels:
            constant += w * cur  # no candidate helps this demand
            continue
        ordered = sorted(levels)
        bounds = ordered[1:] + [cur]
        constant += w * ordered[0]
        previous = None  # z_0 = 1
        for h, (d, upper) in enumerate(zip(ordered, bounds)):
            z = problem.add_variable(f"{name}_{i}_{h}", 0, 1)
            # z_h - z_{h-1} + Σ y_j ≥ 0, and with z_0 = 1: z_1 + Σ y_j ≥ 1
            row = [(z, 1)] + [(y[j], 1) for j in levels[d]]
            if previous is not None:
                row.append((previous, -1))
            problem += pulp.LpConstraint(pulp.LpAffineExpression(row),
                                         pulp.LpConstraintGE, rhs=0 if previous is not None else 1)
            terms.append((z, w * (upper - d)))
            previous = z
    return constant, terms


def _cover_rows(problem, weights, current, times, y, target):
    """Covered-demand variables (those not already within target) and their rows."""
    covered = []
    for i, w in enumerate(weights):
        if w <= 0 or current[i] <= target:
            continue
        near = [j for j, t in enumerate(times[i]) if t <= target]
        if not near:
            continue
        c = problem.add_variable(f"c_{i}", cat="Binary")
        problem += c <= pulp.lpSum(y[j] for j in near)
        covered.append(w * c)
    return covered


def solve(weights, current, times, k: int, *, objective: str = "median",
          target: float | None = None, time_limit: float = 60) -> Plan:
    """The optimal set of at most k new sites for `objective` ("median" or "cover")."""
    started = time.perf_counter()
    m = len(times[0]) if times else 0
    if k <= 0 or m == 0:
        return Plan((), weighted_total(weights, current, times, ()), "optimal", 0.0)
    problem = pulp.LpProblem("coverage", pulp.LpMinimize)
    y = [problem.add_variable(f"y_{j}", cat="Binary") for j in range(m)]
    problem += pulp.lpSum(y) <= k
    if objective == "cover":
        if target is None:
            raise ValueError("the cover objective needs a target")
        first = pulp.LpProblem("cover", pulp.LpMaximize)
        first += pulp.lpSum(y) <= k
        covered = _cover_rows(first, weights, current, times, y, target)
        if covered:
            first += pulp.lpSum(covered)
            status = _solve(first, time_limit)
            if status != "optimal":
                return Plan((), math.nan, status, time.perf_counter() - started)
            best = pulp.value(pulp.lpSum(covered))
            kept = _cover_rows(problem, weights, current, times, y, target)
            problem += pulp.lpSum(kept) >= best - 1e-6
    elif objective != "median":
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    constant, terms = _median_terms(problem, weights, current, times, y, "z")
    problem += pulp.LpAffineExpression(terms, constant=constant)
    status = _solve(problem, time_limit)
    sites = [j for j in range(m) if (y[j].value() or 0) > 0.5]
    # A site that serves nobody costs nothing in the model, so the solver may open it:
    # drop such sites (the objective, and so optimality, is unchanged).
    for j in list(sites):
        rest = [s for s in sites if s != j]
        if weighted_total(weights, current, times, rest) <= weighted_total(
                weights, current, times, sites) and _covered(weights, current, times, rest,
                                                             target) >= _covered(
                weights, current, times, sites, target):
            sites = rest
    sites = tuple(sites)
    return Plan(sites, weighted_total(weights, current, times, sites), status,
                time.perf_counter() - started)


def _covered(weights, current, times, sites, target) -> float:
    if target is None:
        return 0.0
    return sum(w for w, t in zip(weights, served_times(current, times, sites)) if t <= target)


def greedy_order(weights, current, times, k: int) -> list[int]:
    """Add, k times, the site that saves the most given those already added (stopping when
    none saves anything): a heuristic, the baseline the optimiser must equal or beat. Its
    first n sites are its answer for n ≤ k."""
    m = len(times[0]) if times else 0
    best = [min(c, UNSERVED_MINUTES) for c in current]
    demands = [i for i, w in enumerate(weights) if w > 0]
    sites: list[int] = []
    for _ in range(min(k, m)):
        gains = [(sum(weights[i] * (best[i] - times[i][j]) for i in demands
                      if times[i][j] < best[i]), -j) for j in range(m) if j not in sites]
        gain, neg_j = max(gains)
        if gain <= 0:
            break
        sites.append(-neg_j)
        best = [min(b, times[i][-neg_j]) for i, b in enumerate(best)]
    return sites


def greedy(weights, current, times, k: int, order: list[int] | None = None) -> Plan:
    """The greedy heuristic's plan for k sites (`order`: a greedy_order for k or more)."""
    started = time.perf_counter()
    order = greedy_order(weights, current, times, k) if order is None else order
    chosen = tuple(sorted(order[:k]))
    return Plan(chosen, weighted_total(weights, current, times, chosen), "heuristic",
                time.perf_counter() - started)


def brute_force(weights, current, times, k: int) -> Plan:
    """Every set of exactly min(k, m) sites (small instances only: the tests' referee)."""
    started = time.perf_counter()
    m = len(times[0]) if times else 0
    best = min(combinations(range(m), min(k, m)),
               key=lambda s: (weighted_total(weights, current, times, s), s))
    return Plan(best, weighted_total(weights, current, times, best), "optimal",
                time.perf_counter() - started)


def single_site_savings(weights, current, times) -> list[float]:
    """For each candidate alone: the demand-weighted minutes it would save."""
    m = len(times[0]) if times else 0
    capped = [min(c, UNSERVED_MINUTES) for c in current]
    return [sum(w * max(0.0, capped[i] - times[i][j]) for i, w in enumerate(weights))
            for j in range(m)]
