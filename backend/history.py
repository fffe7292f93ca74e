"""Synthetic service history for one regency: months of reports, incidents, dispatches and
alerts, with every milestone set as the services would have set it. For the demo (a month, so
the board, KPI pages, report and maps have something to show on first start) and for the KPI
benchmark (a million reports over a year).

Deterministic: the same regency data (areas, units, users), window and seed give the same rows.

How it is drawn (plausible, not measured — Musi Banyuasin publishes no per-desa call data):

* Where: each desa gets a weight standing in for population, which the area data lacks:
  kelurahan (urban) ×4, the desa at the centre of a town with a post ×3, and a fall-off with
  distance from the nearest post, 1 / (1 + km / 25) — people live along the roads and rivers
  the posts stand on. Points are drawn inside the desa polygon (its label point without one).
* Weak signal: the 20 % of desa farthest from any post. App reports there often wait for a
  signal: 55 % are held back, log-normal around 12 min (hours in the tail); elsewhere 6 % wait,
  around 4 min, and the rest arrive in seconds.
* When: a day's count varies around the mean (±√mean); hours follow a daily rhythm, quiet
  01–05 WIB and busiest 15–21 WIB; weekends ×1.1; fires ×2.5 in the dry season (Aug–Oct) and
  natural disasters ×3 in the rainy season (Nov–Mar).
* What: category mix (accidents and health first), 40 % app / 60 % voice call; 3 % of app
  reports silent (30 % in violence against women and children); no location for 5 % of app
  reports (no fix) and 10 % of calls (caller could not say); calls name a desa (its label
  point) or a manual point.
* Triage: 12 % of app reports and 30 % of calls rejected (prank, invalid, test), 3 % of app
  reports cancelled by the citizen, the rest confirmed into an incident; a quarter of fires,
  accidents and disasters draw one to three more reports from bystanders, merged as
  duplicates. Answer ~9 s, confirm ~30 s, reject ~12 s (log-normal, slower at busy hours).
* Dispatch: 4–25 % of incidents (by category) are settled by phone, never dispatched; the
  rest get the unit of the routed agency type that can be there first (a busy one close by
  if it frees up soon enough; a free one of another routed agency if quicker; a second agency
  for some accidents and disasters). 4 % of
  dispatches time out, 2 % are declined, 1.2 % never reach a phone (undelivered alert, then
  timed out); each is flagged and the next nearest unit sent. Acknowledgement ~40 s, turnout
  ~60 s, travel at 45 km/h (35 km/h beyond 15 km) over 1.35 × the straight distance from the
  post, on scene 20–120 min by category. A unit is busy until back at its post.
* Test traffic: `test_share` of reports (and their incidents) carry test=true.
* Now: the window ends at `end`; anything later did not happen yet, so the newest reports
  wait for triage and the newest incidents are open with units on the way.

What it does not write: audit events and sync changes (the board, KPIs, report and maps read
the milestone columns; a million audit rows would only slow the loader). Users, agencies,
units and areas come from the database (backend.seed.seed_demo); citizen devices and one
phone per crew (no push token: alerts to the demo crews are not sent) are created here.
"""
from __future__ import annotations

import bisect
import hashlib
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Iterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from shapely.geometry import Point, shape

from backend.accounts.models import User
from backend.devices.models import Device
from backend.dispatches.models import Dispatch
from backend.dispatches.service import ack_window
from backend.extensions import db
from backend.geo import distance_m
from backend.incidents.models import Incident, format_incident_number
from backend.places.models import Area
from backend.places.service import is_kelurahan
from backend.regencies.models import Regency
from backend.reports.models import Report
from backend.units.models import DEFAULT_ROUTING, Agency, Routing, Unit
from push.models import PushOutbox

APP_VERSION = "history"  # citizen and crew devices made here (also the "already seeded" mark)
HOURLY = (2, 1.5, 1.2, 1, 1, 1.3, 2, 3, 3.5, 4, 4.2, 4.5,  # 00–11 WIB
          4.8, 5, 5.3, 5.8, 6.2, 6.5, 6.8, 6.5, 5.8, 4.8, 3.8, 2.8)  # 12–23 WIB
