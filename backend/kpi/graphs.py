"""The KPI page's charts, drawn by backend/charts.py (matplotlib → SVG) from the service's
figures: a measure's p50 and p90 per day, its distribution, and its p90 by group."""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from backend import charts
from backend.accounts.permissions import require
from backend.kpi.measures import MEASURE_BY_NAME, resolve_target
from backend.kpi.service import distribution, kpi_summary, regency_targets, resolve_range

KINDS = ("series", "histogram", "bars")
BARS_SHOWN = 20  # the slowest groups; the table has them all


def _scale(values) -> tuple[float, str]:
    """Seconds, or minutes when the figures run past ten minutes."""
    biggest = max((v for v in values if v is not None), default=0)
    return (60.0, _("menit")) if biggest > 600 else (1.0, _("detik"))


def kpi_chart(*, actor, kind: str, measure: str, start, end, group_by: str | None = None,
              lang: str = "id") -> str:
    """One chart as an <svg> document (supervisors and admins), in `lang` ("id" or "en")."""
    require(actor, "monitor")
    start, end = resolve_range(actor.regency_id, start, end)
    with force_locale(lang):
        return _chart(actor, kind, measure, start, end, group_by or "category", lang)


def _chart(actor, kind, measure, start, end, group_by, lang) -> str:
    definition = MEASURE_BY_NAME[measure]
    name = definition.label["en" if lang == "en" else "id"]
    target = resolve_target(measure, None, regency_targets(actor.regency_id))
    target_label = None if target is None else \
        _("target %(share)s %% ≤ %(seconds)s s", share=round(target.share * 100),
          seconds=target.seconds)
    no_data = _("Tidak ada data")
    if kind == "series":
        rows = [r for r in kpi_summary(actor.regency_id, start, end, "day", lang=lang)
                if r["measure"] == measure and r["count"]]
        factor, unit = _scale([r["p90_s"] for r in rows])
        points = lambda key: [(date.fromisoformat(r["group"]), r[key] / factor)  # noqa: E731
                              for r in rows]
        return charts.time_series(
            {"p50": points("p50_s"), "p90": points("p90_s")},
            title=_("%(measure)s per hari", measure=name), y_label=unit,
            target=None if target is None else target.seconds / factor,
            target_label=target_label, no_data=no_data)
    if kind == "histogram":
        values = distribution(actor.regency_id, start, end, measure)
        factor, unit = _scale(values)
        return charts.histogram(
            [v / factor for v in values], title=_("Sebaran %(measure)s", measure=name),
            x_label=unit, target=None if target is None else target.seconds / factor,
            target_label=target_label, no_data=no_data)
    rows = [r for r in kpi_summary(actor.regency_id, start, end, group_by, lang=lang)
            if r["measure"] == measure and r["count"]]
    rows = sorted(rows, key=lambda r: -r["p90_s"])[:BARS_SHOWN]
    factor, unit = _scale([r["p90_s"] for r in rows])
    return charts.bar_chart(
        [(r["label"] or "—", r["p90_s"] / factor) for r in rows],
        title=_("%(measure)s p90 per kelompok", measure=name), x_label=unit,
        target=None if target is None else target.seconds / factor, target_label=target_label,
        value_format="{:.0f}" if factor == 1 else "{:.1f}", no_data=no_data)
