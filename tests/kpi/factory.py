"""Service history written straight into the database (no API, no audit): reports, incidents and
dispatches with their milestones, for KPI tests, the evaluation report, maps and benchmarks.

    cast = make_cast(regency_id)                 # 2 operators, 2 agencies with a unit each
    known_month(regency_id, start, cast)         # figures known by construction (test_service)
    make_history(regency_id, start, days=30, per_day=40, seed=1)   # a realistic random history

Times are UTC; `start` is an aware datetime (e.g. local midnight WIB of the 1st of a month).
The caller commits.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from backend.accounts.models import User
from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.incidents.models import Incident
from backend.reports.models import Report
from backend.units.models import Agency, Unit

S = timedelta(seconds=1)
# Two desa of Kec. Sekayu and one of Kec. Lais (Musi Banyuasin, loaded by the test fixtures).
DESA = (("16.06.01.1009", "16.06.01", -2.958106, 103.841150),   # Kel. Kayu Ara
        ("16.06.01.1010", "16.06.01", -2.912776, 103.828231),   # Kel. Serasan Jaya
        ("16.06.02.2001", "16.06.02", -2.976596, 104.008093))   # Desa Danau Cala


@dataclass
class Cast:
    """Who does the work in a generated history (ids)."""
    operators: list[int]
    agencies: list[int]
    units: list[int]          # units[i] belongs to agencies[i]


def make_cast(regency_id: int, *, tag: str = "kpi") -> Cast:
    """Two operators, a fire brigade and an ambulance service with one unit each."""
    operators = []
    for n in (1, 2):
        user = User(regency_id=regency_id, username=f"{tag}-op{n}-{regency_id}",
                    name=f"Operator {tag.upper()} {n}", role="operator", password_hash="!")
        db.session.add(user)
        operators.append(user)
    agencies, units = [], []
    for kind, name, sign in (("fire_brigade", "Damkar Uji", "DMK-UJI"),
                             ("health", "Ambulans Uji", "AMB-UJI")):
        agency = Agency(regency_id=regency_id, type=kind, name=f"{name} {tag}")
        db.session.add(agency)
        db.session.flush()
        unit = Unit(regency_id=regency_id, agency_id=agency.id, name=f"{name} 1",
                    call_sign=f"{sign}-{tag.upper()}", post_name="Pos uji", lat=-2.9, lon=103.85)
        db.session.add(unit)
        agencies.append(agency)
        units.append(unit)
    db.session.flush()
    return Cast([u.id for u in operators], [a.id for a in agencies], [u.id for u in units])


def add_report(regency_id: int, received_at: datetime, *, category: str = "health",
               source: str = "app", offline_s: float = 0, viewed_s: float | None = None,
               triaged_s: float | None = None, triaged_by: int | None = None,
               status: str | None = None, reason: str | None = None,
               place: tuple | None = DESA[0], located: bool = True, silent: bool = False,
               test: bool = False, incident: Incident | None = None) -> Report:
    """One report; milestones given as seconds after receipt (None: not reached)."""
    code, kecamatan, lat, lon = place if place else (None, None, None, None)
    if not located:
        lat = lon = None
    report = Report(
        regency_id=regency_id, category=category, source=source, silent=silent, test=test,
        status=status or ("confirmed" if triaged_s is not None else "received"),
        status_reason=reason, lat=lat, lon=lon, accuracy_m=10 if lat is not None else None,
        location_source="gps" if lat is not None else None,
        desa_code=code if lat is not None else None,
        kecamatan_code=kecamatan if lat is not None else None,
        place_distance_m=0 if code and lat is not None else None,
        captured_at=received_at - offline_s * S, received_at=received_at,
        updated_at=received_at, time_source="gnss" if source == "app" else "server",
        first_viewed_at=None if viewed_s is None else received_at + viewed_s * S,
        triaged_at=None if triaged_s is None else received_at + triaged_s * S,
        triaged_by=triaged_by if triaged_s is not None else None,
        incident_id=incident.id if incident is not None else None)
    db.session.add(report)
    return report


def add_incident(report: Report, created_at: datetime, created_by: int, *,
                 status: str = "open") -> Incident:
    """An incident confirmed from `report` (which joins it)."""
    incident = Incident(
        regency_id=report.regency_id, category=report.category, status=status,
        lat=report.lat, lon=report.lon, desa_code=report.desa_code,
        kecamatan_code=report.kecamatan_code, created_by=created_by, created_at=created_at,
        updated_at=created_at, test=report.test)
    db.session.add(incident)
    db.session.flush()
    report.incident_id = incident.id
    return incident


def add_dispatch(incident: Incident, unit_id: int, created_at: datetime, created_by: int, *,
                 ack_s: float | None = None, on_scene_s: float | None = None,
                 completed_s: float | None = None, status: str | None = None,
                 needs_attention: bool = False) -> Dispatch:
    """A dispatch; milestones as seconds after its creation. The incident's firsts are set
    when this is its first dispatch (or the earliest milestone of that kind)."""
    at = lambda s: None if s is None else created_at + s * S  # noqa: E731
    ack, scene, done = at(ack_s), at(on_scene_s), at(completed_s)
    status = status or ("completed" if done else "on_scene" if scene else
                        "acknowledged" if ack else "notified")
    dispatch = Dispatch(regency_id=incident.regency_id, incident_id=incident.id,
                        unit_id=unit_id, status=status, created_by=created_by,
                        created_at=created_at, updated_at=done or scene or ack or created_at,
                        acknowledged_at=ack, on_scene_at=scene, en_route_at=ack,
                        completed_at=done, needs_attention=needs_attention)
    db.session.add(dispatch)
    for field_, value in (("first_dispatched_at", created_at), ("first_acknowledged_at", ack),
                          ("first_on_scene_at", scene)):
        current = getattr(incident, field_)
        if value is not None and (current is None or value < current):
            setattr(incident, field_, value)
    db.session.flush()
    return dispatch


# ---- a month whose figures are known by construction ----

@dataclass
class KnownMonth:
    """What known_month() wrote: reports 1..100, incidents 1..50 (numbered by construction)."""
    start: datetime
    reports: list[Report] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)


def known_received(start: datetime, i: int) -> datetime:
    """Report i (1-based) arrives 7 hours after report i-1: 100 reports span 29 days and every
    local hour of the day."""
    return start + timedelta(hours=7 * (i - 1), minutes=30)


def known_category(i: int) -> str:
    return "fire" if i % 4 == 0 else "health"


def known_source(i: int) -> str:
    return "call" if i % 5 == 0 else "app"


def app_rank(i: int) -> int:
    """The rank of report i among the app reports (1..80)."""
    return i - i // 5


def known_month(regency_id: int, start: datetime, cast: Cast) -> KnownMonth:
    """100 real reports and 50 incidents in the 29 days after `start`, plus test traffic.

    Report i = 1..100: received 7 h after the previous one; a voice call when i % 5 == 0, else
    the app, with offline delay and answer both = j s (j = its rank among the 80 app reports);
    triage 2i s by operator 1 (i ≤ 50) or 2; fire when i % 4 == 0, else health; desa
    DESA[i % 2] (Kec. Sekayu). Reports 1–50 confirmed, each its own incident k = i; 51–60
    merged into incidents 1–10; 61–70 rejected as prank, 71–80 as test, 81–100 as invalid.
    Incident k: created at its report's triage; first (and only) dispatch k s later by its
    confirming operator, of unit 0 (k ≤ 25) or unit 1; acknowledged 2k s after dispatch, on
    scene 10k s after that, completed 60k s after that.
    Test traffic: 10 test reports, each a test incident with a dispatch — all far slower.
    """
    month = KnownMonth(start)
    for i in range(1, 101):
        app = known_source(i) == "app"
        status, reason = ("confirmed", None) if i <= 50 else ("merged", None) if i <= 60 else \
            ("rejected", "prank" if i <= 70 else "test: uji coba" if i <= 80 else "invalid")
        month.reports.append(add_report(
            regency_id, known_received(start, i), category=known_category(i),
            source=known_source(i), offline_s=app_rank(i) if app else 0,
            viewed_s=app_rank(i) if app else None, triaged_s=2 * i,
            triaged_by=cast.operators[0 if i <= 50 else 1], status=status, reason=reason,
            place=DESA[i % 2]))
    db.session.flush()
    for k in range(1, 51):
        report = month.reports[k - 1]
        incident = add_incident(report, report.triaged_at, report.triaged_by)
        month.incidents.append(incident)
        month.dispatches.append(add_dispatch(
            incident, cast.units[0 if k <= 25 else 1], incident.created_at + k * S,
            report.triaged_by, ack_s=2 * k, on_scene_s=12 * k, completed_s=72 * k))
    for i in range(51, 61):
        month.reports[i - 1].incident_id = month.incidents[i - 51].id
    for t in range(1, 11):  # test traffic: never counted
        report = add_report(regency_id, known_received(start, 10 * t) + timedelta(minutes=5),
                            offline_s=5000, viewed_s=9000, triaged_s=9000,
                            triaged_by=cast.operators[0], test=True, silent=True,
                            located=False)
        incident = add_incident(report, report.triaged_at, cast.operators[0])
        add_dispatch(incident, cast.units[0], incident.created_at + 9000 * S,
                     cast.operators[0], ack_s=9000, on_scene_s=18000, completed_s=27000)
    db.session.flush()
    return month


# ---- a realistic random history ----

CATEGORY_WEIGHTS = {"health": 30, "accident": 25, "fire": 12, "public_order": 10, "riot": 3,
                    "natural_disaster": 5, "violence_women_children": 5, "other": 10}
HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 4, 6, 7, 7, 6, 6, 6, 6, 6, 6, 7, 8, 8, 7, 6, 5, 4, 3]


def _lognormal(rng: random.Random, median: float, spread: float = 0.6) -> float:
    return max(1.0, rng.lognormvariate(0, spread) * median)


def make_history(regency_id: int, start: datetime, *, days: int = 30, per_day: int = 40,
                 seed: int = 1, cast: Cast | None = None,
                 places: list[tuple] | None = None) -> dict[str, int]:
    """A random but plausible history: `per_day` reports a day on average, busier by day,
    lognormal times (slower in far desa), ~8 % calls, ~15 % rejected, ~10 % merged, ~3 %
    incidents never dispatched, ~5 % of dispatches timed out before another unit went.

    Written with bulk inserts (fast enough for months of data); returns row counts.
    `places`: (desa_code, kecamatan_code, lat, lon) to draw from (default DESA).
    """
    rng = random.Random(seed)
    cast = cast or make_cast(regency_id, tag=f"hist{seed}")
    places = places or list(DESA)
    far = {p[0]: 1 + 2 * (n % 3) for n, p in enumerate(places)}  # slowness by desa
    categories, weights = zip(*CATEGORY_WEIGHTS.items())
    reports, incident_plans = [], []
    for day in range(days):
        for _ in range(max(0, round(rng.gauss(per_day, per_day ** 0.5)))):
            hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
            received = start + timedelta(days=day, hours=hour, seconds=rng.uniform(0, 3599))
            place = rng.choice(places)
            source = "call" if rng.random() < 0.08 else "app"
            slow = far[place[0]]
            offline = 0.0 if source == "call" else (
                _lognormal(rng, 20 * slow, 1.2) if rng.random() < 0.3 else rng.uniform(0, 3))
            located = source == "call" or rng.random() > 0.03
            viewed = _lognormal(rng, 8)
            triage = viewed + _lognormal(rng, 30)
            roll = rng.random()
            status, reason = ("rejected", rng.choice(["prank", "test", "invalid"])) \
                if roll < 0.15 else ("merged", None) if roll < 0.25 else ("confirmed", None)
            operator = rng.choice(cast.operators)
            report = dict(
                regency_id=regency_id, category=rng.choices(categories, weights)[0],
                source=source, status=status, status_reason=reason,
                silent=rng.random() < 0.02, test=rng.random() < 0.01,
                lat=place[2] if located else None, lon=place[3] if located else None,
                desa_code=place[0] if located else None,
                kecamatan_code=place[1] if located else None,
                captured_at=received - timedelta(seconds=offline), received_at=received,
                updated_at=received, time_source="gnss" if source == "app" else "server",
                clock_offset_ms=0, clock_skew_flagged=False, flooded=False, note="",
                first_viewed_at=received + timedelta(seconds=viewed),
                triaged_at=received + timedelta(seconds=triage), triaged_by=operator)
            reports.append(report)
            if status == "confirmed":
                incident_plans.append((report, slow))
    incidents, plans = [], []
    for report, slow in incident_plans:
        incident = dict(
            regency_id=regency_id, category=report["category"], priority=2,
            status="closed", lat=report["lat"], lon=report["lon"], summary="",
            desa_code=report["desa_code"], kecamatan_code=report["kecamatan_code"],
            created_by=report["triaged_by"], created_at=report["triaged_at"],
            updated_at=report["triaged_at"], test=report["test"], first_dispatched_at=None,
            first_acknowledged_at=None, first_on_scene_at=None, resolved_at=None,
            closed_at=None)
        mine = []
        if rng.random() >= 0.03:  # else never dispatched
            at = incident["created_at"] + timedelta(seconds=_lognormal(rng, 25))
            unit = rng.randrange(len(cast.units))
            if rng.random() < 0.05:  # nobody answered: timed out, the other unit went
                mine.append(_dispatch_row(incident, cast.units[unit], at, None, slow, rng,
                                          status="timed_out"))
                at += timedelta(seconds=90)
                unit = (unit + 1) % len(cast.units)
            mine.append(_dispatch_row(incident, cast.units[unit], at, _lognormal(rng, 40),
                                      slow, rng))
            went = mine[-1]
            incident.update(first_dispatched_at=mine[0]["created_at"],
                            first_acknowledged_at=went["acknowledged_at"],
                            first_on_scene_at=went["on_scene_at"],
                            resolved_at=went["completed_at"], closed_at=went["completed_at"])
        else:  # a false alarm found on the phone, closed
            incident.update(closed_at=incident["created_at"] +
                            timedelta(seconds=_lognormal(rng, 600)))
        incidents.append(incident)
        plans.append((report, mine))
    ids = list(db.session.scalars(sa.insert(Incident).returning(
        Incident.id, sort_by_parameter_order=True), incidents)) if incidents else []
    dispatches = []
    for incident_id, (report, mine) in zip(ids, plans):
        report["incident_id"] = incident_id
        for row in mine:
            row["incident_id"] = incident_id
        dispatches += mine
    recent: list[int] = []  # a duplicate joins one of the latest incidents before it
    for report in reports:
        if report["status"] == "merged" and recent:
            report["incident_id"] = rng.choice(recent[-5:])
        report.setdefault("incident_id", None)
        if report["status"] == "confirmed":
            recent.append(report["incident_id"])
    if reports:
        db.session.execute(sa.insert(Report), reports)
    if dispatches:
        db.session.execute(sa.insert(Dispatch), dispatches)
    db.session.flush()
    return {"reports": len(reports), "incidents": len(incidents), "dispatches": len(dispatches)}


def _dispatch_row(incident, unit_id, at, ack_s, slow, rng, *, status=None):
    ack = None if ack_s is None else at + timedelta(seconds=ack_s)
    scene = None if ack is None else ack + timedelta(seconds=_lognormal(rng, 420 * slow))
    done = None if scene is None else scene + timedelta(seconds=_lognormal(rng, 1500))
    return dict(regency_id=incident["regency_id"], incident_id=None, unit_id=unit_id,
                status=status or "completed", created_by=incident["created_by"],
                created_at=at, updated_at=done or at, acknowledged_at=ack,
                en_route_at=ack, on_scene_at=scene, completed_at=done,
                needs_attention=status is not None, ack_deadline=at + timedelta(seconds=90))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
