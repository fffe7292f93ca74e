"""The figures of an evaluation report for one regency and period, as plain JSON-able data.

Every figure comes from where the rest of Siaga112 gets it, so the report, the KPI pages and
the board never disagree:
- durations, counts, p50/p90, targets and compliance, busiest hours, the slowest desa, unit
  workload, escalations and undelivered alerts: backend/kpi/service.py (kpi_summary by group,
  counts, unit_workload, distribution, previous_period/compare — see docs/kpi.md);
- the weak-signal villages: backend/signal (its ranking and threshold);
- the coverage recommendation: backend/coverage (its estimate and optimiser).
This module only picks and shapes them for the report's sections. Test traffic never counts.
"""
from __future__ import annotations

from datetime import datetime

from backend.coverage.service import coverage_plan
from backend.kpi import service as kpi
from backend.regencies.models import Regency
from backend.signal.service import weak_signal

COVERAGE_SITES = 3  # the recommendation's new posts (the coverage page goes further)
TOP = 10
LANG = "id"  # the report is written in Bahasa Indonesia
# Escalation causes as counted by kpi.counts(), in the order the report lists them.
CAUSES = ("timed_out", "declined", "unreachable")
FIGURE_KEYS = ("count", "open", "p50_s", "p90_s", "target_s", "target_share",
               "target_source", "compliance", "met")


def _kpis(rows: list[dict]) -> dict[str, dict]:
    """kpi_summary rows without grouping → {measure: figures}."""
    return {row["measure"]: {k: row[k] for k in FIGURE_KEYS} for row in rows}


def _flat(breakdown: list[dict]) -> dict:
    """A counts() breakdown → {key: count}, in its order, zero entries left out."""
    return {row["key"]: row["count"] for row in breakdown if row["count"]}


def _slowest_desa(regency_id: int, start: datetime, end: datetime) -> list[dict]:
    """What the citizen lives through (measure `total`, captured → first unit on scene) by
    desa, longest p90 first; the group of incidents without a desa is listed too."""
    rows = [r for r in kpi.kpi_summary(regency_id, start, end, "desa", lang=LANG)
            if r["measure"] == "total" and r["count"]]
    slowest = [{"desa_code": r["group"], "desa": r["label"], "count": r["count"],
                "p50_s": r["p50_s"], "p90_s": r["p90_s"]} for r in rows]
    slowest.sort(key=lambda row: (-row["p90_s"], -row["count"], row["desa"]))
    return slowest


def _daily(regency_id: int, start: datetime, end: datetime, counts: dict) -> list[dict]:
    """Reports per local day (counts) and the processing p90 of the day's incidents."""
    processing = {r["group"]: r["p90_s"]
                  for r in kpi.kpi_summary(regency_id, start, end, "day", lang=LANG)
                  if r["measure"] == "processing"}
    reports = {row["key"]: row["count"] for row in counts["by_day"]}
    return [{"day": day, "reports": reports.get(day, 0),
             "processing_p90_s": processing.get(day)}
            for day in sorted(set(reports) | set(processing))]


def _workload(regency_id: int, start: datetime, end: datetime) -> list[dict]:
    return [{"unit_id": u["unit_id"], "unit": u["unit"], "agency": u["agency"] or "",
             "dispatches": u["dispatches"], "completed": u["completed"],
             "timed_out": u["timed_out"], "declined": u["declined"],
             "ack_p90_s": u["acknowledgement_p90_s"],
             "on_scene_hours": round(u["on_scene_s"] / 3600, 1)}
            for u in kpi.unit_workload(regency_id, start, end, lang=LANG)]


