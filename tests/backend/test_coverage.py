"""Coverage planning: the optimiser on instances whose optimum is known by construction (and
checked by brute force), the time estimate's road factor and speeds, demand that must not
count, and the solve time over the regency's 240 desa."""
from __future__ import annotations

import math
import random
import time

import pytest

from backend.coverage import optimise
from backend.coverage.service import coverage_plan
from backend.extensions import db
from backend.geo import distance_m
from backend.places.service import demo_label_point
from backend.units.models import Agency, Unit
from tests.backend.report_rows import DEC, NOV, add_report, regency_id

SERASAN = "16.06.01.1010"   # Kel. Serasan Jaya, Sekayu: the one post
SUKAJAYA = "16.06.09.2017"  # Desa Sukajaya, Bayung Lencir: ~117 km from Sekayu, the farthest
KARANG = "16.06.11.2002"    # Desa Karang Rejo: ~115 km, another far corner
SUKARAMI = "16.06.01.2001"  # Desa Sukarami, Sekayu: ~10 km from the post


# ---------------------------------------------------------------- the optimiser, pure maths

def _line(demand_x, weights, candidate_x, post_x):
    current = [min((abs(d - p) for p in post_x), default=math.inf) for d in demand_x]
    times = [[abs(d - c) for c in candidate_x] for d in demand_x]
    return weights, current, times


def test_p_median_beats_greedy_where_greedy_is_known_to_fail():
    # Two towns of 10 at x=0 and x=100 with a hamlet of 1 between them; the only post is far
    # away. One site: the middle (50+50 per town) is best. Two sites: greedy keeps the middle
    # and adds a town (total 500); the optimum is both towns (only the hamlet travels: 50).
    instance = _line([0, 100, 50], [10, 10, 1], [0, 50, 100], [-1000])
    one = optimise.solve(*instance, 1)
    assert (one.sites, one.weighted_minutes, one.status) == ((1,), 1000, "optimal")
    two = optimise.solve(*instance, 2)
    assert (two.sites, two.weighted_minutes) == ((0, 2), 50)
    greedy = optimise.greedy(*instance, 2)
    assert greedy.sites in ((0, 1), (1, 2)) and greedy.weighted_minutes == 500


def test_existing_posts_stay_and_useless_sites_are_not_opened():
    # Demand already at a post saves nothing from a new site: none is opened.
    instance = _line([0, 10], [5, 5], [40, 60], [0, 10])
    plan = optimise.solve(*instance, 2)
    assert plan.sites == () and plan.weighted_minutes == 0


def test_maximal_covering_covers_most_demand_then_least_minutes():
    # Target 10. One site: at 25 it covers the two demands at 20 and 30 (weight 3+3) where 0
    # covers the single demand of 5; among covering plans, 25 is the only one.
    instance = _line([0, 20, 30], [5, 3, 3], [0, 25], [100])
    cover = optimise.solve(*instance, 1, objective="cover", target=10)
    median = optimise.solve(*instance, 1)
    assert cover.sites == (1,) and median.sites == (0,)   # median: 5·0+3·20+3·30 = 150 < 175


def test_optimiser_equals_brute_force_and_never_loses_to_greedy():
    rnd = random.Random(112)
    for trial in range(25):
        n, m = rnd.randint(4, 12), rnd.randint(3, 8)
        demand = [(rnd.uniform(0, 60), rnd.uniform(0, 60)) for _ in range(n)]
        sites = [(rnd.uniform(0, 60), rnd.uniform(0, 60)) for _ in range(m)]
        posts = [] if trial % 5 == 0 else [(rnd.uniform(0, 60), rnd.uniform(0, 60))]
        weights = [rnd.choice([0, 1, 2, 7]) for _ in range(n)]
        current = [min((math.dist(d, p) for p in posts), default=math.inf) for d in demand]
        times = [[math.dist(d, s) for s in sites] for d in demand]
        for k in (1, 2, 3):
            best = optimise.brute_force(weights, current, times, k)
            plan = optimise.solve(weights, current, times, k)
            assert plan.status == "optimal"
            assert plan.weighted_minutes == pytest.approx(best.weighted_minutes, abs=1e-6)
            assert plan.weighted_minutes <= optimise.greedy(
                weights, current, times, k).weighted_minutes + 1e-9


# ---------------------------------------------------------------- the plan on real desa

def _post(at: str, agency_type: str = "fire_brigade", *, active: bool = True) -> None:
    agency = Agency(regency_id=regency_id(), type=agency_type, name=f"Uji {agency_type}")
    db.session.add(agency)
    db.session.flush()
    lat, lon = demo_label_point(at)
    db.session.add(Unit(regency_id=regency_id(), agency_id=agency.id, name=f"Unit {at}",
                        call_sign=f"U-{at[-4:]}-{agency_type[:3]}", post_name=f"Pos {at}",
                        lat=lat, lon=lon, active=active))


def _km(a: str, b: str) -> float:
    return distance_m(*demo_label_point(a), *demo_label_point(b)) / 1000


def _desa(plan, code):
    return next(d for d in plan["desa"] if d["code"] == code)


