"""The figures of an evaluation report for one regency and period, as plain JSON-able data.

Every duration is a measure of backend/kpi/measures.py (one definition, nearest-rank p50/p90,
targets resolved there); this module only decides which observations fall in the period
(reports by received_at, incidents by created_at, dispatches by created_at — the moment the
centre first held each) and groups them for the report's sections. The weak-signal villages
come from backend/signal (its ranking and threshold) and the coverage recommendation from
backend/coverage (its estimate and optimiser). Test traffic never counts.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.dispatches.models import Dispatch
from backend.coverage.service import coverage_plan
from backend.extensions import db
from backend.incidents.models import Incident
from backend.kpi.measures import MEASURES, Target, compliance, percentile, resolve_target
from backend.kpi.models import KpiTarget
from backend.places.models import Area
from backend.places.service import place_label
from backend.regencies.models import Regency
from backend.reports.models import Report
from backend.signal.service import weak_signal
from backend.units.models import Agency, Unit
from push.models import PushOutbox

COVERAGE_SITES = 3  # the recommendation's new posts (the coverage page goes further)
APP_CHANNELS = ("app", "sms")  # channels a phone queues offline (a voice call does not)
TOP = 10


@dataclass
class Observation:
    measure: str
    seconds: float
    category: str | None = None
    desa_code: str | None = None
    unit_id: int | None = None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())  # a milestone never precedes its start


def _observations(regency_id: int, start: datetime, end: datetime) -> dict:
    """Rows of the period and every measure's observations."""
    reports = db.session.execute(
        sa.select(Report.id, Report.source, Report.category, Report.status,
                  Report.status_reason, Report.silent, Report.lat, Report.desa_code,
                  Report.captured_at, Report.received_at, Report.first_viewed_at,
                  Report.triaged_at, Report.flooded)
        .where(Report.regency_id == regency_id, Report.test.is_(False),
               Report.received_at >= start, Report.received_at < end)).all()
    first_report = (sa.select(Report.incident_id,
                              sa.func.min(Report.received_at).label("received"),
                              sa.func.min(Report.captured_at).label("captured"))
                    .where(Report.incident_id.is_not(None)).group_by(Report.incident_id)
                    .subquery())
    incidents = db.session.execute(
        sa.select(Incident.id, Incident.category, Incident.desa_code, Incident.created_at,
                  Incident.first_dispatched_at, Incident.first_on_scene_at,
                  first_report.c.received, first_report.c.captured)
        .outerjoin(first_report, first_report.c.incident_id == Incident.id)
        .where(Incident.regency_id == regency_id, Incident.test.is_(False),
               Incident.created_at >= start, Incident.created_at < end)).all()
    dispatches = db.session.execute(
        sa.select(Dispatch.id, Dispatch.unit_id, Dispatch.status, Dispatch.created_at,
                  Dispatch.acknowledged_at, Dispatch.on_scene_at, Dispatch.completed_at,
                  Dispatch.needs_attention, Incident.category, Incident.desa_code)
        .join(Incident, Incident.id == Dispatch.incident_id)
        .where(Dispatch.regency_id == regency_id, Incident.test.is_(False),
               Dispatch.created_at >= start, Dispatch.created_at < end)).all()

    obs: dict[str, list[Observation]] = defaultdict(list)

    def add(measure, seconds, **groups):
        if seconds is not None:
            obs[measure].append(Observation(measure, seconds, **groups))

    for r in reports:
        g = {"category": r.category, "desa_code": r.desa_code}
        if r.source in APP_CHANNELS:
            add("offline_delay", _seconds(r.captured_at, r.received_at), **g)
            add("answer", _seconds(r.received_at, r.first_viewed_at), **g)
        add("triage", _seconds(r.received_at, r.triaged_at), **g)
    for i in incidents:
        g = {"category": i.category, "desa_code": i.desa_code}
        add("dispatch", _seconds(i.created_at, i.first_dispatched_at), **g)
        add("processing", _seconds(i.received, i.first_dispatched_at), **g)
        add("total", _seconds(i.captured, i.first_on_scene_at), **g)
    for d in dispatches:
        g = {"category": d.category, "desa_code": d.desa_code, "unit_id": d.unit_id}
        add("acknowledgement", _seconds(d.created_at, d.acknowledged_at), **g)
        add("travel", _seconds(d.acknowledged_at, d.on_scene_at), **g)
        add("on_scene", _seconds(d.on_scene_at, d.completed_at), **g)
    return {"reports": reports, "incidents": incidents, "dispatches": dispatches, "obs": obs}


