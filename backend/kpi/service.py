"""The figures of the service measures — the one place the board, the KPI pages and exports,
the evaluation report and the benchmarks get them from.

    kpi_report(actor=, start=, end=, group_by=None) -> {rows (with previous), counts, ...}
    kpi_summary(regency_id, start, end, group_by=None) -> [row, ...]
        row = {group, label, measure, subject, count, open, p50_s, p90_s, target_s,
               target_share, target_source, compliance, met}
    counts(regency_id, start, end) -> {reports, incidents, dispatches, by_channel, ...}
    unit_workload(regency_id, start, end) -> [{unit, agency, dispatches, completed, ...}]
    distribution(regency_id, start, end, measure) -> sorted seconds (histograms)
    previous_period(start, end) -> (start', end')   same length, immediately before
    compare(current_rows, previous_rows) -> current rows with `previous` figures
    regency_targets(regency_id) -> {(measure, category): Target}
    category_targets(regency_id) -> [{measure, category, seconds, share, source}]

A range is [start, end) of aware datetimes; an item falls in it by its anchor milestone
(backend/kpi/queries.py). Durations are end − start milestone in seconds (microseconds kept),
percentiles nearest-rank (measures.percentile), never means. See docs/kpi.md.

group_by: None, "category", "kecamatan", "desa", "agency", "unit", "operator", "channel",
"hour" (local hour of the anchor, 0–23, in the regency's timezone), "day" (local date, ISO).
Which key an item has, by subject:
    report    category, kecamatan/desa of the report, operator = triaged_by, channel = source;
              no unit or agency (left out of those groupings)
    incident  its category, kecamatan/desa, operator = created_by (who confirmed it), channel =
              source of its earliest report, unit/agency = its first dispatch's
    dispatch  its incident's category, kecamatan/desa and channel; operator = created_by (who
              dispatched), unit/agency = the dispatched unit's
Items without a key (no desa, never triaged, never dispatched) form the group None.
"""
from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.accounts.permissions import require
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.kpi import queries
from backend.kpi.labels import group_labels
from backend.kpi.measures import (
    ALL_CATEGORIES,
    DEFAULT_TARGETS,
    MEASURE_BY_NAME,
    MEASURES,
    Target,
    percentile,
    resolve_target,
)
from backend.kpi.models import KpiTarget
from backend.regencies.models import Regency
from backend.reports.models import REJECT_REASONS

GROUPS = ("category", "kecamatan", "desa", "agency", "unit", "operator", "channel", "hour",
          "day")
# Groupings a subject has no key for: its measures are left out of them.
NOT_APPLICABLE = {"report": {"agency", "unit"}}
# Measures of the app (and later SMS) channel only: a voice call has no capture on a phone and
# is answered on the telephone system, not in the console.
PHONE_ONLY = {"offline_delay", "answer"}
VOICE = "call"


def regency_targets(regency_id: int) -> dict[tuple[str, str], Target]:
    """The regency's own targets, by (measure, category)."""
    rows = db.session.execute(sa.select(KpiTarget.measure, KpiTarget.category,
                                        KpiTarget.seconds, KpiTarget.share)
                              .where(KpiTarget.regency_id == regency_id)).all()
    return {(m, c): Target(s, share, "regency") for m, c, s, share in rows}


def category_targets(regency_id: int) -> list[dict]:
    """The targets in force for one category only (a default's or the regency's own), in
    measure order: compliance judges each observation against its own category's target,
    so a figure shown against the all-categories target needs these beside it."""
    own = regency_targets(regency_id)
    order = {m.name: n for n, m in enumerate(MEASURES)}
    keys = sorted({k for k in (*own, *DEFAULT_TARGETS) if k[1] != ALL_CATEGORIES},
                  key=lambda k: (order.get(k[0], 99), k[1]))
    out = []
    for measure, category in keys:
        target = resolve_target(measure, category, own)
        out.append({"measure": measure, "category": category, "seconds": target.seconds,
                    "share": target.share, "source": target.source})
    return out


