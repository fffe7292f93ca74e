"""Coverage planning: an ESTIMATE of the response time per desa from the nearest post, the desa
outside the target time, and the best sites for one to k new posts.

The estimate, documented as such everywhere it is shown: straight-line (great-circle)
distance from the desa's demand point to the post × a road-distance factor
(COVERAGE_ROAD_FACTOR, default 1.4) ÷ an average speed (COVERAGE_SPEED_KMH, per agency type,
default 40 km/h). It is not a measured travel time (no road network, no rivers, no traffic);
it ranks places, it does not promise minutes. Measured travel times are the KPI `travel`.

* Posts: the posts of the regency's active units (retired units left out, duty ignored: a
  post exists whoever is on shift), one post per location; a post's speed is the fastest of
  its agency types (the first crew out leaves). `agency_type` narrows to one service (e.g.
  where would a new ambulance post help most).
* Demand per desa: its reports received in [start, end), test traffic, rejected reports
  (prank/test/invalid) and reports merged into another (the same emergency twice) left out.
* Demand point: the desa's label point (default), or the mean point of its located reports.
* Candidates for new posts: every desa's label point. The optimiser (backend/coverage/
  optimise.py, PuLP + CBC) solves each k from 1 to k on its own (the best 3 sites need not
  contain the best 2), p-median by default ("median": least demand-weighted minutes) or
  maximal covering ("cover": most demand within the target, then least minutes).
"""
from __future__ import annotations

import math
import time
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.accounts.permissions import require
from backend.coverage import optimise
from backend.extensions import db
from backend.geo import distance_m
from backend.places.service import place_label, regency_areas
from backend.reports.models import Report
from backend.units.models import Agency, Unit

DEMAND_POINTS = ("label", "reports")
NOT_DEMAND = ("rejected", "merged")
CANDIDATES_LISTED = 20
ESTIMATE_NOTE = ("Perkiraan: jarak garis lurus × faktor jalan ÷ kecepatan rata-rata, bukan "
                 "waktu tempuh terukur. / Estimate: straight-line distance × road factor ÷ "
                 "average speed, not a measured travel time.")


def speeds_kmh(setting: str | None = None) -> dict[str, float]:
    """COVERAGE_SPEED_KMH ("health=45,default=40") as {agency type or "default": km/h}."""
    text = current_app.config["COVERAGE_SPEED_KMH"] if setting is None else setting
    table = {key.strip(): float(value) for key, value in
             (item.split("=", 1) for item in text.replace(" ", "").split(",") if item)}
    table.setdefault("default", 40.0)
    return table


def _posts(regency_id: int, agency_type: str | None, speeds: dict[str, float]) -> list[dict]:
    query = (sa.select(Unit.post_name, Unit.lat, Unit.lon, Unit.call_sign, Agency.type)
             .join(Agency, Agency.id == Unit.agency_id)
             .where(Unit.regency_id == regency_id, Unit.active.is_(True))
             .order_by(Unit.post_name, Unit.call_sign))
    if agency_type:
        query = query.where(Agency.type == agency_type)
    posts: dict[tuple[float, float], dict] = {}
    for row in db.session.execute(query):
        post = posts.setdefault((round(row.lat, 6), round(row.lon, 6)), {
            "name": row.post_name, "lat": row.lat, "lon": row.lon, "agency_types": [],
            "units": []})
        post["units"].append(row.call_sign)
        if row.type not in post["agency_types"]:
            post["agency_types"].append(row.type)
    for post in posts.values():
        post["speed_kmh"] = max(speeds.get(t, speeds["default"]) for t in post["agency_types"])
    return list(posts.values())


def _demand(regency_id: int, start: datetime, end: datetime) -> dict[str, tuple]:
    """{desa_code: (reports, mean lat or None, mean lon or None)} over the range."""
    rows = db.session.execute(
        sa.select(Report.desa_code, sa.func.count(), sa.func.avg(Report.lat),
                  sa.func.avg(Report.lon))
        .where(Report.regency_id == regency_id, Report.test.is_(False),
               Report.status.not_in(NOT_DEMAND), Report.desa_code.is_not(None),
               Report.received_at >= start, Report.received_at < end)
        .group_by(Report.desa_code)).all()
    return {r[0]: (int(r[1]), r[2], r[3]) for r in rows}