BUSY_HOURS = range(15, 22)
CATEGORY_MIX = {"accident": 24, "health": 24, "fire": 10, "public_order": 10, "other": 13,
                "natural_disaster": 7, "violence_women_children": 6, "riot": 3}
PRIORITY = {"fire": 1, "accident": 1, "health": 1, "natural_disaster": 1, "riot": 2,
            "violence_women_children": 2, "public_order": 3, "other": 3}
# Settled on the phone or referred (advice, village officials, the women's shelter): no unit.
NEVER_DISPATCHED = {"other": .4, "public_order": .3, "violence_women_children": .25,
                    "riot": .15, "health": .08}  # else .05
SECOND_AGENCY = {"accident": .4, "natural_disaster": .3}
ECHOES = {"fire": .25, "accident": .25, "natural_disaster": .25}  # bystanders' duplicates
ON_SCENE_MIN = {"fire": 50, "accident": 30, "health": 20, "natural_disaster": 60}  # else 25
REJECT_APP = (("invalid", 40), ("prank", 35), ("test", 25))
REJECT_CALL = (("prank", 70), ("invalid", 22), ("test", 8))
DECLINE_REASONS = ("kendaraan dalam perbaikan", "kru tidak lengkap", "sedang di lokasi lain")
NOTES = {
    "fire": "Rumah terbakar, api besar", "accident": "Tabrakan motor di jalan",
    "health": "Warga pingsan, butuh ambulans", "natural_disaster": "Banjir masuk rumah warga",
    "riot": "Keributan antarwarga", "violence_women_children": "Kekerasan dalam rumah tangga",
    "public_order": "Orang mabuk mengganggu warga", "other": "Pohon tumbang menutup jalan",
}
ROAD_FACTOR, FAST_KMH, SLOW_KMH, FAST_RADIUS_KM = 1.35, 45.0, 35.0, 15.0
WEAK_SHARE = 0.2
# Write order: every row's foreign keys point to rows written before it.
TABLES = (("devices", Device), ("incidents", Incident), ("dispatches", Dispatch),
          ("reports", Report), ("push_outbox", PushOutbox))


@dataclass(frozen=True)
class Desa:
    code: str
    kecamatan: str
    name: str
    lat: float
    lon: float
    km_to_post: float
    weight: float
    weak: bool
    points: tuple[tuple[float, float], ...]


@dataclass
class Crew:
    id: int
    type: str
    lat: float
    lon: float
    responder: int | None
    device: int | None = None
    busy_until: datetime = datetime.min.replace(tzinfo=timezone.utc)


@dataclass
class Context:
    """What the generator reads from the database once."""
    regency: Regency
    desa: list[Desa]
    crews: list[Crew]
    routing: dict[str, list[str]]
    operators: list[int]
    ids: dict[str, int]  # next free id per table
    cum_weights: list[float] = field(default_factory=list)

    @property
    def weak_codes(self) -> set[str]:
        return {d.code for d in self.desa if d.weak}


