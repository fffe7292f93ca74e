"""The weak-signal and coverage APIs: who may read them, what they answer, what they refuse."""
from __future__ import annotations

import pytest

from backend.extensions import db
from tests.backend.report_rows import add_report
from tests.helpers import Console, row_counts

SERASAN = "16.06.01.1010"
RANGE = "start=2026-11-01T00:00:00%2B07:00&end=2026-12-01T00:00:00%2B07:00"


@pytest.fixture
def month(app, staff):
    for delay in (60, 120, 700, 900, 1300):
        add_report(SERASAN, delay_s=delay)
    add_report(SERASAN, delay_s=99999, test=True)
    add_report(SERASAN, delay_s=99999, regency="1607")
    db.session.commit()


@pytest.mark.parametrize("path", ["/v1/operator/signal", "/v1/operator/coverage"])
def test_operators_may_not_read_the_monitoring_maps(client, staff, path):
    response = Console(client, "operator1").get(path)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_signal_map_for_the_supervisor_of_the_regency(client, month):
    body = Console(client, "supervisor").get(f"/v1/operator/signal?{RANGE}&min_count=5")
    assert body.status_code == 200, body.get_json()
    data = body.get_json()
    assert data["overall"] == {"count": 5, "p50_s": 700.0, "p90_s": 1300.0,
                               "over_threshold": 3, "share_over": 0.6}
    assert [(r["rank"], r["code"], r["count"]) for r in data["ranking"]] == [(1, SERASAN, 5)]
    assert data["desa"]["type"] == data["cells"]["type"] == "FeatureCollection"
    assert len(data["cells"]["features"]) == 1
    assert data["start"] == "2026-10-31T17:00:00+00:00"
    # Banyuasin's supervisor sees only Banyuasin's one report.
    other = Console(client, "supervisor-1607").get(f"/v1/operator/signal?{RANGE}").get_json()
    assert other["overall"]["count"] == 1 and other["ranking"] == []


def test_coverage_plan_for_the_admin(client, month):
    admin = Console(client, "admin")
    before = row_counts()
    response = admin.get(
        f"/v1/operator/coverage?{RANGE}&k=2&road_factor=1.5&speed_kmh=50&target_minutes=20")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["assumptions"]["road_factor"] == 1.5
    assert data["assumptions"]["speeds_kmh"] == {"default": 50.0}
    assert data["summary"]["demand"] == 5 and len(data["plans"]) == 2
    assert {p["name"] for p in data["posts"]} >= {"Pos Sekayu", "Pos Bayung Lencir"}
    # Serasan Jaya hosts the demo's Sekayu posts: nothing to save there.
    assert data["plans"][0]["sites"] == [] and data["plans"][0]["minutes_saved"] == 0
    assert row_counts() == before  # reading writes nothing


@pytest.mark.parametrize("query", [
    "start=2026-12-01T00:00:00Z&end=2026-11-01T00:00:00Z",   # start after end
    "start=2025-01-01T00:00:00Z&end=2026-11-01T00:00:00Z",   # longer than 400 days
    "start=yesterday",
    "resolution=20", "resolution=x", "threshold_s=0", "min_count=0", "rank_by=mean",
    "bogus=1",
])
def test_bad_signal_parameters_are_422(client, staff, query):
    response = Console(client, "supervisor").get("/v1/operator/signal?" + query)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("query", [
    "k=0", "k=11", "k=two", "road_factor=0.5", "speed_kmh=0", "target_minutes=-5",
    "agency_type=navy", "demand_point=centre", "objective=fastest",
    "start=2026-12-01T00:00:00Z&end=2026-11-01T00:00:00Z",
])
def test_bad_coverage_parameters_are_422(client, staff, query):
    response = Console(client, "supervisor").get("/v1/operator/coverage?" + query)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_error"