def test_estimate_uses_road_factor_and_speed(app):
    _post(SERASAN)
    _post(SUKAJAYA, active=False)  # a retired unit's post is no post
    db.session.commit()
    km = _km(SUKARAMI, SERASAN)
    plan = coverage_plan(regency_id(), NOV, DEC, 1)
    assert plan["assumptions"]["road_factor"] == 1.4 and "Perkiraan" in plan[
        "assumptions"]["estimate"]
    sukarami = _desa(plan, SUKARAMI)
    assert sukarami["distance_km"] == pytest.approx(km)
    assert sukarami["minutes"] == pytest.approx(km * 1.4 / 40 * 60)
    assert sukarami["nearest_post"] == f"Pos {SERASAN}"
    assert _desa(plan, SERASAN)["minutes"] == 0
    faster = coverage_plan(regency_id(), NOV, DEC, 1, road_factor=2.0, speed_kmh=60)
    assert _desa(faster, SUKARAMI)["minutes"] == pytest.approx(km * 2.0 / 60 * 60)
    far = _desa(plan, SUKAJAYA)
    assert far["minutes"] == pytest.approx(_km(SUKAJAYA, SERASAN) * 1.4 / 40 * 60)
    assert far["within_target"] is False
    # Per agency type, from the setting: a fire post drives at 50, a new health post at 60.
    app.config["COVERAGE_SPEED_KMH"] = "fire_brigade=50,health=60,default=30"
    try:
        typed = coverage_plan(regency_id(), NOV, DEC, 1)
        assert _desa(typed, SUKARAMI)["minutes"] == pytest.approx(km * 1.4 / 50 * 60)
        assert typed["assumptions"]["new_post_speed_kmh"] == 30
        health = coverage_plan(regency_id(), NOV, DEC, 1, agency_type="health")
        assert health["posts"] == [] and _desa(health, SUKARAMI)["minutes"] is None
        assert health["assumptions"]["new_post_speed_kmh"] == 60
    finally:
        app.config["COVERAGE_SPEED_KMH"] = "default=40"


def test_new_posts_go_where_the_demand_waits_longest(app):
    _post(SERASAN)
    for _ in range(6):
        add_report(SUKAJAYA)
    for _ in range(4):
        add_report(KARANG)
    for _ in range(3):
        add_report(SUKARAMI)
    # None of these is demand: were they counted, a post would go to Desa Lais.
    for status, test in (("received", True), ("rejected", False), ("merged", False)):
        for _ in range(50):
            add_report("16.06.02.2005", status=status, test=test)
    add_report(None, located=False)          # counted, but in no desa
    db.session.commit()
    plan = coverage_plan(regency_id(), NOV, DEC, 2)
    assert plan["summary"]["demand"] == 13 and plan["summary"]["unplaced_demand"] == 1
    assert _desa(plan, "16.06.02.2005")["demand"] == 0
    minutes = {code: _desa(plan, code)["minutes"] for code in (SUKAJAYA, KARANG, SUKARAMI)}
    assert plan["summary"]["weighted_minutes"] == pytest.approx(
        6 * minutes[SUKAJAYA] + 4 * minutes[KARANG] + 3 * minutes[SUKARAMI])
    one, two = plan["plans"]
    # One post: at Sukajaya itself (6 reports × ~204 min); two: Sukajaya and Karang Rejo.
    assert [s["code"] for s in one["sites"]] == [SUKAJAYA] and one["status"] == "optimal"
    assert one["minutes_saved"] == pytest.approx(6 * minutes[SUKAJAYA])
    assert sorted(s["code"] for s in two["sites"]) == sorted([SUKAJAYA, KARANG])
    assert two["minutes_saved"] == pytest.approx(6 * minutes[SUKAJAYA] + 4 * minutes[KARANG])
    assert sum(s["minutes_saved"] for s in two["sites"]) == pytest.approx(two["minutes_saved"])
    assert two["greedy_minutes_saved"] <= two["minutes_saved"] + 1e-6
    brought = {d["code"] for d in two["desa_brought_within_target"]}
    assert {SUKAJAYA, KARANG} <= brought and SUKARAMI not in brought
    assert two["demand_brought_within_target"] == 10
    assert plan["candidates"][0]["code"] == SUKAJAYA
    assert plan["summary"]["desa_outside_target"] > two["desa_outside_target_after"]


def test_no_post_at_all_still_proposes_sites(app):
    for _ in range(3):
        add_report(SUKARAMI)
    db.session.commit()
    plan = coverage_plan(regency_id(), NOV, DEC, 1)
    assert plan["posts"] == [] and plan["summary"]["mean_minutes"] is None
    assert [s["code"] for s in plan["plans"][0]["sites"]] == [SUKARAMI]
    assert plan["plans"][0]["minutes_saved"] is None
    assert plan["plans"][0]["mean_minutes_after"] == 0


def test_five_posts_over_the_whole_regency_solve_in_seconds(app):
    _post(SERASAN)
    _post("16.06.09.1016", "health")   # Bayung Lencir
    _post("16.06.07.1020", "police")   # Sungai Lilin
    rnd = random.Random(1606)
    codes = [f["properties"]["code"] for f in __import__("json").load(
        open(__import__("backend.places.service", fromlist=["DEMO_SET"]).DEMO_SET
             / "desa.geojson"))["features"]]
    for code in codes:
        for _ in range(rnd.choice([0, 1, 1, 2, 3, 5, 8])):
            add_report(code)
    db.session.commit()
    started = time.perf_counter()
    plan = coverage_plan(regency_id(), NOV, DEC, 5)
    elapsed = time.perf_counter() - started
    print(f"\ncoverage_plan k=1..5 over {len(plan['desa'])} desa: {elapsed:.2f} s "
          f"(CBC {plan['solver']['seconds']:.2f} s; per k "
          f"{[p['solve_s'] for p in plan['plans']]})")
    assert len(plan["desa"]) == 240 and [p["status"] for p in plan["plans"]] == ["optimal"] * 5
    saved = [p["minutes_saved"] for p in plan["plans"]]
    assert saved == sorted(saved)  # one more post never saves less
    assert all(p["minutes_saved"] >= p["greedy_minutes_saved"] - 1e-6 for p in plan["plans"])
    # ~5 s on an idle 2-core machine (~1 s per k); the bound leaves room for a busy CI
    # machine and still catches a model that grew tenfold.
    assert elapsed < 30