def load_context(regency: Regency, seed: int = 112) -> Context:
    rng = random.Random(seed)
    crews = [Crew(id=u.id, type=t, lat=u.lat, lon=u.lon, responder=None) for u, t in
             db.session.execute(sa.select(Unit, Agency.type).join(Agency, Agency.id ==
                                Unit.agency_id).where(Unit.regency_id == regency.id,
                                                      Unit.active.is_(True))
                                .order_by(Unit.id)).all()]
    by_id = {c.id: c for c in crews}
    for user_id, unit_id in db.session.execute(
            sa.select(User.id, User.unit_id).where(User.unit_id.is_not(None),
                                                   User.regency_id == regency.id)
            .order_by(User.id)):
        if unit_id in by_id and by_id[unit_id].responder is None:
            by_id[unit_id].responder = user_id
    operators = list(db.session.scalars(sa.select(User.id).where(
        User.regency_id == regency.id, User.role == "operator", User.active.is_(True))
        .order_by(User.id)))
    if not crews or not operators:
        raise ValueError("history needs units and operators (backend.seed.seed_demo)")
    rows = _desa_rows(regency)
    if not rows:
        raise ValueError("history needs the regency's desa (flask areas import)")
    posts = sorted({(c.lat, c.lon) for c in crews})
    # The desa a post stands in: the centre of its town.
    towns = {min((distance_m(lat, lon, a.label_lat, a.label_lon), a.code) for a in rows)[1]
             for lat, lon in posts}
    km = {a.code: min(distance_m(a.label_lat, a.label_lon, lat, lon) for lat, lon in posts) / 1000
          for a in rows}
    far = sorted(km.values(), reverse=True)[max(0, int(len(km) * WEAK_SHARE) - 1)]
    desa = []
    for a in rows:
        weight = (4 if is_kelurahan(a.code) else 1) * (3 if a.code in towns else 1) \
            * (0.15 + math.exp(-km[a.code] / 12))
        desa.append(Desa(code=a.code, kecamatan=a.parent_code, name=a.name, lat=a.label_lat,
                         lon=a.label_lon, km_to_post=km[a.code], weight=weight,
                         weak=km[a.code] >= far, points=_points_in(a, rng)))
    routing: dict[str, list[str]] = {}
    for category, agency_type in db.session.execute(
            sa.select(Routing.category, Routing.agency_type).where(
                Routing.regency_id == regency.id).order_by(Routing.priority, Routing.id)):
        routing.setdefault(category, []).append(agency_type)
    for category, types in DEFAULT_ROUTING.items():
        routing.setdefault(category, list(types))
    ids = {name: (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
           for name, model in TABLES}
    ctx = Context(regency=regency, desa=desa, crews=crews, routing=routing,
                  operators=operators, ids=ids)
    ctx.cum_weights = list(accumulate(d.weight for d in desa))
    return ctx


def _desa_rows(regency: Regency):
    return db.session.execute(
        sa.select(Area.code, Area.name, Area.parent_code, Area.label_lat, Area.label_lon,
                  Area.geojson)
        .where(Area.regency_id == regency.id, Area.level == "desa",
               Area.label_lat.is_not(None)).order_by(Area.code)).all()


def _points_in(area, rng: random.Random, n: int = 40) -> tuple[tuple[float, float], ...]:
    """Up to n points inside the desa polygon (rejection sampling), else its label point."""
    if not area.geojson:
        return ((area.label_lat, area.label_lon),)
    import json

    geom = shape(json.loads(area.geojson))
    minx, miny, maxx, maxy = geom.bounds
    points = []
    for _ in range(n * 20):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geom.contains(Point(lon, lat)):
            points.append((round(lat, 6), round(lon, 6)))
            if len(points) == n:
                break
    return tuple(points) or ((area.label_lat, area.label_lon),)


# ------------------------------------------------------------------------------ generation

@dataclass(frozen=True)
class Plan:
    start: datetime
    end: datetime            # "now" of the history: later events have not happened yet
    reports_per_day: float = 150.0
    seed: int = 112
    test_share: float = 0.01
    note_prefix: str = "[DEMO] "


@dataclass
class Totals:
    """What was written, test traffic apart (counts by construction, for tests and output)."""
    reports: int = 0
    test_reports: int = 0
    incidents: int = 0
    dispatches: int = 0
    alerts: int = 0
    undelivered: int = 0
    by_status: dict = field(default_factory=dict)


class _Gen:
    def __init__(self, ctx: Context, plan: Plan):
        self.ctx, self.plan = ctx, plan
        self.rng = random.Random(plan.seed)
        self.zone = ZoneInfo(ctx.regency.timezone or "Asia/Jakarta")
        self.ids = dict(ctx.ids)
        self.devices_by_desa: dict[str, list[int]] = {}
        self.test_devices: list[int] = []
        self.rows: dict[str, list[dict]] = {name: [] for name, _ in TABLES}
        self.totals = Totals()
        self.ranked: dict[tuple[str, str], list[Crew]] = {}
        echo_expected = sum(CATEGORY_MIX[c] * p for c, p in ECHOES.items()) \
            / sum(CATEGORY_MIX.values()) * 0.8 * 2
        self.primary_per_day = plan.reports_per_day / (1 + echo_expected)
        self.crew_devices()

    # -- helpers
    def next_id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def ln(self, median: float, sigma: float) -> float:
        return self.rng.lognormvariate(math.log(median), sigma)

    def cut(self, at: datetime | None) -> datetime | None:
        """A milestone only if it has happened by the end of the window."""
        return at if at is not None and at <= self.plan.end else None

    def operator(self, at: datetime) -> int:
        local = at.astimezone(self.zone)
        shift = 0 if 7 <= local.hour < 19 else 1
        ops = self.ctx.operators
        return ops[(2 * local.toordinal() + shift) % len(ops)]

    def device(self, desa: Desa, at: datetime, test: bool) -> int:
        pool = self.test_devices if test else self.devices_by_desa.setdefault(desa.code, [])
        if pool and self.rng.random() < (0.9 if test else 0.3):
            return self.rng.choice(pool)
        device_id = self.next_id("devices")
        pool.append(device_id)
        self.rows["devices"].append(self.device_row(
            device_id, "citizen", at - timedelta(days=self.rng.uniform(0.05, 200)), test=test))
        return device_id

    def device_row(self, device_id: int, kind: str, at: datetime, *, test=False,
                   user_id=None) -> dict:
        key = hashlib.sha256(f"{APP_VERSION}:{self.plan.seed}:{device_id}".encode()).hexdigest()
        return {"id": device_id, "regency_id": self.ctx.regency.id, "kind": kind,
                "platform": "android" if self.rng.random() < 0.92 else "ios",
                "app_version": APP_VERSION, "locale": "id", "phone": None, "test": test,
                "key_hash": key, "created_at": at, "last_seen_at": at, "revoked_at": None,
                "muted_at": None, "user_id": user_id, "fcm_token": None, "fcm_token_at": None,
                "push_error": None, "last_lat": None, "last_lon": None, "last_fix_at": None}

    def crew_devices(self) -> None:
        for crew in self.ctx.crews:
            if crew.responder is not None:
                crew.device = self.next_id("devices")
                self.rows["devices"].append(self.device_row(
                    crew.device, "responder", self.plan.start - timedelta(days=30),
                    user_id=crew.responder))

    # -- the days
    def days(self) -> Iterator[dict[str, list[dict]]]:
        day = self.plan.start.astimezone(self.zone).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
        while day <= self.plan.end:
            self.day(day)
            yield self.rows
            self.rows = {name: [] for name, _ in TABLES}
            day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # DST-proof

    def day(self, day: datetime) -> None:
        rng = self.rng
        mean = self.primary_per_day * (1.1 if day.weekday() >= 5 else 1.0)
        count = max(0, round(rng.gauss(mean, math.sqrt(mean))))
        hours = rng.choices(range(24), weights=HOURLY, k=count)
        times = sorted(day + timedelta(hours=h, seconds=rng.uniform(0, 3600)) for h in hours)
        mix = dict(CATEGORY_MIX)
        if day.month in (8, 9, 10):
            mix["fire"] *= 2.5
        if day.month in (11, 12, 1, 2, 3):
            mix["natural_disaster"] *= 2
        categories, cat_weights = list(mix), list(accumulate(mix.values()))
        for local in times:
            captured = local.astimezone(timezone.utc)
            if not self.plan.start <= captured <= self.plan.end:
                continue
            desa = self.ctx.desa[min(len(self.ctx.desa) - 1, bisect.bisect(
                self.ctx.cum_weights, rng.random() * self.ctx.cum_weights[-1]))]
            category = categories[min(len(categories) - 1, bisect.bisect(
                cat_weights, rng.random() * cat_weights[-1]))]
            self.report(captured, desa, category, test=rng.random() < self.plan.test_share)

    def report(self, captured: datetime, desa: Desa, category: str, *, test: bool,
               echo_of: dict | None = None) -> None:
        rng, plan = self.rng, self.plan
        app = rng.random() < 0.4
        busy = captured.astimezone(self.zone).hour in BUSY_HOURS
        slow = 1.3 if busy else 1.0
        if app:
            if desa.weak and rng.random() < 0.55:
                delay = min(self.ln(720, 1.3), 36 * 3600)
            elif rng.random() < 0.06:
                delay = min(self.ln(240, 1.3), 36 * 3600)
            else:
                delay = self.ln(4, 1.0)
            received = captured + timedelta(seconds=delay)
        else:
            received = captured
        if received > plan.end:
            return  # still on the phone, waiting for a signal
        lat, lon = rng.choice(desa.points)
        lat, lon = lat + rng.uniform(-2e-4, 2e-4), lon + rng.uniform(-2e-4, 2e-4)
        if app:
            source = rng.choices(("gps", "network", None), weights=(88, 7, 5))[0]
            accuracy = {"gps": rng.uniform(4, 30), "network": rng.uniform(200, 1500),
                        None: None}[source]
        else:
            source = rng.choices(("desa", "manual", None), weights=(70, 20, 10))[0]
            accuracy = None
            if source == "desa":
                lat, lon = desa.lat, desa.lon
        located = source is not None
        silent = app and rng.random() < (0.3 if category == "violence_women_children" else 0.03)
        report_id = self.next_id("reports")
        # The operator opens it (answer), then decides (triage).
        viewed = received + timedelta(seconds=(self.ln(9, 0.8) if app else self.ln(4, 0.5))
                                      * slow)
        if echo_of is not None:
            outcome = "merged"
        elif test and rng.random() < 0.7:
            outcome = "rejected"
        elif app and rng.random() < 0.03:
            outcome = "cancelled"
        elif rng.random() < (0.12 if app else 0.40):
            outcome = "rejected"
        else:
            outcome = "confirmed"
        decide = {"confirmed": 30, "rejected": 12, "merged": 40, "cancelled": 60}[outcome]
        decide = self.ln(decide, 0.7) * slow
        if rng.random() < 0.03:  # the operator was on another call
            decide += self.ln(180, 0.8)
        triaged = viewed + timedelta(seconds=decide)
        reason, incident_id, operator = None, None, self.operator(received)
        if outcome == "merged":
            triaged = max(triaged, echo_of["created_at"] + timedelta(seconds=rng.uniform(5, 30)))
            reason = f"duplicate of {format_incident_number(echo_of['id'], echo_of['created_at'])}"
            incident_id = echo_of["id"]
        elif outcome == "rejected":
            reason = rng.choices(*zip(*(REJECT_APP if app else REJECT_CALL)))[0]
            if test:
                reason = "test"
        if outcome == "cancelled":  # the citizen's own move: not triage, maybe never opened
            cancelled = received + timedelta(seconds=rng.uniform(20, 120))
            viewed = viewed if viewed < cancelled else None
            triaged = None
            changed = cancelled
        else:
            changed = triaged
        if self.cut(changed) is None:  # not decided yet: waiting in the inbox
            status, reason, incident_id, triaged_at, changed = "received", None, None, None, \
                received
        else:
            status, triaged_at = outcome, triaged
        if outcome == "confirmed" and status == "confirmed":
            incident_id = self.incident(triaged, operator, desa, category, lat if located
                                        else None, lon if located else None, test,
                                        captured).get("id")
        skew = rng.choice((0, 0, 0, rng.randint(-90_000, 90_000)))
        row = {
            "id": report_id, "regency_id": self.ctx.regency.id,
            "device_id": self.device(desa, captured, test) if app else None,
            "client_op_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)) if app else None,
            "category": category, "status": status, "lat": lat if located else None,
            "lon": lon if located else None, "accuracy_m": accuracy, "location_source": source,
            "location_fix_at": captured - timedelta(seconds=rng.uniform(1, 60))
            if app and located else None,
            "note": "" if silent else plan.note_prefix + NOTES[category], "silent": silent,
            "device_captured_at": captured + timedelta(milliseconds=skew) if app else None,
            "captured_at": captured,
            "time_source": ("gnss" if rng.random() < 0.3 else "device_corrected") if app
            else "server",
            "clock_offset_ms": -skew if app else 0, "clock_skew_flagged": abs(skew) > 60_000,
            "received_at": received, "updated_at": changed, "status_reason": reason,
            "incident_id": incident_id, "source": "app" if app else "call",
            "caller_phone": None if app else f"08{rng.randint(11, 99)}{rng.randint(10**7, 10**8 - 1)}",
            "created_by": None if app else operator,
            "desa_code": desa.code if located else None,
            "kecamatan_code": desa.kecamatan if located else None,
            "place_distance_m": 0.0 if located else None, "test": test, "flooded": False,
            "first_viewed_at": self.cut(viewed), "triaged_at": triaged_at,
            "triaged_by": operator if triaged_at else None,
        }
        self.rows["reports"].append(row)
        self.totals.reports += not test
        self.totals.test_reports += test
        self.totals.by_status[status] = self.totals.by_status.get(status, 0) + (not test)

    # -- incidents and dispatches
    def incident(self, created: datetime, operator: int, desa: Desa, category: str,
                 lat: float | None, lon: float | None, test: bool, captured: datetime) -> dict:
        rng, plan = self.rng, self.plan
        row = {"id": self.next_id("incidents"), "regency_id": self.ctx.regency.id,
               "category": category, "priority": PRIORITY[category], "lat": lat, "lon": lon,
               "summary": plan.note_prefix + NOTES[category] + f", {desa.name}",
               "created_by": operator, "created_at": created, "desa_code": desa.code,
               "kecamatan_code": desa.kecamatan, "test": test, "first_dispatched_at": None,
               "first_acknowledged_at": None, "first_on_scene_at": None}
        self.rows["incidents"].append(row)
        self.totals.incidents += not test
        # Where the crews really go (the operator learns the place on the phone).
        where = (lat, lon) if lat is not None else (desa.lat, desa.lon)
        finished: list[datetime] = []
        by_phone = created + timedelta(seconds=rng.uniform(180, 1200))
        if test or rng.random() < NEVER_DISPATCHED.get(category, 0.05):
            resolved = by_phone  # advice on the phone (test traffic never moves a unit)
        else:
            at = created + timedelta(seconds=self.ln(35, 0.8) * (0.8 if row["priority"] == 1
                                                                  else 1.0))
            types = self.ctx.routing[category][:1]
            if len(self.ctx.routing[category]) > 1 and rng.random() < SECOND_AGENCY.get(
                    category, 0):
                types = self.ctx.routing[category][:2]
            tried: set[int] = set()
            for agency_type in types:
                done = self.send(row, agency_type, at, where, desa, operator, tried)
                if done is not None:
                    finished.append(done)
            if row.get("_open"):  # a unit still out (or not sent yet) at the window's end
                resolved = None
            elif finished:
                resolved = max(finished) + timedelta(seconds=rng.uniform(120, 900))
            else:  # no unit of the routed agencies at all
                resolved = by_phone
        closed = resolved + timedelta(seconds=self.ln(2400, 1.0)) if resolved else None
        for milestone in ("first_dispatched_at", "first_acknowledged_at", "first_on_scene_at"):
            row[milestone] = self.cut(row[milestone])
        row["resolved_at"], row["closed_at"] = self.cut(resolved), self.cut(closed)
        row.pop("_open", None)
        state = row.pop("_state", None)
        row["status"] = ("closed" if row["closed_at"] else "resolved" if row["resolved_at"]
                         else state or ("dispatched" if row["first_dispatched_at"] else "open"))
        row["updated_at"] = max(t for t in (created, row["first_dispatched_at"],
                                            row["first_acknowledged_at"],
                                            row["first_on_scene_at"], row["resolved_at"],
                                            row["closed_at"]) if t is not None)
        if rng.random() < ECHOES.get(category, 0) and not test:
            for _ in range(rng.randint(1, 3)):
                self.report(captured + timedelta(seconds=rng.uniform(60, 900)), desa, category,
                            test=False, echo_of=row)
        return row

    def nearest(self, desa: Desa, agency_type: str) -> list[Crew]:
        """The type's units by distance from the desa (cached: ranking per desa is enough)."""
        key = (desa.code, agency_type)
        if key not in self.ranked:
            self.ranked[key] = sorted(
                (c for c in self.ctx.crews if c.type == agency_type),
                key=lambda c: (distance_m(desa.lat, desa.lon, c.lat, c.lon), c.id))
        return self.ranked[key]

    def send(self, incident: dict, agency_type: str, at: datetime, where, desa: Desa,
             operator: int, tried: set[int]) -> datetime | None:
        """Dispatch the unit of the type that can be there first (waiting for a busy one
        close by when that is quicker), or a free unit of another agency routed for the
        category if quicker still; returns when its job ended (None when not inside the
        window). Escalates (flag, next unit) when the unit does not answer, declines or is
        never alerted."""
        rng, plan = self.rng, self.plan
        crews = [c for c in self.nearest(desa, agency_type) if c.id not in tried]
        if not crews:
            return None
        if at > plan.end:
            incident["_open"] = True
            return None
        # The operator sends whoever gets there first: a busy unit close by may beat a free
        # one far away (routed agencies of another type only when free).
        crew, best = None, math.inf
        for c in crews:  # nearest first: stop once the drive alone is longer than the best
            drive = travel_s(distance_m(where[0], where[1], c.lat, c.lon) / 1000)
            if drive >= best:
                break
            arrival = max(0.0, (c.busy_until - at).total_seconds()) + drive
            if arrival < best:
                crew, best = c, arrival
        for other in self.ctx.routing[incident["category"]]:
            if other == agency_type:
                continue
            c = next((c for c in self.nearest(desa, other)
                      if c.id not in tried and c.busy_until <= at), None)
            if c is not None and travel_s(distance_m(where[0], where[1], c.lat, c.lon)
                                          / 1000) < best:
                crew, best = c, travel_s(distance_m(where[0], where[1], c.lat, c.lon) / 1000)
        if crew.busy_until > at:
            at = crew.busy_until + timedelta(seconds=rng.uniform(20, 60))
            if at > plan.end:
                incident["_open"] = True
                return None
        tried.add(crew.id)
        km = distance_m(where[0], where[1], crew.lat, crew.lon) / 1000
        deadline = at + ack_window(incident["category"])
        row = {"id": self.next_id("dispatches"), "regency_id": self.ctx.regency.id,
               "incident_id": incident["id"], "unit_id": crew.id,
               "distance_m": km * 1000 if incident["lat"] is not None else None,
               "created_by": operator, "created_at": at, "ack_deadline": deadline,
               "acknowledged_at": None, "acknowledged_by": None, "en_route_at": None,
               "on_scene_at": None, "completed_at": None, "needs_attention": False,
               "status_reason": None}
        self.rows["dispatches"].append(row)
        self.totals.dispatches += not incident["test"]
        if incident["first_dispatched_at"] is None or at < incident["first_dispatched_at"]:
            incident["first_dispatched_at"] = at
        sent = at + timedelta(seconds=rng.uniform(0.3, 3))
        roll = rng.random()
        failure = "undelivered" if roll < 0.012 else "timed_out" if roll < 0.052 else \
            "declined" if roll < 0.072 else None
        self.alert(row, crew, sent, failed=failure == "undelivered", test=incident["test"])
        if failure:
            ended = deadline if failure != "declined" else at + timedelta(
                seconds=rng.uniform(20, 90))
            crew.busy_until = max(crew.busy_until, ended)
            if ended > plan.end:  # still waiting for the crew to answer
                row.update(status="notified" if failure != "undelivered" else "pending",
                           updated_at=sent if failure != "undelivered" else at,
                           needs_attention=failure == "undelivered")
                incident["_state"] = incident.get("_state") or "dispatched"
                incident["_open"] = True
                return None
            row.update(status="declined" if failure == "declined" else "timed_out",
                       updated_at=ended, needs_attention=True,
                       status_reason=rng.choice(DECLINE_REASONS) if failure == "declined"
                       else None)
            nxt = ended + timedelta(seconds=self.ln(45, 0.6))
            if len(tried) >= 3:
                return ended
            after = self.send(incident, agency_type, nxt, where, desa, operator, tried)
            # Nobody else of the type: the operator settles it otherwise, after the failure.
            return ended if after is None and not incident.get("_open") else after
        ack_s = min(self.ln(35 if agency_type == "health" else 45, 0.7),
                    (deadline - at).total_seconds() - 1)
        acknowledged = at + timedelta(seconds=ack_s)
        en_route = acknowledged + timedelta(seconds=self.ln(60, 0.5))
        travel = travel_s(km) * self.ln(1.0, 0.2)
        on_scene = en_route + timedelta(seconds=travel)
        completed = on_scene + timedelta(minutes=self.ln(ON_SCENE_MIN.get(
            incident["category"], 25), 0.5))
        crew.busy_until = max(crew.busy_until, completed + timedelta(seconds=travel * 0.8))
        steps = (("notified", sent), ("acknowledged", acknowledged), ("en_route", en_route),
                 ("on_scene", on_scene), ("completed", completed))
        status, updated = "pending", at
        for name, when in steps:
            if when <= plan.end:
                status, updated = name, when
        row.update(status=status, updated_at=updated, acknowledged_at=self.cut(acknowledged),
                   acknowledged_by=crew.responder if acknowledged <= plan.end else None,
                   en_route_at=self.cut(en_route), on_scene_at=self.cut(on_scene),
                   completed_at=self.cut(completed))
        for field_, value in (("first_acknowledged_at", acknowledged),
                              ("first_on_scene_at", on_scene)):
            if incident[field_] is None or value < incident[field_]:
                incident[field_] = value
        if status != "completed":
            incident["_open"] = True
            state = {"pending": "dispatched", "notified": "dispatched"}.get(status, status)
            order = ("dispatched", "acknowledged", "en_route", "on_scene")
            known = incident.get("_state")
            incident["_state"] = state if known is None or order.index(state) > order.index(
                known) else known
            return None
        return completed

    def alert(self, dispatch: dict, crew: Crew, sent: datetime, *, failed: bool,
              test: bool) -> None:
        if crew.device is None or dispatch["created_at"] > self.plan.end:
            return
        error = self.rng.choice(("UNREGISTERED", "UNAVAILABLE")) if failed else None
        self.rows["push_outbox"].append({
            "id": self.next_id("push_outbox"), "regency_id": self.ctx.regency.id,
            "dispatch_id": dispatch["id"], "device_id": crew.device,
            "status": ("dropped" if error == "UNREGISTERED" else "failed") if failed else "sent",
            "attempts": 5 if error == "UNAVAILABLE" else 1, "next_attempt_at": sent,
            "lease_until": None, "last_error": error,
            "fcm_message_name": None if failed else f"projects/siaga112-demo/messages/h{dispatch['id']}",
            "created_at": dispatch["created_at"], "sent_at": None if failed else sent})
        self.totals.alerts += not test
        self.totals.undelivered += failed and not test


def travel_s(km: float) -> float:
    """Expected drive from a post: road distance at 45 km/h near town, 35 km/h beyond."""
    road = km * ROAD_FACTOR
    return road / (FAST_KMH if km <= FAST_RADIUS_KM else SLOW_KMH) * 3600 + 60


def generate(ctx: Context, plan: Plan) -> tuple[Iterator[dict[str, list[dict]]], Totals]:
    """Day by day, the rows to write ({table: [row dicts]}), and the totals they add up to
    (filled in as the days are consumed)."""
    gen = _Gen(ctx, plan)
    return gen.days(), gen.totals


# ------------------------------------------------------------------------------ writing

def _columns(model) -> list[str]:
    return [c.name for c in model.__table__.columns if c.computed is None]


def write_history(regency: Regency, plan: Plan, *, copy: bool | None = None,
                  on_day=None) -> Totals:
    """Generate and insert the history in the caller's transaction. PostgreSQL takes COPY
    (psycopg) unless copy=False; other databases take Core inserts in batches."""
    ctx = load_context(regency, seed=plan.seed)
    days, totals = generate(ctx, plan)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    copy = postgres if copy is None else copy and postgres
    for chunk in days:
        for name, model in TABLES:
            rows = chunk[name]
            if not rows:
                continue
            if copy:
                _copy(name, _columns(model), rows)
            else:
                for i in range(0, len(rows), 2000):
                    db.session.execute(sa.insert(model.__table__), rows[i:i + 2000])
        if on_day:
            on_day(totals)
    if postgres:
        for name, _ in TABLES:
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {name}))"))
    return totals


def _copy(table: str, columns: list[str], rows: list[dict]) -> None:
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row.get(c) for c in columns])


def has_history(regency: Regency) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Device).where(
        Device.regency_id == regency.id, Device.app_version == APP_VERSION)) > 0


def seed_history(regency: Regency, *, days: int, reports_per_day: float, now: datetime,
                 seed: int = 112) -> Totals | None:
    """The demo's recent past: `days` of history up to `now`, once per regency."""
    if days <= 0 or has_history(regency):
        return None
    return write_history(regency, Plan(start=now - timedelta(days=days), end=now,
                                       reports_per_day=reports_per_day, seed=seed))