def check_range(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("Give aware datetimes.", details={"start": "timezone needed"})
    if not start < end:
        raise ValidationFailed("start must be before end.", details={"end": "after start"})


def previous_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The range of the same length immediately before [start, end)."""
    return start - (end - start), start


def regency_timezone(regency_id: int) -> ZoneInfo:
    name = db.session.scalar(sa.select(Regency.timezone).where(Regency.id == regency_id))
    return ZoneInfo(name or "Asia/Jakarta")


class _Observations:
    """Durations by (measure, group, category), each list sorted ascending once collected, and
    items without the end milestone by (measure, group).

    One pass per measure over the fetched columns (the rows transposed once): a month is
    ~200 000 rows, so the per-value work is kept to a test and an append."""

    def __init__(self):
        self.values: dict[tuple, list[float]] = {}
        self.open: dict[tuple, int] = defaultdict(int)

    def collect(self, rows, measures: list[str], group, *, skip_when=None) -> None:
        """rows: (duration, started) per measure, then category, key, anchor[, more] — as
        fetched by queries.*_in_range. group(anchor, key) → the item's group, or None when the
        key is the group. skip_when: (column index, value, measures) — those measures are left
        out of rows whose column holds value (a voice call has no offline delay or answer)."""
        if not rows:
            return
        columns = list(zip(*rows))
        n = 2 * len(measures)
        groups = columns[n + 1] if group is None else list(map(group, columns[n + 2],
                                                              columns[n + 1]))
        cells = list(zip(groups, columns[n]))  # (group, category) of each row
        kept = None
        for i, measure in enumerate(measures):
            durations, started, measure_cells = columns[2 * i], columns[2 * i + 1], cells
            if skip_when is not None and measure in skip_when[2]:
                if kept is None:
                    kept = [v != skip_when[1] for v in columns[skip_when[0]]]
                durations, started, measure_cells = (itertools.compress(c, kept) for c in (
                    durations, started, cells))
            lists: dict[tuple, list[float]] = defaultdict(list)
            waiting: dict = defaultdict(int)
            for seconds, is_started, cell in zip(durations, started, measure_cells):
                if seconds is not None:
                    lists[cell].append(seconds)
                elif is_started:  # the clock runs: still waiting, or never stopped
                    waiting[cell[0]] += 1
            for (g, category), values in lists.items():
                values.sort()
                # A corrected capture time a hair after receipt is the same instant: the
                # non-positive durations (a prefix once sorted) count as zero.
                zeros = bisect.bisect_right(values, 0.0)
                if zeros:
                    values[:zeros] = [0.0] * zeros
                self.values[(measure, g, category)] = values  # one subject per measure
            for g, count in waiting.items():
                self.open[(measure, g)] += count


def _local(tz: ZoneInfo):
    """Epoch seconds → local datetime, cached per quarter hour (every timezone's offset is a
    whole number of quarter hours, so the local hour and day are constant within one)."""
    cache: dict[int, datetime] = {}

    def local(epoch: float) -> datetime:
        quarter = int(epoch // 900)
        found = cache.get(quarter)
        if found is None:
            found = cache[quarter] = datetime.fromtimestamp(quarter * 900, tz)
        return found
    return local


def _keyer(group_by: str | None, tz: ZoneInfo, agencies: dict[int, int] | None):
    """How an item's group is found from its anchor (epoch seconds) and its fetched key; None
    when the fetched key is the group (NULL when not grouped)."""
    local = _local(tz)
    if group_by == "hour":
        return lambda anchor, key: local(anchor).hour
    if group_by == "day":
        return lambda anchor, key: local(anchor).date().isoformat()
    if group_by == "agency":
        return lambda anchor, key: agencies.get(key) if key is not None else None
    return None


@contextlib.contextmanager
def _no_cycle_collection():
    """Pause Python's cyclic garbage collector while a range's rows are fetched and grouped.

    A month is ~200 000 fetched rows and as many small lists and tuples, none of them in a
    reference cycle; left on, the collector runs hundreds of times over all of them and takes
    most of the summary's time (0.6 of 0.8 s on the 1M bench). Reference counting still frees
    everything; the collector resumes (if it was on) when the block ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _observe(regency_id: int, start: datetime, end: datetime,
             group_by: str | None) -> _Observations:
    with _no_cycle_collection():
        return _observe_rows(regency_id, start, end, group_by)


def _observe_rows(regency_id: int, start: datetime, end: datetime,
                  group_by: str | None) -> _Observations:
    tz = regency_timezone(regency_id)
    agencies = queries.unit_agencies(regency_id) if group_by == "agency" else None
    group = _keyer(group_by, tz, agencies)
    obs = _Observations()
    if group_by not in NOT_APPLICABLE["report"]:
        measures = queries.subject_measures("report")
        source_at = 2 * len(measures) + 3
        obs.collect(queries.reports_in_range(regency_id, start, end, group_by), measures,
                    group, skip_when=(source_at, VOICE, PHONE_ONLY))
    obs.collect(queries.incidents_in_range(regency_id, start, end, group_by),
                queries.subject_measures("incident"), group)
    obs.collect(queries.dispatches_in_range(regency_id, start, end, group_by),
                queries.subject_measures("dispatch"), group)
    return obs


def _sort_key(group):
    return (group is None, str(type(group)), group if group is not None else 0)


def kpi_summary(regency_id: int, start: datetime, end: datetime,
                group_by: str | None = None, *, lang: str | None = None) -> list[dict]:
    """Figures of every measure (by group): count, open, p50/p90 seconds, the target that
    applies and compliance (the share of observations within the target of their category).

    With no grouping every measure has a row (count 0 when nothing was observed); with a
    grouping, a group appears for a measure when it has an observation or an open item.
    """
    check_range(start, end)
    if group_by is not None and group_by not in GROUPS:
        raise ValidationFailed("Unknown grouping.", details={"group_by": list(GROUPS)})
    obs = _observe(regency_id, start, end, group_by)
    targets = regency_targets(regency_id)
    by_group: dict[tuple, dict[str, list[float]]] = defaultdict(dict)
    for (measure, group, category), values in obs.values.items():
        by_group[(measure, group)][category] = values
    keys = set(by_group) | set(obs.open)
    groups = sorted({g for _, g in keys}, key=_sort_key) if group_by else [None]
    labels = group_labels(regency_id, group_by, groups, lang=lang)
    rows = []
    for group in groups:
        for measure in MEASURES:
            if group_by and (measure.name, group) not in keys:
                continue
            rows.append(_row(measure.name, group, labels.get(group),
                             by_group.get((measure.name, group), {}),
                             obs.open.get((measure.name, group), 0), targets,
                             category=group if group_by == "category" else None))
    return rows


def _row(measure: str, group, label, by_category: dict[str, list[float]], open_: int,
         targets: dict, *, category: str | None) -> dict:
    """by_category: each category's durations, sorted ascending."""
    if len(by_category) == 1:
        (values,) = by_category.values()
    else:  # sorted runs, concatenated: the sort merges them
        values = sorted(itertools.chain.from_iterable(by_category.values()))
    target = resolve_target(measure, category, targets)
    within = judged = 0
    for cat, vs in by_category.items():
        applies = resolve_target(measure, cat, targets)
        if applies is not None:
            judged += len(vs)
            within += bisect.bisect_right(vs, applies.seconds)
    compliance = within / judged if judged else None
    return {"group": group, "label": label, "measure": measure,
            "subject": MEASURE_BY_NAME[measure].subject, "count": len(values), "open": open_,
            "p50_s": percentile(values, 50), "p90_s": percentile(values, 90),
            "target_s": target.seconds if target else None,
            "target_share": target.share if target else None,
            "target_source": target.source if target else None,
            "compliance": compliance,
            "met": None if compliance is None or target is None else compliance >= target.share}


def distribution(regency_id: int, start: datetime, end: datetime, measure: str) -> list[float]:
    """Every observation of `measure` in the range, in seconds, ascending (histograms)."""
    check_range(start, end)
    if measure not in MEASURE_BY_NAME:
        raise ValidationFailed("Unknown measure.", details={"measure": list(MEASURE_BY_NAME)})
    obs = _observe(regency_id, start, end, None)
    return sorted(v for (m, _, _), vs in obs.values.items() if m == measure for v in vs)


def compare(current: list[dict], previous: list[dict]) -> list[dict]:
    """The current rows, each with `previous`: the same group and measure's count, p50, p90 and
    compliance in the previous period (None where it had no row)."""
    before = {(r["group"], r["measure"]): r for r in previous}
    out = []
    for row in current:
        old = before.get((row["group"], row["measure"]))
        out.append({**row, "previous": None if old is None else {
            k: old[k] for k in ("count", "open", "p50_s", "p90_s", "compliance")}})
    return out


# ---- counts ----

def _breakdown(counter: dict, labels: dict, *, order=None) -> list[dict]:
    keys = order if order is not None else sorted(counter, key=lambda k: (-counter[k],
                                                                          _sort_key(k)))
    return [{"key": k, "label": labels.get(k), "count": counter.get(k, 0)} for k in keys]


def counts(regency_id: int, start: datetime, end: datetime, *,
           lang: str | None = None) -> dict:
    """What happened in the range, counted: reports by channel, category, kecamatan, desa,
    local hour and local day; confirmed, still awaiting triage, flooded (a phone beyond its
    SOS rate); incidents; dispatches by agency and unit; rejections by reason (prank, test,
    invalid); duplicates merged; escalations by cause (timed out, declined, nobody could be
    alerted) and by agency; alerts not delivered; silent SOS; reports with no location; and
    how many test reports were left out of everything."""
    check_range(start, end)
    local = _local(regency_timezone(regency_id))
    dims = {"channel": defaultdict(int), "category": defaultdict(int),
            "kecamatan": defaultdict(int), "desa": defaultdict(int), "hour": defaultdict(int),
            "day": defaultdict(int)}
    rejections = dict.fromkeys(REJECT_REASONS, 0)
    statuses = defaultdict(int)
    total = test = silent = no_location = outside = flooded = 0
    for received, source, category, kecamatan, desa, status, reason, is_silent, located, \
            is_test, is_flooded in queries.report_facts(regency_id, start, end):
        if is_test:
            test += 1
            continue
        total += 1
        when = local(received)
        for name, key in (("channel", source), ("category", category),
                          ("kecamatan", kecamatan), ("desa", desa), ("hour", when.hour),
                          ("day", when.date().isoformat())):
            dims[name][key] += 1
        if status == "rejected":
            code = (reason or "").split(":", 1)[0].strip()
            rejections[code if code in rejections else "invalid"] += 1
        statuses[status] += 1
        silent += bool(is_silent)
        flooded += bool(is_flooded)
        no_location += not located
        outside += bool(located and desa is None)
    units, agencies_of = defaultdict(int), queries.unit_agencies(regency_id)
    escalations = {"timed_out": 0, "declined": 0, "unreachable": 0}
    escalated_by_agency = defaultdict(int)
    dispatches = 0
    for unit_id, status, flagged in queries.dispatch_facts(regency_id, start, end):
        dispatches += 1
        units[unit_id] += 1
        cause = status if status in ("timed_out", "declined") else \
            "unreachable" if flagged else None  # flagged without a refusal: nobody alerted
        if cause is not None:
            escalations[cause] += 1
            escalated_by_agency[agencies_of.get(unit_id)] += 1
    agencies = defaultdict(int)
    for unit_id, n in units.items():
        agencies[agencies_of.get(unit_id)] += n
    label = {name: group_labels(regency_id, name, list(d), lang=lang) for name, d in
             (*dims.items(), ("unit", units), ("agency", agencies))}
    return {
        "reports": total, "test_reports_excluded": test,
        "incidents": queries.incident_count(regency_id, start, end),
        "dispatches": dispatches,
        "by_channel": _breakdown(dims["channel"], label["channel"]),
        "by_category": _breakdown(dims["category"], label["category"]),
        "by_kecamatan": _breakdown(dims["kecamatan"], label["kecamatan"]),
        "by_desa": _breakdown(dims["desa"], label["desa"]),
        "by_hour": _breakdown(dims["hour"], group_labels(regency_id, "hour", list(range(24)),
                                                         lang=lang), order=list(range(24))),
        "by_day": _breakdown(dims["day"], label["day"], order=sorted(dims["day"])),
        "by_agency": _breakdown(agencies, label["agency"]),
        "by_unit": _breakdown(units, label["unit"]),
        "confirmed": statuses["confirmed"], "awaiting": statuses["received"],
        "rejected": sum(rejections.values()), "rejections": rejections,
        "merged": statuses["merged"],
        "escalated": sum(escalations.values()), "escalations": escalations,
        "escalations_by_agency": _breakdown(escalated_by_agency, label["agency"]),
        "undelivered_alerts": queries.undelivered_alerts(regency_id, start, end),
        "silent": silent, "no_location": no_location, "outside_regency": outside,
        "flooded": flooded,
    }


def unit_workload(regency_id: int, start: datetime, end: datetime, *,
                  lang: str | None = None) -> list[dict]:
    """Per unit dispatched in the range (by the dispatch's created_at): dispatches, how many
    were completed, timed out or declined, the acknowledgement p90 and the time spent on
    scene (the sum of its on_scene observations, seconds) — most dispatched first."""
    check_range(start, end)
    statuses: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit_id, status, _ in queries.dispatch_facts(regency_id, start, end):
        statuses[unit_id]["dispatches"] += 1
        statuses[unit_id][status] += 1
    acks: dict[int, list[float]] = defaultdict(list)
    on_scene: dict[int, list[float]] = defaultdict(list)
    for (measure, unit_id, _), values in _observe(regency_id, start, end, "unit").values.items():
        if measure == "acknowledgement":
            acks[unit_id].extend(values)
        elif measure == "on_scene":
            on_scene[unit_id].extend(values)
    agencies_of = queries.unit_agencies(regency_id)
    units = group_labels(regency_id, "unit", list(statuses), lang=lang)
    agencies = group_labels(regency_id, "agency", list({agencies_of.get(u) for u in statuses}),
                            lang=lang)
    rows = [{"unit_id": unit_id, "unit": units.get(unit_id),
             "agency_id": agencies_of.get(unit_id),
             "agency": agencies.get(agencies_of.get(unit_id)),
             "dispatches": n["dispatches"], "completed": n["completed"],
             "timed_out": n["timed_out"], "declined": n["declined"],
             "acknowledgement_p90_s": percentile(sorted(acks[unit_id]), 90),
             "on_scene_s": sum(sorted(on_scene[unit_id]))}
            for unit_id, n in statuses.items()]
    rows.sort(key=lambda row: (-row["dispatches"], str(row["unit"])))
    return rows


def days(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(days=1)


MAX_RANGE_DAYS = 400


def resolve_range(regency_id: int, start, end) -> tuple[datetime, datetime]:
    """A range as asked (dates are local midnights of the regency, datetimes as given) →
    aware datetimes; refuses start ≥ end and ranges over MAX_RANGE_DAYS."""
    tz = regency_timezone(regency_id)
    start, end = (datetime(v.year, v.month, v.day, tzinfo=tz) if not isinstance(v, datetime)
                  else v for v in (start, end))
    check_range(start, end)
    if days(start, end) > MAX_RANGE_DAYS:
        raise ValidationFailed(f"At most {MAX_RANGE_DAYS} days.",
                               details={"end": f"at most {MAX_RANGE_DAYS} days after start"})
    return start, end


def kpi_report(*, actor, start, end, group_by: str | None = None,
               lang: str | None = None) -> dict:
    """The KPI page and its exports: figures by group with the previous period's beside them,
    and the range's counts (supervisors and admins)."""
    require(actor, "monitor")
    start, end = resolve_range(actor.regency_id, start, end)
    rows = kpi_summary(actor.regency_id, start, end, group_by, lang=lang)
    before = previous_period(start, end)
    previous = kpi_summary(actor.regency_id, *before, group_by, lang=lang)
    return {"start": start, "end": end, "previous_start": before[0],
            "timezone": str(regency_timezone(actor.regency_id)), "group_by": group_by,
            "rows": compare(rows, previous),
            "counts": counts(actor.regency_id, start, end, lang=lang)}