def _unplaced_demand(regency_id: int, start: datetime, end: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Report).where(
            Report.regency_id == regency_id, Report.test.is_(False),
            Report.status.not_in(NOT_DEMAND), Report.desa_code.is_(None),
            Report.received_at >= start, Report.received_at < end))


def _minutes(km: float, road_factor: float, speed_kmh: float) -> float:
    return km * road_factor / speed_kmh * 60


def _nullable(value: float) -> float | None:
    return None if math.isinf(value) or math.isnan(value) else value


def coverage_plan(regency_id: int, start: datetime, end: datetime, k: int = 3, *,
                  road_factor: float | None = None, speed_kmh: float | None = None,
                  target_minutes: float | None = None, agency_type: str | None = None,
                  demand_point: str = "label", objective: str = "median") -> dict:
    """Estimated minutes per desa from the nearest post, the desa outside the target, and
    the optimal 1..k new post sites with the demand-weighted minutes they save.

    Defaults from COVERAGE_ROAD_FACTOR, COVERAGE_SPEED_KMH (speed_kmh, when given, is the one
    speed for every post and candidate) and COVERAGE_TARGET_MINUTES."""
    config = current_app.config
    road_factor = config["COVERAGE_ROAD_FACTOR"] if road_factor is None else road_factor
    target = config["COVERAGE_TARGET_MINUTES"] if target_minutes is None else target_minutes
    speeds = {"default": float(speed_kmh)} if speed_kmh is not None else speeds_kmh()
    new_speed = speeds.get(agency_type, speeds["default"]) if agency_type else speeds["default"]
    if demand_point not in DEMAND_POINTS:
        raise ValueError(f"demand_point must be one of {DEMAND_POINTS}")
    if objective not in optimise.OBJECTIVES:
        raise ValueError(f"objective must be one of {optimise.OBJECTIVES}")

    posts = _posts(regency_id, agency_type, speeds)
    demand = _demand(regency_id, start, end)
    areas = regency_areas(regency_id).areas
    desa_rows = [a for a in areas.values() if a.level == "desa" and a.label_lat is not None]

    desa, weights, current = [], [], []
    for area in desa_rows:
        count, mean_lat, mean_lon = demand.get(area.code, (0, None, None))
        lat, lon = (mean_lat, mean_lon) if demand_point == "reports" and mean_lat is not None \
            else (area.label_lat, area.label_lon)
        best = (math.inf, math.inf, None)
        for post in posts:
            km = distance_m(lat, lon, post["lat"], post["lon"]) / 1000
            minutes = _minutes(km, road_factor, post["speed_kmh"])
            best = min(best, (minutes, km, post["name"]), key=lambda b: (b[0], b[1]))
        kecamatan = areas.get(area.parent_code)
        desa.append({"code": area.code, "name": area.name, "kecamatan_code": area.parent_code,
                     "kecamatan": kecamatan.name if kecamatan else None,
                     "label": place_label(area.code, area.name,
                                          kecamatan.name if kecamatan else None),
                     "lat": lat, "lon": lon, "demand": count,
                     "distance_km": _nullable(best[1]),
                     "road_km": _nullable(best[1] * road_factor),
                     "minutes": _nullable(best[0]), "nearest_post": best[2],
                     "within_target": best[0] <= target})
        weights.append(count)
        current.append(best[0])

    times = [[_minutes(distance_m(d["lat"], d["lon"], c.label_lat, c.label_lon) / 1000,
                       road_factor, new_speed) for c in desa_rows] for d in desa]
    started = time.perf_counter()
    order = optimise.greedy_order(weights, current, times, k) \
        if desa and objective == "median" else []
    plans = [_plan(kk, desa, desa_rows, areas, weights, current, times, target, objective,
                   order) for kk in range(1, k + 1)] if desa else []
    solve_s = time.perf_counter() - started
    savings = optimise.single_site_savings(weights, current, times) if desa else []
    ranked = sorted(range(len(savings)), key=lambda j: (-savings[j], desa_rows[j].code))
    has_posts = bool(posts)
    total_demand = sum(weights)
    weighted = sum(w * c for w, c in zip(weights, current) if w) if has_posts else None
    return {
        "start": start, "end": end, "k": k, "objective": objective,
        "assumptions": {"road_factor": road_factor, "speeds_kmh": speeds,
                        "new_post_speed_kmh": new_speed, "target_minutes": target,
                        "demand_point": demand_point, "agency_type": agency_type,
                        "estimate": ESTIMATE_NOTE},
        "posts": posts, "desa": desa,
        "summary": {"demand": total_demand,
                    "unplaced_demand": _unplaced_demand(regency_id, start, end),
                    "weighted_minutes": weighted,
                    "mean_minutes": weighted / total_demand if weighted is not None
                    and total_demand else None,
                    "desa_outside_target": sum(1 for d in desa if not d["within_target"]),
                    "demand_outside_target": sum(d["demand"] for d in desa
                                                 if not d["within_target"])},
        "plans": plans,
        "candidates": [_site(desa_rows[j], areas, savings[j] if has_posts else None)
                       for j in ranked[:CANDIDATES_LISTED] if savings[j] > 0],
        "solver": {"name": "CBC (PuLP " + optimise.pulp.__version__ + ")",
                   "seconds": round(solve_s, 3)},
    }


