"""Console pages Kinerja Layanan and Target Layanan, and the charts they show (server SVG)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from backend.extensions import db
from tests.helpers import Console
from tests.kpi.factory import known_month, make_cast
from tests.kpi.test_service import START, regency_id

RANGE = "start=2026-11-01&end=2026-12-01"


@pytest.fixture
def month(app, staff):
    known_month(regency_id(), START, make_cast(regency_id()))
    db.session.commit()


def test_who_sees_the_pages(client, staff):
    assert Console(client, "operator1").get("/console/kpi").status_code == 403
    operator_nav = client.get("/console/units").get_data(as_text=True)
    assert "Kinerja Layanan" not in operator_nav
    supervisor = Console(client.application.test_client(), "supervisor")
    page = supervisor.get("/console/kpi")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Kinerja Layanan" in html and 'id="kpi-table"' in html and "Waktu triase" in html
    assert supervisor.get("/console/admin/targets").status_code == 403
    admin = Console(client.application.test_client(), "admin")
    targets = admin.get("/console/admin/targets")
    assert targets.status_code == 200 and "Target Layanan" in targets.get_data(as_text=True)
    assert admin.get("/console/kpi").status_code == 200
    anonymous = client.application.test_client().get("/console/kpi")
    assert anonymous.status_code == 302 and "/console/login" in anonymous.headers["Location"]


@pytest.mark.parametrize("kind,extra,expected", [
    ("series", "", ["Waktu triase per hari", "p50", "p90", "target 90 % ≤ 60 s"]),
    ("histogram", "", ["Sebaran Waktu triase", "detik"]),
    ("bars", "&group_by=channel", ["Waktu triase p90 per kelompok", "Aplikasi", "Telepon"]),
])
def test_charts_are_svg_with_their_text(client, month, kind, extra, expected):
    supervisor = Console(client, "supervisor")
    response = supervisor.get(f"/console/kpi/chart.svg?kind={kind}&measure=triage&{RANGE}{extra}")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag.endswith("svg")
    text = " ".join(t.strip() for t in root.itertext() if t.strip())
    for words in expected:
        assert words in text, (words, text[:500])


def test_chart_in_minutes_and_in_english(client, month):
    supervisor = Console(client, "supervisor")
    response = supervisor.get(f"/console/kpi/chart.svg?kind=histogram&measure=on_scene&{RANGE}"
                              "&lang=en")
    text = " ".join(ET.fromstring(response.data).itertext())
    assert "On scene" in text and "minutes" in text


@pytest.mark.parametrize("query", [
    f"kind=pie&measure=triage&{RANGE}",
    f"kind=series&measure=speed&{RANGE}",
    "kind=series&measure=triage&start=2026-12-01&end=2026-11-01",
    f"kind=bars&measure=triage&{RANGE}&group_by=weekday",
])
def test_bad_chart_arguments_are_422(client, staff, query):
    response = Console(client, "supervisor").get(f"/console/kpi/chart.svg?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_operators_get_no_chart(client, staff):
    response = Console(client, "operator1").get(
        f"/console/kpi/chart.svg?kind=series&measure=triage&{RANGE}")
    assert response.status_code == 403