def _regency_targets(regency_id: int) -> dict[tuple[str, str], Target]:
    rows = db.session.scalars(sa.select(KpiTarget).where(KpiTarget.regency_id == regency_id))
    return {(t.measure, t.category): Target(t.seconds, t.share, "regency") for t in rows}


def _figure(values: list[float], target: Target | None) -> dict:
    values = sorted(values)
    return {"count": len(values), "p50_s": percentile(values, 50),
            "p90_s": percentile(values, 90),
            "target_s": target.seconds if target else None,
            "target_share": target.share if target else None,
            "compliance": compliance(values, target.seconds) if target and values else None}


def _kpis(obs: dict[str, list[Observation]], targets) -> dict[str, dict]:
    return {m.name: _figure([o.seconds for o in obs.get(m.name, [])],
                            resolve_target(m.name, None, targets)) for m in MEASURES}


def _by(observations: list[Observation], key: str) -> dict:
    groups: dict = defaultdict(list)
    for o in observations:
        groups[getattr(o, key)].append(o.seconds)
    return groups


def _place_names(regency_id: int) -> dict[str, dict]:
    rows = db.session.execute(sa.select(Area.code, Area.name, Area.level, Area.parent_code)
                              .where(Area.regency_id == regency_id)).all()
    return {r.code: {"name": r.name, "level": r.level, "parent": r.parent_code} for r in rows}


def _desa_label(code: str | None, places: dict) -> str:
    """"Kel. Kayu Ara, Kec. Sekayu" as everywhere else (backend.places.place_label)."""
    if code is None:
        return "Tanpa desa"
    desa = places.get(code)
    if desa is None:
        return code
    kecamatan = places.get(desa["parent"] or "")
    return place_label(code, desa["name"], kecamatan["name"] if kecamatan else None) or code


def _unit_names(regency_id: int) -> dict[int, dict]:
    rows = db.session.execute(sa.select(Unit.id, Unit.call_sign, Agency.name)
                              .join(Agency, Agency.id == Unit.agency_id)
                              .where(Unit.regency_id == regency_id)).all()
    return {r.id: {"call_sign": r.call_sign, "agency": r.name} for r in rows}


