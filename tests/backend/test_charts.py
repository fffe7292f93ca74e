"""backend/charts.py: SVG text with readable labels, deterministic, no data drawn as such."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from backend import charts

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
TWO_SQUARES = {"type": "MultiPolygon", "coordinates": [
    [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]], [[[2, 0], [3, 0], [3, 1], [2, 1], [2, 0]]]]}
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # well-formed XML, one <svg> element (inlined in HTML)
    assert root.tag == SVG + "svg"
    return ["".join(t.itertext()).strip() for t in root.iter(SVG + "text")]


def test_time_series_keeps_titles_labels_and_target_as_text():
    svg = charts.time_series(
        {"p90": [(date(2026, 11, d), 10.0 * d) for d in range(1, 31)],
         "p50": [(date(2026, 11, d), None if d == 3 else 5.0 * d) for d in range(1, 31)]},
        title="Waktu triase", y_label="detik", target=60, target_label="target 60 dtk")
    words = texts(svg)
    assert "Waktu triase" in words and "detik" in words
    assert {"p90", "p50", "target 60 dtk"} <= set(words)
    assert "01/11" in words or "02/11" in words  # day/month ticks


def test_equal_data_gives_equal_bytes_and_other_data_differs():
    one = charts.histogram([1, 2, 2, 3, 30], title="Sebaran", x_label="detik", target=15)
    assert one == charts.histogram([1, 2, 2, 3, 30], title="Sebaran", x_label="detik", target=15)
    assert one != charts.histogram([1, 2, 2, 3, 31], title="Sebaran", x_label="detik", target=15)
    assert "<?xml" not in one and one.startswith("<svg")


def test_bar_chart_writes_each_group_and_its_value():
    svg = charts.bar_chart([("Sekayu", 40), ("Kayuara", 12.5), ("Sungai Lilin", None)],
                           title="Laporan per kecamatan", x_label="laporan")
    words = texts(svg)
    assert {"Sekayu", "Kayuara", "40", "12.5"} <= set(words)
    assert "Sungai Lilin" not in words  # None is no bar, not a zero bar


def test_empty_inputs_say_no_data_instead_of_failing():
    for svg in (charts.time_series({"p90": []}, title="A"), charts.histogram([], title="B"),
                charts.bar_chart([], title="C"), charts.choropleth([], title="D")):
        assert any(w in ("Tidak ada data", "tanpa data") for w in texts(svg))


def test_choropleth_shades_values_and_greys_missing_data():
    svg = charts.choropleth([(SQUARE, 5.0), (TWO_SQUARES, None)], title="Peta",
                            legend="detik", labels=[(0.5, 0.5, "Desa A")])
    assert "Desa A" in texts(svg) and "detik" in texts(svg)
    fills = re.findall(r"fill: ?(#[0-9a-f]{6})", svg)
    assert fills.count(charts.NO_DATA_COLOUR) >= 2  # both rings of the MultiPolygon
    assert len(set(fills) - {charts.NO_DATA_COLOUR, "#ffffff"}) >= 1  # the shaded one
