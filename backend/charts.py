"""Charts as SVG text, drawn server-side with matplotlib: the monthly evaluation report and the
KPI console pages use the same four functions.

    time_series({"Triase p90": [(date, seconds), ...]}, title=..., y_label=..., target=60)
    histogram([12.0, 30.5, ...], title=..., x_label=..., target=60)
    bar_chart([("Sekayu", 42), ...], title=..., x_label=...)
    choropleth([(geojson_geometry, value_or_None), ...], title=..., legend=...)

Each returns a complete `<svg>` element (a str) to inline in HTML — or to hand to WeasyPrint,
which draws it as vectors in the PDF. Text stays text (`svg.fonttype: none`), so a screen
reader, a search and `pdftotext` read it, and the output is deterministic (fixed hash salt, no
date) so equal data gives equal bytes.

matplotlib's pyplot is never imported: figures are built with the object API and written by
the SVG canvas, so no GUI backend is ever chosen and no global figure list grows in a
long-running server. rcParams are global, though, hence one lock around each drawing.
"""
from __future__ import annotations

import io
import math
import threading
from datetime import date, datetime
from typing import Iterable, Mapping, Sequence

import matplotlib
import matplotlib.cm
import matplotlib.dates
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

# Colours from one palette so that a measure looks the same on every chart.
PALETTE = ("#1f5fa8", "#d9822b", "#2f8f46", "#b23b3b", "#6a4c93", "#6b7280")
TARGET_COLOUR = "#b23b3b"
NO_DATA_COLOUR = "#e5e7eb"
_RC = {
    "svg.fonttype": "none",          # text as <text>, not paths: searchable, small
    "svg.hashsalt": "siaga112",      # stable element ids: equal data, equal bytes
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
}
_LOCK = threading.Lock()
DEFAULT_SIZE = (7.0, 3.0)  # inches: fits an A4 page's text width with margins


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # Inline use: drop the XML prolog and DOCTYPE, keep the <svg> element.
    return text[text.index("<svg"):]


def _figure(size: tuple[float, float] | None) -> tuple[Figure, object]:
    fig = Figure(figsize=size or DEFAULT_SIZE, layout="constrained")
    return fig, fig.add_subplot()


def _title(ax, title: str | None) -> None:
    if title:
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold")


def _target_line(ax, target: float | None, label: str | None, *, vertical: bool) -> None:
    if target is None:
        return
    draw = ax.axvline if vertical else ax.axhline
    draw(target, color=TARGET_COLOUR, linestyle="--", linewidth=1, label=label or "target")


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#6b7280")
    ax.set_xticks([])
    ax.set_yticks([])


def time_series(series: Mapping[str, Sequence[tuple[date | datetime, float | None]]], *,
                title: str | None = None, y_label: str | None = None,
                target: float | None = None, target_label: str | None = None,
                no_data: str = "Tidak ada data", size: tuple[float, float] | None = None) -> str:
    """One line per named series of (day or time, value) points; None leaves a gap."""
    with _LOCK, matplotlib.rc_context(_RC):
        fig, ax = _figure(size)
        _title(ax, title)
        drawn = False
        for i, (name, points) in enumerate(series.items()):
            if not points:
                continue
            xs = [x for x, _ in points]
            ys = [math.nan if y is None else y for _, y in points]
            ax.plot(xs, ys, marker="o", markersize=2.5, linewidth=1.4,
                    color=PALETTE[i % len(PALETTE)], label=name)
            drawn = True
        if not drawn:
            _no_data(ax, no_data)
            return _svg(fig)
        _target_line(ax, target, target_label, vertical=False)
        if y_label:
            ax.set_ylabel(y_label)
        ax.set_ylim(bottom=0)
        fig.autofmt_xdate(rotation=0, ha="center")
        ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%d/%m"))
        if len(series) > 1 or target is not None:
            ax.legend(loc="upper left", frameon=False, fontsize=8)
        return _svg(fig)


def histogram(values: Iterable[float], *, title: str | None = None,
              x_label: str | None = None, bins: int | Sequence[float] = 20,
              target: float | None = None, target_label: str | None = None,
              no_data: str = "Tidak ada data", size: tuple[float, float] | None = None) -> str:
    """The distribution of `values` (e.g. seconds), with an optional target line."""
    values = [v for v in values if v is not None]
    with _LOCK, matplotlib.rc_context(_RC):
        fig, ax = _figure(size)
        _title(ax, title)
        if not values:
            _no_data(ax, no_data)
            return _svg(fig)
        ax.hist(values, bins=bins, color=PALETTE[0], edgecolor="white", linewidth=0.5)
        _target_line(ax, target, target_label, vertical=True)
        if x_label:
            ax.set_xlabel(x_label)
        if target is not None:
            ax.legend(loc="upper right", frameon=False, fontsize=8)
        return _svg(fig)


