"""The weak-signal map: offline delay (captured on the phone → received by us) per desa and per
H3 cell over a date range, and the ranked list of villages where SOS wait longest.

The measure is `offline_delay` of backend/kpi/measures.py (its percentile too): reports
of the phone channels (app; sms when it exists), test traffic never counted, in the range
by `received_at` (start inclusive, end exclusive). A report whose best capture-time estimate lies after its arrival (a clock
estimate off by seconds) counts as no wait, never a negative one. Percentiles are
nearest-rank; every figure comes with its count, and a desa or cell with fewer than
`min_count` reports is shown but never ranked (one unlucky report is not a pattern).

Grouping is pure Python over the desa code each report got at ingest and its own point, so
SQLite and PostgreSQL give identical answers; one indexed range read per call.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import h3
import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.accounts.permissions import require
from backend.extensions import db
from backend.kpi.measures import percentile
from backend.places.service import place_label, regency_areas
from backend.reports.models import Report

OFFLINE_DELAY_SOURCES = ("app", "sms")  # phones that queue offline; voice calls do not
RANK_KEYS = ("p90_s", "p50_s", "share_over")
H3_RESOLUTIONS = (5, 10)  # inclusive bounds a caller may ask for (≈250 km² … ≈0.015 km²)


def delay_stats(delays: list[float], threshold_s: float) -> dict:
    """count, p50_s, p90_s (nearest-rank), over_threshold and share_over (0-1, None if empty)."""
    delays = sorted(delays)
    over = sum(1 for d in delays if d > threshold_s)
    return {"count": len(delays), "p50_s": percentile(delays, 50),
            "p90_s": percentile(delays, 90), "over_threshold": over,
            "share_over": over / len(delays) if delays else None}


def offline_delays(regency_id: int, start: datetime, end: datetime) -> list[tuple]:
    """(desa_code, lat, lon, delay_s) of every counted report received in [start, end)."""
    rows = db.session.execute(
        sa.select(Report.desa_code, Report.lat, Report.lon, Report.captured_at,
                  Report.received_at)
        .where(Report.regency_id == regency_id, Report.test.is_(False),
               Report.source.in_(OFFLINE_DELAY_SOURCES),
               Report.received_at >= start, Report.received_at < end,
               Report.captured_at.is_not(None))).all()
    return [(r.desa_code, r.lat, r.lon,
             max(0.0, (r.received_at - r.captured_at).total_seconds())) for r in rows]


def _hexagon(cell: str) -> dict:
    ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [ring + ring[:1]]}


def _rank_key(rank_by: str):
    # Longest wait first; ties by the other figures, then more evidence, then code (stable).
    others = [k for k in RANK_KEYS if k != rank_by]
    return lambda p: (-p[rank_by], -p[others[0]], -p[others[1]], -p["count"], p["code"])


def weak_signal(regency_id: int, start: datetime, end: datetime, *,
                resolution: int | None = None, threshold_s: float | None = None,
                min_count: int | None = None, rank_by: str = "p90_s") -> dict:
    """Offline delay per desa (GeoJSON points at label points) and per H3 cell (GeoJSON
    hexagons), overall, and the desa ranked by `rank_by` (longest first) among those with at
    least `min_count` reports. Defaults: SIGNAL_H3_RESOLUTION, SIGNAL_WAIT_THRESHOLD_S,
    SIGNAL_MIN_COUNT. Desa without reports are listed with count 0."""
    config = current_app.config
    resolution = config["SIGNAL_H3_RESOLUTION"] if resolution is None else resolution
    threshold_s = config["SIGNAL_WAIT_THRESHOLD_S"] if threshold_s is None else threshold_s
    min_count = config["SIGNAL_MIN_COUNT"] if min_count is None else min_count
    if rank_by not in RANK_KEYS:
        raise ValueError(f"rank_by must be one of {RANK_KEYS}")

    rows = offline_delays(regency_id, start, end)
    by_desa: dict[str, list[float]] = defaultdict(list)
    by_cell: dict[str, list[float]] = defaultdict(list)
    unplaced = no_location = 0
    for desa_code, lat, lon, delay in rows:
        if desa_code:
            by_desa[desa_code].append(delay)
        else:
            unplaced += 1
        if lat is None or lon is None:
            no_location += 1
        else:
            by_cell[h3.latlng_to_cell(lat, lon, resolution)].append(delay)

    areas = regency_areas(regency_id).areas
    desa_features, ranked = [], []
    for code, area in areas.items():
        if area.level != "desa":
            continue
        kecamatan = areas.get(area.parent_code)
        stats = delay_stats(by_desa.get(code, []), threshold_s)
        props = {"code": code, "name": area.name, "kecamatan_code": area.parent_code,
                 "kecamatan": kecamatan.name if kecamatan else None,
                 "label": place_label(code, area.name, kecamatan.name if kecamatan else None),
                 **stats, "ranked": stats["count"] >= min_count and stats["count"] > 0,
                 "small_sample": 0 < stats["count"] < min_count}
        point = None if area.label_lat is None else {
            "type": "Point", "coordinates": [area.label_lon, area.label_lat]}
        desa_features.append({"type": "Feature", "properties": props, "geometry": point})
        if props["ranked"]:
            ranked.append(props)
    # Reports placed in a desa the regency no longer has (re-imported areas) still count.
    for code in sorted(set(by_desa) - {f["properties"]["code"] for f in desa_features}):
        unplaced += len(by_desa[code])

    ranked.sort(key=_rank_key(rank_by))
    ranking = [{"rank": i, **p} for i, p in enumerate(ranked, 1)]

    cell_features = []
    for cell in sorted(by_cell):
        stats = delay_stats(by_cell[cell], threshold_s)
        lat, lng = h3.cell_to_latlng(cell)
        cell_features.append({"type": "Feature", "geometry": _hexagon(cell), "properties": {
            "cell": cell, "center_lat": lat, "center_lon": lng, **stats,
            "ranked": stats["count"] >= min_count,
            "small_sample": stats["count"] < min_count}})

    return {"start": start, "end": end, "resolution": resolution, "threshold_s": threshold_s,
            "min_count": min_count, "rank_by": rank_by,
            "overall": delay_stats([r[3] for r in rows], threshold_s),
            "unplaced": unplaced, "no_location": no_location,
            "desa": {"type": "FeatureCollection", "features": desa_features},
            "cells": {"type": "FeatureCollection", "features": cell_features},
            "ranking": ranking}


def signal_map(*, actor: User, start: datetime, end: datetime, **options) -> dict:
    """The weak-signal map of the actor's regency (supervisors and admins)."""
    require(actor, "monitor")
    return weak_signal(actor.regency_id, start, end, **options)