def gather(*, regency: Regency, start: datetime, end: datetime,
           previous: tuple[datetime, datetime] | None = None) -> dict:
    """Everything the report shows for [start, end), and the KPIs of `previous` to compare."""
    data = _observations(regency.id, start, end)
    reports, incidents, dispatches, obs = (data["reports"], data["incidents"],
                                           data["dispatches"], data["obs"])
    targets = _regency_targets(regency.id)
    places = _place_names(regency.id)
    units = _unit_names(regency.id)
    tz = ZoneInfo(regency.timezone or "Asia/Jakarta")

    kpis = _kpis(obs, targets)
    previous_kpis = None
    if previous is not None:
        previous_kpis = _kpis(_observations(regency.id, *previous)["obs"], targets)

    test_excluded = db.session.scalar(
        sa.select(sa.func.count()).select_from(Report)
        .where(Report.regency_id == regency.id, Report.test.is_(True),
               Report.received_at >= start, Report.received_at < end))
    undelivered = db.session.scalar(
        sa.select(sa.func.count()).select_from(PushOutbox)
        .join(Dispatch, Dispatch.id == PushOutbox.dispatch_id)
        .join(Incident, Incident.id == Dispatch.incident_id)
        .where(PushOutbox.regency_id == regency.id, PushOutbox.status == "failed",
               Incident.test.is_(False),
               PushOutbox.created_at >= start, PushOutbox.created_at < end))

    statuses = Counter(r.status for r in reports)
    summary = {
        "reports": len(reports),
        "by_channel": dict(Counter(r.source for r in reports)),
        "by_category": dict(Counter(r.category for r in reports).most_common()),
        "confirmed": statuses["confirmed"],
        "rejected": statuses["rejected"],
        "rejected_by_reason": dict(Counter(r.status_reason or "invalid" for r in reports
                                           if r.status == "rejected")),
        "merged": statuses["merged"],
        "awaiting": statuses["received"],
        "silent": sum(1 for r in reports if r.silent),
        "no_location": sum(1 for r in reports if r.lat is None),
        "outside_regency": sum(1 for r in reports if r.lat is not None and r.desa_code is None),
        "flooded": sum(1 for r in reports if r.flooded),
        "incidents": len(incidents),
        "never_dispatched": sum(1 for i in incidents if i.first_dispatched_at is None),
        "dispatches": len(dispatches),
        "undelivered_alerts": undelivered,
        "test_excluded": test_excluded,
    }

    # Slowest desa: what the citizen lives through (captured → first unit on scene).
    slowest = []
    for code, values in _by(obs.get("total", []), "desa_code").items():
        values.sort()
        slowest.append({"desa_code": code, "desa": _desa_label(code, places),
                        "count": len(values), "p50_s": percentile(values, 50),
                        "p90_s": percentile(values, 90)})
    slowest.sort(key=lambda row: (-row["p90_s"], -row["count"], row["desa"]))

    hours = Counter(r.received_at.astimezone(tz).hour for r in reports)
    busiest = [{"hour": h, "count": hours.get(h, 0)} for h in range(24)]

    signal = weak_signal(regency.id, start, end, rank_by="share_over")
    weak = [{"desa_code": row["code"], "desa": row["label"], "count": row["count"],
             "p50_s": row["p50_s"], "p90_s": row["p90_s"], "over": row["over_threshold"],
             "share_over": row["share_over"]} for row in signal["ranking"]]
    desa_offline_p90 = {f["properties"]["code"]: f["properties"]["p90_s"]
                        for f in signal["desa"]["features"] if f["properties"]["count"]}

    workload = []
    per_unit: dict[int, list] = defaultdict(list)
    for d in dispatches:
        per_unit[d.unit_id].append(d)
    acks = _by(obs.get("acknowledgement", []), "unit_id")
    scene = _by(obs.get("on_scene", []), "unit_id")
    for unit_id, rows in per_unit.items():
        ack = sorted(acks.get(unit_id, []))
        name = units.get(unit_id, {"call_sign": str(unit_id), "agency": ""})
        workload.append({"unit_id": unit_id, "unit": name["call_sign"], "agency": name["agency"],
                         "dispatches": len(rows),
                         "completed": sum(1 for d in rows if d.status == "completed"),
                         "timed_out": sum(1 for d in rows if d.status == "timed_out"),
                         "declined": sum(1 for d in rows if d.status == "declined"),
                         "ack_p90_s": percentile(ack, 90),
                         "on_scene_hours": round(sum(scene.get(unit_id, [])) / 3600, 1)})
    workload.sort(key=lambda row: (-row["dispatches"], row["unit"]))

    causes = Counter()
    by_agency = Counter()
    for d in dispatches:
        cause = {"timed_out": "timed_out", "declined": "declined",
                 "cancelled": "reassigned"}.get(d.status)
        if cause is None and d.needs_attention:
            cause = "unreachable"
        if cause:
            causes[cause] += 1
            by_agency[units.get(d.unit_id, {}).get("agency", "")] += 1
    escalations = {"total": sum(causes.values()), "by_cause": dict(causes),
                   "by_agency": dict(by_agency.most_common())}

    daily: dict = defaultdict(lambda: {"reports": 0, "processing": []})
    for r in reports:
        daily[r.received_at.astimezone(tz).date()]["reports"] += 1
    processing_by_day = defaultdict(list)
    for i in incidents:
        seconds = _seconds(i.received, i.first_dispatched_at)
        if seconds is not None:
            processing_by_day[i.created_at.astimezone(tz).date()].append(seconds)
    days = sorted(set(daily) | set(processing_by_day))
    series = [{"day": day.isoformat(), "reports": daily[day]["reports"] if day in daily else 0,
               "processing_p90_s": percentile(sorted(processing_by_day.get(day, [])), 90)}
              for day in days]

    desa_reports = Counter(r.desa_code for r in reports if r.desa_code)
    return {
        "regency": {"id": regency.id, "code": regency.code, "name": regency.name,
                    "timezone": str(tz)},
        "summary": summary,
        "kpis": kpis,
        "previous_kpis": previous_kpis,
        "slowest_desa": slowest[:TOP],
        "busiest_hours": busiest,
        "weak_signal": weak[:TOP],
        "signal": {"threshold_s": signal["threshold_s"], "min_count": signal["min_count"],
                   "overall": signal["overall"]},
        "coverage": _coverage(regency.id, start, end),
        "unit_workload": workload,
        "escalations": escalations,
        "daily": series,
        "processing_values": sorted(o.seconds for o in obs.get("processing", [])),
        "desa_reports": dict(desa_reports),
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