def bar_chart(bars: Sequence[tuple[str, float | None]], *, title: str | None = None,
              x_label: str | None = None, horizontal: bool = True,
              target: float | None = None, target_label: str | None = None,
              value_format: str = "{:g}", no_data: str = "Tidak ada data",
              size: tuple[float, float] | None = None) -> str:
    """One bar per (group, value), labelled with its value; horizontal bars read top-down in
    the given order (long desa names fit on the left)."""
    bars = [(label, value) for label, value in bars if value is not None]
    if size is None and horizontal:
        size = (DEFAULT_SIZE[0], max(1.6, 0.28 * len(bars) + 0.9))
    with _LOCK, matplotlib.rc_context(_RC):
        fig, ax = _figure(size)
        _title(ax, title)
        if not bars:
            _no_data(ax, no_data)
            return _svg(fig)
        labels = [label for label, _ in bars]
        values = [value for _, value in bars]
        positions = range(len(bars))
        if horizontal:
            drawn = ax.barh(positions, values, color=PALETTE[0], height=0.65)
            ax.set_yticks(list(positions), labels)
            ax.invert_yaxis()
            ax.grid(axis="y", visible=False)
            if x_label:
                ax.set_xlabel(x_label)
        else:
            drawn = ax.bar(positions, values, color=PALETTE[0], width=0.7)
            ax.set_xticks(list(positions), labels)
            ax.grid(axis="x", visible=False)
            if x_label:
                ax.set_ylabel(x_label)
        ax.bar_label(drawn, labels=[value_format.format(v) for v in values], padding=2,
                     fontsize=7)
        _target_line(ax, target, target_label, vertical=horizontal)
        if target is not None:
            ax.legend(loc="lower right", frameon=False, fontsize=8)
        return _svg(fig)


def _rings(geometry: Mapping) -> list[list[list[float]]]:
    """Every ring (outer and holes) of a GeoJSON Polygon or MultiPolygon."""
    kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        return list(coordinates)
    if kind == "MultiPolygon":
        return [ring for polygon in coordinates for ring in polygon]
    return []


def choropleth(shapes: Sequence[tuple[Mapping, float | None]], *, title: str | None = None,
               legend: str | None = None, cmap: str = "YlOrRd",
               vmin: float | None = None, vmax: float | None = None,
               no_data_label: str = "tanpa data", size: tuple[float, float] = (7.0, 6.0),
               labels: Sequence[tuple[float, float, str]] = ()) -> str:
    """Polygons (GeoJSON geometries in lon/lat) shaded by value; None is drawn grey (no data,
    distinct from zero). `labels` are (lon, lat, text) written on top, e.g. the worst desa."""
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import Normalize

    with _LOCK, matplotlib.rc_context(_RC | {"axes.grid": False}):
        fig, ax = _figure(size)
        _title(ax, title)
        values = [v for _, v in shapes if v is not None]
        norm = Normalize(vmin=min(values, default=0) if vmin is None else vmin,
                         vmax=max(values, default=1) if vmax is None else vmax)
        if norm.vmin == norm.vmax:
            norm.vmax = norm.vmin + 1
        colour_map = matplotlib.colormaps[cmap]
        polygons, faces = [], []
        for geometry, value in shapes:
            face = NO_DATA_COLOUR if value is None else colour_map(norm(value))
            for ring in _rings(geometry):
                polygons.append([(x, y) for x, y, *_ in ring])
                faces.append(face)
        if not polygons:
            _no_data(ax, no_data_label)
            return _svg(fig)
        ax.add_collection(PolyCollection(polygons, facecolors=faces, edgecolors="white",
                                         linewidths=0.3))
        ax.autoscale_view()
        # Near the equator a degree of longitude ≈ a degree of latitude: equal aspect is true
        # enough for a regency-sized map.
        ax.set_aspect("equal")
        ax.set_axis_off()
        for lon, lat, text in labels:
            ax.annotate(text, (lon, lat), fontsize=6.5, ha="center", va="center",
                        color="#111827")
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=colour_map)
        bar = fig.colorbar(mappable, ax=ax, shrink=0.6, pad=0.01)
        if legend:
            bar.set_label(legend)
        return _svg(fig)
