"""Draw an evaluation report: the figures (gather.py, from backend/kpi) through a Jinja template in Bahasa
Indonesia to HTML, charts and maps as inline SVG (backend/charts.py), and the same HTML to
PDF with WeasyPrint. Rendering needs no request: the CLI and the scheduler use it too."""
from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from pathlib import Path

import jinja2
import sqlalchemy as sa
from markupsafe import Markup

from backend import charts
from backend.extensions import db
from backend.i18n import category_label
from backend.kpi.measures import MEASURES
from backend.places.models import Area

TEMPLATES = Path(__file__).with_name("templates")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
CAUSES = {"timed_out": "unit tidak menjawab", "declined": "unit menolak",
          "unreachable": "kru tak terjangkau"}
CHANNELS = {"app": "aplikasi", "call": "telepon", "sms": "SMS"}
REASONS = {"prank": "iseng", "test": "uji coba", "invalid": "tidak valid"}
# The measures' definitions (backend/kpi/measures.py) as the report's readers read them.
DEFINITIONS = {
    "offline_delay": "Laporan dibuat di ponsel → diterima pusat (aplikasi; ukuran sinyal lemah; "
                     "panggilan suara tidak punya tunda ini).",
    "answer": "Laporan diterima → pertama kali dibuka operator (atau tindakan triase pertama).",
    "triage": "Laporan diterima → pertama kali dikonfirmasi, ditolak atau digabung operator.",
    "dispatch": "Kejadian dikonfirmasi → unit pertama dikirim.",
    "processing": "Laporan pertama kejadian diterima → unit pertama dikirim (NFPA 1221).",
    "acknowledgement": "Unit dikirim → kru mengonfirmasi di ponsel.",
    "travel": "Kru mengonfirmasi → tiba di lokasi (persiapan dan perjalanan).",
    "on_scene": "Tiba di lokasi → tugas selesai.",
    "total": "Laporan pertama dibuat di ponsel → unit pertama tiba di lokasi (yang dialami warga).",
}


def duration(seconds: float | None) -> str:
    """Seconds as people read them: "45 dtk", "3 mnt 20 dtk", "1 j 05 mnt"; "–" for none."""
    if seconds is None:
        return "–"
    s = round(seconds)
    if s < 120:
        return f"{s} dtk"
    if s < 3600:
        return f"{s // 60} mnt {s % 60:02d} dtk"
    return f"{s // 3600} j {s % 3600 // 60:02d} mnt"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


def local_date(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def period_title(kind: str, first: date, last: date) -> str:
    """"November 2026" for a month, "1–15 November 2026" style for any range (inclusive)."""
    if kind == "month":
        return f"{MONTHS[first.month - 1]} {first.year}"
    return f"{local_date(first)} – {local_date(last)}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(duration=duration, percent=percent, local_date=local_date,
                       category=lambda code: category_label(code, "id"))
    return env


_ENV = None


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:  # built on first use, not at import
        _ENV = _environment()
    return _ENV


def desa_shapes(regency_id: int) -> list[tuple[str, dict]]:
    """The regency's desa polygons for the maps (read before drawing, which needs no DB)."""
    rows = db.session.execute(sa.select(Area.code, Area.geojson).where(
        Area.regency_id == regency_id, Area.level == "desa", Area.geojson.is_not(None))).all()
    return [(code, json.loads(geojson)) for code, geojson in rows]


def _every_day(figures: dict, first: date, last: date) -> list[tuple[date, dict]]:
    """One row per day of the period: a day without reports is a zero, not a gap."""
    known = {d["day"]: d for d in figures["daily"]}
    empty = {"reports": 0, "processing_p90_s": None}
    return [(first + timedelta(days=n), known.get((first + timedelta(days=n)).isoformat(), empty))
            for n in range((last - first).days + 1)]


def _charts(figures: dict, shapes: list[tuple[str, dict]], period: dict) -> dict[str, Markup]:
    kpis = figures["kpis"]
    processing_target = kpis["processing"]["target_s"]
    days = _every_day(figures, period["first"], period["last"])
    x_range = (period["first"], period["last"])
    drawn = {
        "daily_reports": charts.time_series(
            {"laporan per hari": [(day, d["reports"]) for day, d in days]},
            title="Laporan per hari", y_label="laporan", x_range=x_range),
        "daily_processing": charts.time_series(
            {"waktu proses p90": [(day, d["processing_p90_s"]) for day, d in days]},
            title="Waktu proses p90 per hari (diterima → unit dikirim)", y_label="detik",
            x_range=x_range,
            target=processing_target,
            target_label=f"target {processing_target} dtk" if processing_target else None),
        "processing_histogram": charts.histogram(
            figures["processing_values"], title="Sebaran waktu proses", x_label="detik",
            target=processing_target,
            target_label=f"target {processing_target} dtk" if processing_target else None),
        "hours": charts.bar_chart(
            [(f"{h['hour']:02d}", h["count"]) for h in figures["busiest_hours"]],
            title="Laporan menurut jam (waktu setempat)", x_label="laporan",
            horizontal=False, size=(7.0, 2.4)),
        "categories": charts.bar_chart(
            [(category_label(c, "id"), n) for c, n in figures["summary"]["by_category"].items()],
            title="Laporan menurut kategori", x_label="laporan"),
        "workload": charts.bar_chart(
            [(u["unit"], u["dispatches"]) for u in figures["unit_workload"][:15]],
            title="Beban kerja unit (pengerahan)", x_label="pengerahan"),
    }
    if shapes:
        reports = figures["desa_reports"]
        delay = figures["desa_offline_p90"]
        drawn["map_reports"] = charts.choropleth(
            [(geometry, reports.get(code)) for code, geometry in shapes],
            title="Laporan per desa", legend="laporan", cmap="Blues", size=(7.0, 5.2))
        drawn["map_signal"] = charts.choropleth(
            [(geometry, None if delay.get(code) is None else delay[code] / 60)
             for code, geometry in shapes],
            title="Tunda sinyal p90 per desa (menit)", legend="menit", cmap="YlOrRd",
            size=(7.0, 5.2))
    return {name: Markup(svg) for name, svg in drawn.items()}


def render_html(*, figures: dict, shapes: list[tuple[str, dict]], title: str, period: dict,
                generated: dict, evaluation: dict | None = None) -> str:
    """The report as one self-contained HTML document (styles and SVG inline); pure CPU,
    no database."""
    measures = [{"name": m.name, "label": m.label["id"],
                 "definition": DEFINITIONS.get(m.name, m.definition)} for m in MEASURES]
    return environment().get_template("report.html").render(
        f=figures, title=title, period=period, generated=generated, measures=measures,
        measure_labels={m["name"]: m["label"] for m in measures},
        charts=_charts(figures, shapes, period), causes=CAUSES, channels=CHANNELS, reasons=REASONS,
        evaluation=evaluation or {})


class _SvgStyleNoise(logging.Filter):
    """WeasyPrint's CSS validator reports every SVG presentation property in a chart's style
    attributes (fill, stroke-dasharray…) as unknown, then draws them all the same: hundreds of
    warnings per report that would drown real ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "unknown property" not in record.getMessage()


def render_pdf(html: str) -> bytes:
    """The HTML drawn to PDF by WeasyPrint (imported here: it loads Pango on import)."""
    from weasyprint import HTML

    logger = logging.getLogger("weasyprint")
    if not any(isinstance(f, _SvgStyleNoise) for f in logger.filters):
        logger.addFilter(_SvgStyleNoise())
    return HTML(string=html).write_pdf()