def _site(area, areas, minutes_saved) -> dict:
    kecamatan = areas.get(area.parent_code)
    return {"code": area.code, "name": area.name,
            "label": place_label(area.code, area.name, kecamatan.name if kecamatan else None),
            "lat": area.label_lat, "lon": area.label_lon, "minutes_saved": minutes_saved}


def _plan(k, desa, desa_rows, areas, weights, current, times, target, objective,
          greedy_order) -> dict:
    plan = optimise.solve(weights, current, times, k, objective=objective, target=target)
    heuristic = optimise.greedy(weights, current, times, k, greedy_order) \
        if objective == "median" else None
    after = optimise.served_times(current, times, plan.sites)
    has_posts = not any(math.isinf(c) for c in current)
    per_site = {j: 0.0 for j in plan.sites}
    for i, t in enumerate(after):
        site = min(plan.sites, key=lambda j: (times[i][j], j)) if plan.sites else None
        if site is not None and times[i][site] < current[i] and weights[i]:
            per_site[site] += weights[i] * (min(current[i], optimise.UNSERVED_MINUTES) - t)
    before_total = sum(w * c for w, c in zip(weights, current)) if has_posts else None
    brought = [d for d, c, t in zip(desa, current, after) if c > target >= t]
    total_demand = sum(weights)
    return {
        "k": k, "status": plan.status, "solve_s": round(plan.seconds, 3),
        "sites": [_site(desa_rows[j], areas, per_site[j] if has_posts else None)
                  for j in plan.sites],
        "weighted_minutes_after": plan.weighted_minutes,
        "mean_minutes_after": plan.weighted_minutes / total_demand if total_demand else None,
        "minutes_saved": before_total - plan.weighted_minutes if has_posts else None,
        # Greedy heuristics minimise minutes: a yardstick for the median objective only.
        "greedy_minutes_saved": before_total - heuristic.weighted_minutes
        if has_posts and objective == "median" else None,
        "desa_brought_within_target": [{"code": d["code"], "name": d["name"],
                                        "label": d["label"], "demand": d["demand"]}
                                       for d in brought],
        "demand_brought_within_target": sum(d["demand"] for d in brought),
        "desa_outside_target_after": sum(1 for t in after if t > target),
    }


def coverage_map(*, actor: User, start: datetime, end: datetime, k: int, **options) -> dict:
    """The coverage plan of the actor's regency (supervisors and admins)."""
    require(actor, "monitor")
    return coverage_plan(actor.regency_id, start, end, k, **options)