def gather(*, regency: Regency, start: datetime, end: datetime,
           previous: tuple[datetime, datetime] | None = None) -> dict:
    """Everything the report shows for [start, end), and the KPIs of `previous` to compare
    (kpi.previous_period(start, end) when not given: the same length just before)."""
    rid = regency.id
    tz = kpi.regency_timezone(rid)
    kpis = _kpis(kpi.kpi_summary(rid, start, end, lang=LANG))
    previous = previous or kpi.previous_period(start, end)
    previous_kpis = _kpis(kpi.kpi_summary(rid, *previous, lang=LANG))
    counts = kpi.counts(rid, start, end, lang=LANG)

    summary = {
        "reports": counts["reports"],
        "by_channel": _flat(counts["by_channel"]),
        "by_category": _flat(counts["by_category"]),
        "confirmed": counts["confirmed"],
        "rejected": counts["rejected"],
        "rejected_by_reason": {k: n for k, n in counts["rejections"].items() if n},
        "merged": counts["merged"],
        "awaiting": counts["awaiting"],
        "silent": counts["silent"],
        "no_location": counts["no_location"],
        "outside_regency": counts["outside_regency"],
        "flooded": counts["flooded"],
        "incidents": counts["incidents"],
        # Incidents with no dispatch yet are the dispatch measure's open items.
        "never_dispatched": kpis["dispatch"]["open"],
        "dispatches": counts["dispatches"],
        "undelivered_alerts": counts["undelivered_alerts"],
        "test_excluded": counts["test_reports_excluded"],
    }
    escalations = {"total": counts["escalated"],
                   "by_cause": {c: counts["escalations"][c] for c in CAUSES
                                if counts["escalations"][c]},
                   "by_agency": {row["label"] or "": row["count"]
                                 for row in counts["escalations_by_agency"]}}

    signal = weak_signal(rid, start, end, rank_by="share_over")
    weak = [{"desa_code": row["code"], "desa": row["label"], "count": row["count"],
             "p50_s": row["p50_s"], "p90_s": row["p90_s"], "over": row["over_threshold"],
             "share_over": row["share_over"]} for row in signal["ranking"]]
    desa_offline_p90 = {f["properties"]["code"]: f["properties"]["p90_s"]
                        for f in signal["desa"]["features"] if f["properties"]["count"]}

    return {
        "regency": {"id": rid, "code": regency.code, "name": regency.name,
                    "timezone": str(tz)},
        "summary": summary,
        "kpis": kpis,
        "previous_kpis": previous_kpis,
        "category_targets": kpi.category_targets(rid),
        "slowest_desa": _slowest_desa(rid, start, end)[:TOP],
        "busiest_hours": [{"hour": row["key"], "count": row["count"]}
                          for row in counts["by_hour"]],
        "weak_signal": weak[:TOP],
        "signal": {"threshold_s": signal["threshold_s"], "min_count": signal["min_count"],
                   "overall": signal["overall"]},
        "coverage": _coverage(rid, start, end),
        "unit_workload": _workload(rid, start, end),
        "escalations": escalations,
        "daily": _daily(rid, start, end, counts),
        "processing_values": kpi.distribution(rid, start, end, "processing"),
        "desa_reports": {k: n for k, n in _flat(counts["by_desa"]).items() if k},
        "desa_offline_p90": desa_offline_p90,
    }


def _coverage(regency_id: int, start: datetime, end: datetime) -> dict:
    """Where new posts would save the most minutes (backend/coverage: an estimate from
    distances, with its assumptions), for the report's recommendation."""
    plan = coverage_plan(regency_id, start, end, k=COVERAGE_SITES)
    best = plan["plans"][-1] if plan["plans"] else None
    return {"target_minutes": plan["assumptions"]["target_minutes"],
            "road_factor": plan["assumptions"]["road_factor"],
            "estimate": plan["assumptions"]["estimate"],
            "desa_outside_target": plan["summary"]["desa_outside_target"],
            "demand_outside_target": plan["summary"]["demand_outside_target"],
            "demand": plan["summary"]["demand"],
            "sites": [{"label": site["label"], "minutes_saved": site["minutes_saved"]}
                      for site in (best["sites"] if best else [])],
            "minutes_saved": best["minutes_saved"] if best else None,
            "demand_brought_within_target": best["demand_brought_within_target"]
            if best else 0}
