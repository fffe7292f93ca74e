"""The weak-signal map on constructed data: per-desa and per-cell percentiles, shares, the
ranking and its small-sample threshold, test traffic and voice calls left out."""
from __future__ import annotations

from datetime import timedelta

import h3
import pytest

from backend.extensions import db
from backend.places.service import demo_label_point
from backend.signal.service import weak_signal
from tests.backend.report_rows import DEC, NOV, add_report, regency_id

SERASAN = "16.06.01.1010"   # Kel. Serasan Jaya, Kec. Sekayu
BAYUNG = "16.06.09.1016"    # Kel. Bayung Lencir
SUKARAMI = "16.06.01.2001"  # Desa Sukarami, Kec. Sekayu
# Ten waits whose nearest-rank p50 is the 5th (300 s) and p90 the 9th (1200 s); five of them
# are above 10 minutes.
SERASAN_DELAYS = [60, 120, 180, 240, 300, 660, 720, 900, 1200, 3600]


@pytest.fixture
def month(app):
    """November 2026 with known waits, and everything that must not count."""
    for delay in SERASAN_DELAYS:
        add_report(SERASAN, delay_s=delay)
    for _ in range(5):
        add_report(BAYUNG, delay_s=700)                     # all over 10 min, p90 below Serasan
    for _ in range(3):
        add_report(SUKARAMI, delay_s=5000)                  # the longest, but only 3 reports
    add_report(SERASAN, delay_s=99999, test=True)           # test traffic
    add_report(SERASAN, delay_s=88888, source="call")       # voice calls do not queue offline
    add_report(SERASAN, delay_s=77777, received_at=NOV - timedelta(seconds=1))  # before
    add_report(SERASAN, delay_s=66666, received_at=DEC)     # the end is exclusive
    add_report(SERASAN, delay_s=55555, regency="1607")      # another regency
    add_report(None, delay_s=100, at=(-1.0, 100.0))         # outside the regency
    add_report(None, delay_s=100, located=False)            # no location at all
    db.session.commit()


def _desa(result, code):
    return next(f for f in result["desa"]["features"] if f["properties"]["code"] == code)


def test_per_desa_figures_are_nearest_rank_with_counts(app, month):
    result = weak_signal(regency_id(), NOV, DEC)
    serasan = _desa(result, SERASAN)["properties"]
    assert (serasan["count"], serasan["p50_s"], serasan["p90_s"]) == (10, 300, 1200)
    assert (serasan["over_threshold"], serasan["share_over"]) == (5, 0.5)
    assert serasan["label"] == "Kel. Serasan Jaya, Kec. Sekayu"
    assert _desa(result, SERASAN)["geometry"]["coordinates"] == list(
        reversed(demo_label_point(SERASAN)))
    bayung = _desa(result, BAYUNG)["properties"]
    assert (bayung["count"], bayung["p50_s"], bayung["p90_s"], bayung["share_over"]) == (
        5, 700, 700, 1.0)
    sukarami = _desa(result, SUKARAMI)["properties"]
    assert (sukarami["count"], sukarami["small_sample"], sukarami["ranked"]) == (3, True, False)
    # Every desa of the regency is there, the silent ones with count 0.
    assert len(result["desa"]["features"]) == 240
    quiet = _desa(result, "16.06.02.2005")["properties"]
    assert (quiet["count"], quiet["p50_s"], quiet["share_over"], quiet["small_sample"]) == (
        0, None, None, False)
    # Overall: 18 placed + 2 unplaced reports; nothing test, call, out of range or 1607.
    assert result["overall"]["count"] == 20
    assert (result["unplaced"], result["no_location"]) == (2, 1)
    assert result["overall"]["p90_s"] == 5000


def test_ranking_longest_wait_first_small_samples_left_out(app, month):
    result = weak_signal(regency_id(), NOV, DEC)
    assert [(r["rank"], r["code"], r["count"]) for r in result["ranking"]] == [
        (1, SERASAN, 10), (2, BAYUNG, 5)]
    # Lower the threshold and the three slow reports of Sukarami lead.
    ranked = weak_signal(regency_id(), NOV, DEC, min_count=3)["ranking"]
    assert [r["code"] for r in ranked] == [SUKARAMI, SERASAN, BAYUNG]
    # By share over the threshold, Bayung Lencir (all five) comes before Serasan (half).
    by_share = weak_signal(regency_id(), NOV, DEC, rank_by="share_over")["ranking"]
    assert [r["code"] for r in by_share] == [BAYUNG, SERASAN]


def test_threshold_is_configurable(app, month):
    result = weak_signal(regency_id(), NOV, DEC, threshold_s=1000)
    serasan = _desa(result, SERASAN)["properties"]
    assert (serasan["over_threshold"], serasan["share_over"]) == (2, 0.2)
    app.config["SIGNAL_WAIT_THRESHOLD_S"] = 100
    try:
        assert _desa(weak_signal(regency_id(), NOV, DEC), SERASAN)["properties"][
            "over_threshold"] == 9
    finally:
        app.config["SIGNAL_WAIT_THRESHOLD_S"] = 600


def test_h3_cells_of_known_points(app, month):
    result = weak_signal(regency_id(), NOV, DEC)
    assert result["resolution"] == 7
    cells = {f["properties"]["cell"]: f for f in result["cells"]["features"]}
    # The label points' cells (H3 v4, resolution 7), computed once by the h3 library.
    assert cells["878c8da76ffffff"]["properties"]["count"] == 10      # Serasan Jaya
    assert cells["878c8999cffffff"]["properties"]["p50_s"] == 700     # Bayung Lencir
    assert cells["878c8dae5ffffff"]["properties"]["small_sample"] is True  # Sukarami
    # The point outside the regency has a cell too; the report without a point has none.
    assert len(cells) == 4 and sum(f["properties"]["count"] for f in cells.values()) == 19
    ring = cells["878c8da76ffffff"]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7  # a closed hexagon, [lon, lat]
    lat, lon = demo_label_point(SERASAN)
    assert min(p[0] for p in ring) < lon < max(p[0] for p in ring)
    assert min(p[1] for p in ring) < lat < max(p[1] for p in ring)
    # Resolution 8: the same reports in the children of those cells.
    finer = weak_signal(regency_id(), NOV, DEC, resolution=8)["cells"]["features"]
    serasan8 = [f for f in finer if h3.cell_to_parent(f["properties"]["cell"], 7)
                == "878c8da76ffffff"]
    assert [f["properties"]["cell"] for f in serasan8] == ["888c8da76dfffff"]


def test_negative_wait_counts_as_none(app):
    add_report(SERASAN, delay_s=-30)
    db.session.commit()
    props = _desa(weak_signal(regency_id(), NOV, DEC), SERASAN)["properties"]
    assert (props["count"], props["p50_s"]) == (1, 0)
