"""One definition of every service measure, used by the board, the KPI pages and exports, the
monthly evaluation report and the benchmarks — nothing else computes a duration or a percentile.

A measure is the time between two milestones. Milestones are UTC columns stamped once, the
first time the thing happens, and never moved afterwards (a split, a second dispatch or a
reassignment does not restart a clock):

    reports     captured_at, received_at, first_viewed_at, triaged_at (by triaged_by)
    incidents   created_at (= confirmation), first_dispatched_at, first_acknowledged_at,
                first_on_scene_at, resolved_at, closed_at
    dispatches  created_at, acknowledged_at, en_route_at, on_scene_at, completed_at

Figures are p50 and p90 by the nearest-rank method (the smallest observed value with at least
p % of the observations at or below it — always a real observation, never an interpolation),
with the count of observations; never means. An item whose end milestone is missing is not an
observation of that measure (an incident never dispatched has no dispatch time) and is counted
apart as `open`. Test traffic never counts.

The incident's earliest report (processing and total start there) is stamped on the incident
as first_received_at / first_captured_at: the earliest received_at and captured_at among its
real reports, kept equal to that as reports join and leave (triggers: migration
0014_kpi_speed).

Default targets follow public standards until an admin sets the regency's own (per measure, and
optionally per category): NENA call answering (90 % within 15 s) for answering; NFPA 1221
alarm processing (90 % within 64 s) for received → first dispatch; NFPA 1710 turnout
(90 % within 60 s for EMS, 80 s for fire) for acknowledgement.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

ALL_CATEGORIES = "*"  # a target row for every category (kpi_targets.category)


@dataclass(frozen=True)
class Measure:
    name: str
    subject: str  # report | incident | dispatch — what one observation is
    start: str    # milestone the clock starts at
    end: str      # milestone the clock stops at
    label: dict   # {"id": Bahasa, "en": English}
    definition: str


MEASURES: tuple[Measure, ...] = (
    Measure("offline_delay", "report", "reports.captured_at", "reports.received_at",
            {"id": "Tunda sinyal", "en": "Offline delay"},
            "Captured on the phone → received by the centre (app channel: the weak-signal "
            "measure; a voice call has none)."),
    Measure("answer", "report", "reports.received_at", "reports.first_viewed_at",
            {"id": "Waktu tanggap", "en": "Answer"},
            "Received → first opened by an operator (or first triage action); app channel "
            "(a voice call is answered on the telephone system, not here)."),
    Measure("triage", "report", "reports.received_at", "reports.triaged_at",
            {"id": "Waktu triase", "en": "Triage"},
            "Received → first confirmed, rejected or merged by an operator."),
    Measure("dispatch", "incident", "incidents.created_at", "incidents.first_dispatched_at",
            {"id": "Waktu pengerahan", "en": "Dispatch"},
            "Incident confirmed → first unit dispatched."),
    Measure("processing", "incident", "incidents.first_received_at",
            "incidents.first_dispatched_at",
            {"id": "Waktu proses", "en": "Processing"},
            "Earliest report of the incident received → first unit dispatched (NFPA 1221 "
            "alarm processing)."),
    Measure("acknowledgement", "dispatch", "dispatches.created_at",
            "dispatches.acknowledged_at",
            {"id": "Waktu konfirmasi unit", "en": "Acknowledgement"},
            "Unit dispatched → crew acknowledged on the phone."),
    Measure("travel", "dispatch", "dispatches.acknowledged_at", "dispatches.on_scene_at",
            {"id": "Waktu perjalanan", "en": "Turnout and travel"},
            "Crew acknowledged → on scene (turnout and travel)."),
    Measure("on_scene", "dispatch", "dispatches.on_scene_at", "dispatches.completed_at",
            {"id": "Waktu di lokasi", "en": "On scene"},
            "On scene → job completed."),
    Measure("total", "incident", "incidents.first_captured_at", "incidents.first_on_scene_at",
            {"id": "Waktu total", "en": "Total"},
            "Earliest report captured on the phone → first unit on scene (what the citizen "
            "lives through)."),
)
MEASURE_BY_NAME = {m.name: m for m in MEASURES}


@dataclass(frozen=True)
class Target:
    seconds: int
    share: float      # the fraction of observations that must be within `seconds`
    source: str       # "default: <standard>" or "regency"


# (measure, category) → target; category ALL_CATEGORIES applies where no category row exists.
DEFAULT_TARGETS: dict[tuple[str, str], Target] = {
    ("answer", ALL_CATEGORIES): Target(15, 0.9, "NENA call answering"),
    ("triage", ALL_CATEGORIES): Target(60, 0.9, "Siaga112 default"),
    ("processing", ALL_CATEGORIES): Target(64, 0.9, "NFPA 1221 alarm processing"),
    ("acknowledgement", ALL_CATEGORIES): Target(60, 0.9, "NFPA 1710 turnout (EMS)"),
    ("acknowledgement", "fire"): Target(80, 0.9, "NFPA 1710 turnout (fire)"),
}


def resolve_target(measure: str, category: str | None,
                   regency_targets: dict[tuple[str, str], Target]) -> Target | None:
    """The target that applies: the regency's own for the category, then the regency's own
    for every category, then the default for the category, then the default for all."""
    for table in (regency_targets, DEFAULT_TARGETS):
        if category is not None and (measure, category) in table:
            return table[(measure, category)]
        if (measure, ALL_CATEGORIES) in table:
            return table[(measure, ALL_CATEGORIES)]
    return None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of `values` (already sorted ascending); None when empty."""
    if not values:
        return None
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[rank - 1]


def compliance(values: Iterable[float], seconds: float) -> float | None:
    """The share of observations within `seconds` (inclusive); None when there are none."""
    values = list(values)
    if not values:
        return None
    return sum(1 for v in values if v <= seconds) / len(values)
