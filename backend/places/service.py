"""Places: import administrative areas, find the desa of a point, name places for people.

One behaviour, two drivers (ARCHITECTURE "Profiles"):

* PostgreSQL: `ST_Covers` on `areas.geom` (GiST index) for a whole batch of points in ONE
  statement (arrays unnested WITH ORDINALITY + LATERAL, in the function locate_points(),
  migration 0016, on a generic plan); a point in no desa takes the nearest
  desa within PLACE_TOLERANCE_M, measured as a great-circle distance in metres
  (`ST_Distance(geography, geography, false)`: on the sphere, not the spheroid, so that
  both drivers use the same metric).
* SQLite (embedded): shapely's STRtree over the same polygons, cached per regency in the
  process and rebuilt when the regency's areas change; the distance of a point to a polygon
  is measured in a local equirectangular projection around the point, which on the sphere
  agrees with PostGIS's sphere distance to well under a metre at the tolerance's scale.

Border points: a point covered by several desa (a shared edge or vertex, or a sliver where
simplified polygons overlap) takes the lowest code, in both drivers. Ties in the nearest-desa
fallback are broken by distance, then code.
"""
from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha1
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa
from flask import current_app, g, has_app_context
from shapely.geometry import shape

from backend.accounts.models import User
from backend.accounts.permissions import actor_ref, require
from backend.audit.service import audit_row, record_events
from backend.db import dialect_name, utcnow
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.geo import EARTH_RADIUS_M
from backend.places.models import Area
from backend.places.names import fold_name, name_score
from backend.regencies.models import Regency

DATA_DIR = Path(__file__).parent / "data"
DEMO_SET = DATA_DIR / "musi-banyuasin"
DEMO_FILES = ("kabupaten.geojson", "kecamatan.geojson", "desa.geojson")
OUTSIDE_LABEL = "Di luar wilayah kabupaten"
CODE_RE = re.compile(r"^\d{2}(\.\d{2}){1,2}(\.\d{4})?$")
LEVEL_ALIASES = {"kabupaten": "regency", "kota": "regency", "regency": "regency",
                 "kecamatan": "kecamatan", "desa": "desa", "kelurahan": "desa"}
LEVEL_SEGMENTS = {"regency": 2, "kecamatan": 3, "desa": 4}
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180


# ---------------------------------------------------------------------------- the results

@dataclass(frozen=True)
class Place:
    """Where a point falls: desa_code None with located=True is outside the regency."""

    desa_code: str | None = None
    kecamatan_code: str | None = None
    distance_m: float | None = None  # 0 inside the desa, > 0 = nearest within tolerance
    located: bool = False            # there was a point and the regency has areas
    desa: str | None = None          # names, for the texts written at ingest
    kecamatan: str | None = None

    @property
    def label(self) -> str | None:
        if self.desa_code is None:
            return OUTSIDE_LABEL if self.located else None
        return place_label(self.desa_code, self.desa, self.kecamatan)


NOWHERE = Place()


def regency_code_of(area_code: str) -> str:
    """Kemendagri "16.06.01.2001" → the regency's BPS code "1606"."""
    return "".join(area_code.split(".")[:2])


def is_kelurahan(code: str) -> bool:
    parts = code.split(".")
    return len(parts) == 4 and parts[3].startswith("1")


# ---------------------------------------------------------------------------- import

@dataclass
class ImportResult:
    regency: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"regency": self.regency, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged}


def _parse_feature(feature, prefix: str | None) -> tuple[dict | None, dict]:
    """One GeoJSON feature → an areas row, or the problems found in it."""
    errors: dict[str, list[str]] = {}
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, {"type": ["must be a GeoJSON Feature"]}
    props = feature.get("properties")
    if not isinstance(props, dict):
        return None, {"properties": ["missing"]}
    code, name = props.get("code"), props.get("name")
    level = LEVEL_ALIASES.get(props.get("level")) if isinstance(props.get("level"), str) \
        else None
    parent = props.get("parent_code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        errors["code"] = ["a Kemendagri code like 16.06.01.2001"]
    elif prefix and not (code == prefix or code.startswith(prefix + ".")):
        errors["code"] = [f"not in regency {prefix}"]
    if not isinstance(name, str) or not name.strip() or len(name) > 120 or any(
            ord(c) < 32 for c in name):
        errors["name"] = ["1-120 printable characters"]
    if level is None:
        errors["level"] = ["one of kabupaten, kecamatan, desa, kelurahan"]
    elif isinstance(code, str) and CODE_RE.match(code):
        if len(code.split(".")) != LEVEL_SEGMENTS[level]:
            errors["level"] = [f"a {level} code has {LEVEL_SEGMENTS[level]} segments"]
        expected = code.rsplit(".", 1)[0] if "." in code else None
        if parent is not None and parent != expected:
            errors["parent_code"] = [f"must be {expected}"]
        parent = expected
    geometry, label = feature.get("geometry"), None
    geojson = None
    if geometry is not None:
        try:
            if not isinstance(geometry, dict) or geometry.get("type") not in (
                    "Polygon", "MultiPolygon"):
                raise ValueError("must be a Polygon or MultiPolygon")
            geom = shape(geometry)
            if geom.is_empty:
                raise ValueError("empty")
            minx, miny, maxx, maxy = geom.bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                raise ValueError("coordinates are [lon, lat] in WGS84")
            if not geom.is_valid:
                raise ValueError(shapely.is_valid_reason(geom))
        except (ValueError, TypeError, AttributeError, IndexError,
                shapely.errors.GEOSException) as exc:
            errors["geometry"] = [str(exc)[:200] or "invalid"]
        else:
            label = _label_point(geom, props)
            geojson = json.dumps(geometry, separators=(",", ":"))
    if errors:
        return None, errors
    return {"code": code, "name": name.strip(), "level": level, "parent_code": parent,
            "label_lat": label[0] if label else _num(props, "label_lat"),
            "label_lon": label[1] if label else _num(props, "label_lon"),
            "geojson": geojson}, {}


def _num(props: dict, key: str) -> float | None:
    value = props.get(key)
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _label_point(geom, props: dict) -> tuple[float, float]:
    """The given centroid if it lies inside the polygon, else a point surely inside it."""
    for lat_key, lon_key in (("label_lat", "label_lon"), ("centroid_lat", "centroid_lon")):
        lat, lon = _num(props, lat_key), _num(props, lon_key)
        if lat is not None and lon is not None and geom.covers(shapely.Point(lon, lat)):
            return lat, lon
    point = geom.representative_point()
    return round(point.y, 7), round(point.x, 7)


def parse_features(collection, *, prefix: str | None = None) -> list[dict]:
    """Validate a FeatureCollection; every problem is reported at once (422), none written."""
    features = collection.get("features") if isinstance(collection, dict) \
        and collection.get("type") == "FeatureCollection" else None
    if not isinstance(features, list) or not features:
        raise ValidationFailed("A GeoJSON FeatureCollection with features is needed.",
                               details={"features": ["missing or empty"]})
    rows, problems, seen = [], {}, set()
    for index, feature in enumerate(features):
        row, errors = _parse_feature(feature, prefix)
        if row and row["code"] in seen:
            errors = {"code": ["appears twice"]}
        if errors:
            problems[str(index)] = errors
            continue
        seen.add(row["code"])
        rows.append(row)
    if problems:
        raise ValidationFailed(f"{len(problems)} of {len(features)} features are invalid; "
                               f"nothing was imported.", details={"features": problems})
    return rows


def import_areas(*, collection: dict, regency: Regency | None = None,
                 actor: User | tuple[str, object] = ("system", "import")) -> ImportResult:
    """Insert or update areas by code from a GeoJSON FeatureCollection (idempotent).

    The regency is the given one, else the one the codes' prefix names ("16.06" → 1606).
    """
    if isinstance(actor, User):
        require(actor, "admin")
        if regency is None:
            regency = db.session.get(Regency, actor.regency_id)
    prefix = None
    if regency is not None:
        prefix = f"{regency.code[:2]}.{regency.code[2:]}" if len(regency.code) == 4 else None
    rows = parse_features(collection, prefix=prefix)
    if regency is None:
        codes = {regency_code_of(r["code"]) for r in rows}
        if len(codes) != 1:
            raise ValidationFailed("The features belong to several regencies; import one "
                                   "regency at a time.", details={"regencies": sorted(codes)})
        code = codes.pop()
        regency = db.session.scalar(sa.select(Regency).where(Regency.code == code))
        if regency is None:
            raise ValidationFailed(f"No regency {code} on this server.",
                                   details={"regency": [code]})
    return _upsert(regency, rows, actor)


def _upsert(regency: Regency, rows: list[dict], actor) -> ImportResult:
    result = ImportResult(regency=regency.code)
    table = Area.__table__
    fields = ("name", "level", "parent_code", "label_lat", "label_lon", "geojson")
    existing = {r.code: r for r in db.session.execute(
        sa.select(table.c.id, table.c.code, table.c.regency_id,
                  *[table.c[f] for f in fields]).where(
            table.c.code.in_([r["code"] for r in rows])))}
    foreign = sorted(c for c, r in existing.items() if r.regency_id != regency.id)
    if foreign:
        raise ValidationFailed("Some codes belong to another regency.",
                               details={"codes": foreign[:50]})
    now = utcnow()
    inserts, updates = [], []
    for row in rows:
        old = existing.get(row["code"])
        if old is None:
            inserts.append(dict(row, regency_id=regency.id, updated_at=now))
        elif any(getattr(old, f) != row[f] for f in fields):
            updates.append({"_id": old.id, "_updated_at": now,
                            **{"_" + f: row[f] for f in fields}})
        else:
            result.unchanged += 1
    if inserts:
        db.session.execute(sa.insert(table), inserts)
    if updates:
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("_id")).values(
                **{f: sa.bindparam("_" + f) for f in (*fields, "updated_at")}),
            updates, execution_options={"synchronize_session": False})
    result.inserted, result.updated = len(inserts), len(updates)
    if inserts or updates:
        ref = actor_ref(actor) if isinstance(actor, User) else actor
        record_events([audit_row(regency_id=regency.id, actor=ref, action="areas.import",
                                 entity=("regency", regency.code), after=result.as_dict())])
        forget_request_cache()
    db.session.flush()
    return result


@lru_cache(maxsize=8)
def _read_collection(path: str, mtime: float) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_geojson(path: str | Path) -> dict:
    path = Path(path)
    return _read_collection(str(path), path.stat().st_mtime)


def import_files(*, paths, regency: Regency | None = None) -> ImportResult:
    """Import several GeoJSON files (regency, then kecamatan, then desa) as one import."""
    features = [f for p in paths for f in read_geojson(p)["features"]]
    return import_areas(collection={"type": "FeatureCollection", "features": features},
                        regency=regency)


@lru_cache(maxsize=1)
def _demo_rows() -> tuple[dict, ...]:
    features = [f for name in DEMO_FILES for f in read_geojson(DEMO_SET / name)["features"]]
    return tuple(parse_features({"type": "FeatureCollection", "features": features},
                                prefix="16.06"))


def load_demo_areas(regency: Regency) -> ImportResult | None:
    """Musi Banyuasin's shipped areas (see data/musi-banyuasin/SOURCES.md) for its regency,
    unless it has areas already (`flask areas import` updates them).

    The files are parsed and validated once per process; loading them is one insert.
    """
    if regency.code != "1606" or db.session.scalar(
            sa.select(sa.func.count()).select_from(Area).where(Area.regency_id == regency.id)):
        return None
    return _upsert(regency, list(_demo_rows()), ("system", "seed"))


@lru_cache(maxsize=1)
def _demo_label_points() -> dict[str, tuple[float, float]]:
    return {r["code"]: (r["label_lat"], r["label_lon"]) for r in _demo_rows()}


def demo_label_point(code: str) -> tuple[float, float]:
    """The label point of a desa of the shipped Musi Banyuasin set (no database needed)."""
    return _demo_label_points()[code]


# ---------------------------------------------------------------------------- caches

class _RegencyAreas:
    """What one process knows of a regency's areas: names, and the desa STRtree."""

    def __init__(self, regency_id: int, token):
        self.token = token
        rows = db.session.execute(
            sa.select(Area.code, Area.name, Area.level, Area.parent_code, Area.label_lat,
                      Area.label_lon).where(Area.regency_id == regency_id).order_by(Area.code)
        ).all()
        self.areas = {r.code: r for r in rows}
        self.has_desa = any(r.level == "desa" for r in rows)
        self._tree = None
        self._lock = threading.Lock()
        self.regency_id = regency_id

    def tree(self):
        """(codes, parents, geometries, STRtree) of the desa with polygons, code order."""
        with self._lock:
            if self._tree is None:
                rows = db.session.execute(
                    sa.select(Area.code, Area.parent_code, Area.geojson).where(
                        Area.regency_id == self.regency_id, Area.level == "desa",
                        Area.geojson.is_not(None)).order_by(Area.code)).all()
                geoms = np.array([shape(json.loads(r.geojson)) for r in rows], dtype=object)
                self._tree = ([r.code for r in rows], [r.parent_code for r in rows], geoms,
                              shapely.STRtree(geoms))
            return self._tree


_CACHE: dict[int, _RegencyAreas] = {}
_CACHE_LOCK = threading.Lock()


def _token(regency_id: int):
    return tuple(db.session.execute(
        sa.select(sa.func.count(Area.id), sa.func.max(Area.updated_at),
                  sa.func.max(Area.id)).where(Area.regency_id == regency_id)).one())


def regency_areas(regency_id: int) -> _RegencyAreas:
    """The process's copy of a regency's areas, checked against the database once a request.

    The check (count, newest updated_at, highest id) is one small indexed query; within a
    request (flask.g) it is not repeated, so a page of 100 reports names them in one query.
    """
    memo = g.setdefault("_places", {}) if has_app_context() else {}
    if regency_id in memo:
        return memo[regency_id]
    token = _token(regency_id)
    with _CACHE_LOCK:
        cached = _CACHE.get(regency_id)
        if cached is None or cached.token != token:
            cached = _CACHE[regency_id] = _RegencyAreas(regency_id, token)
    memo[regency_id] = cached
    return cached


def forget_request_cache() -> None:
    if has_app_context():
        g.pop("_places", None)


# ---------------------------------------------------------------------------- locating

def tolerance_m() -> float:
    return float(current_app.config.get("PLACE_TOLERANCE_M", 1000.0))


def locate(regency_id: int, points: list[tuple[float | None, float | None] | None]
           ) -> list[Place]:
    """The desa and kecamatan of each (lat, lon); one query for the batch on PostgreSQL."""
    wanted = [i for i, p in enumerate(points)
              if p is not None and p[0] is not None and p[1] is not None]
    result = [NOWHERE] * len(points)
    if not wanted or not current_app.config.get("PLACE_ASSIGN", True):
        return result
    lats = [float(points[i][0]) for i in wanted]
    lons = [float(points[i][1]) for i in wanted]
    found = _locate_postgis(regency_id, lats, lons) if dialect_name() == "postgresql" \
        else _locate_shapely(regency_id, lats, lons)
    for i, place in zip(wanted, found):
        result[i] = place
    return result


# One statement for the whole batch: the query lives in the PL/pgSQL function
# locate_points() (migration 0016_locate_points), which runs it on a generic plan — as a
# prepared statement of its own PostgreSQL re-planned it on every call, 2/3 of its cost.
LOCATE_SQL = sa.text("SELECT i, code, name, parent_code, kecamatan, d, has_desa FROM "
                     "locate_points(:regency, CAST(:lats AS float8[]), "
                     "CAST(:lons AS float8[]), :tol)")


def _locate_postgis(regency_id: int, lats: list[float], lons: list[float]) -> list[Place]:
    rows = db.session.execute(LOCATE_SQL, {"lats": lats, "lons": lons, "regency": regency_id,
                                           "tol": tolerance_m()}).all()
    return [Place(r.code, r.parent_code, float(r.d), True, r.name, r.kecamatan)
            if r.code is not None else Place(located=bool(r.has_desa)) for r in rows]


def _locate_shapely(regency_id: int, lats: list[float], lons: list[float]) -> list[Place]:
    areas = regency_areas(regency_id)
    if not areas.has_desa:
        return [NOWHERE] * len(lats)
    codes, parents, geoms, tree = areas.tree()
    points = shapely.points(lons, lats)
    hits = tree.query(points, predicate="covered_by")  # [[point index], [desa index]]
    best: dict[int, int] = {}
    for p, a in zip(hits[0].tolist(), hits[1].tolist()):
        if p not in best or a < best[p]:  # geometries are in code order: lowest code wins
            best[p] = a
    tol = tolerance_m()
    out = []

    def named(index: int, distance: float) -> Place:
        desa, kec = areas.areas.get(codes[index]), areas.areas.get(parents[index])
        return Place(codes[index], parents[index], distance, True, desa and desa.name,
                     kec and kec.name)

    for p, (lat, lon) in enumerate(zip(lats, lons)):
        if p in best:
            out.append(named(best[p], 0.0))
            continue
        near = _nearest(lat, lon, tol, geoms, tree)
        out.append(named(near[1], near[0]) if near else Place(located=True))
    return out


def _nearest(lat: float, lon: float, tol: float, geoms, tree) -> tuple[float, int] | None:
    """(metres, index) of the nearest desa within `tol`, in a local projection around the
    point (x = east, y = north, metres on the sphere of EARTH_RADIUS_M)."""
    kx = M_PER_DEG * math.cos(math.radians(lat))
    dlat, dlon = tol / 110000.0, tol / 110000.0 / max(math.cos(math.radians(lat)), 0.05)
    candidates = tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
    best = None
    origin = shapely.Point(0.0, 0.0)
    for a in sorted(candidates.tolist()):
        local = shapely.transform(geoms[a], lambda xy: np.column_stack(
            ((xy[:, 0] - lon) * kx, (xy[:, 1] - lat) * M_PER_DEG)))
        d = float(local.distance(origin))
        if d <= tol and (best is None or d < best[0]):
            best = (d, a)
    return best


# ---------------------------------------------------------------------------- names

def place_of(*, regency_id: int, desa_code: str | None, kecamatan_code: str | None,
             has_location: bool, distance_m: float | None = None) -> dict:
    """The `place` object of the API contract for a report or incident."""
    place = {"desa_code": desa_code, "desa": None, "kecamatan_code": kecamatan_code,
             "kecamatan": None, "label": None, "distance_m": None, "outside": False}
    if desa_code is None and kecamatan_code is None:
        if has_location and regency_areas(regency_id).has_desa:
            place.update(outside=True, label=OUTSIDE_LABEL)
        return place
    areas = regency_areas(regency_id).areas
    if (desa_code and desa_code not in areas) or (kecamatan_code and kecamatan_code
                                                     not in areas):
        forget_request_cache()  # a long-lived context (worker) may hold an older copy
        areas = regency_areas(regency_id).areas
    desa, kec = areas.get(desa_code), areas.get(kecamatan_code)
    place["desa"] = desa.name if desa else None
    place["kecamatan"] = kec.name if kec else None
    place["distance_m"] = round(distance_m, 1) if distance_m is not None else None
    place["label"] = place_label(desa_code, place["desa"], place["kecamatan"])
    return place


def place_label(desa_code: str | None, desa: str | None, kecamatan: str | None) -> str | None:
    """"Desa Kayu Ara, Kec. Sekayu" (Kel. … for a kelurahan)."""
    parts = []
    if desa:
        parts.append(f"{'Kel.' if is_kelurahan(desa_code) else 'Desa'} {desa}")
    if kecamatan:
        parts.append(f"Kec. {kecamatan}")
    return ", ".join(parts) or None


def report_place(report) -> dict:
    return place_of(regency_id=report.regency_id, desa_code=report.desa_code,
                    kecamatan_code=report.kecamatan_code, has_location=report.lat is not None,
                    distance_m=report.place_distance_m)


def incident_place(incident) -> dict:
    return place_of(regency_id=incident.regency_id, desa_code=incident.desa_code,
                    kecamatan_code=incident.kecamatan_code,
                    has_location=incident.lat is not None)


def place_text(place: dict) -> str | None:
    """The label a person reads, or None when there is no location."""
    return place["label"]


# ---------------------------------------------------------------------------- reads

def desa_place(*, regency_id: int, code: str) -> tuple[Place, tuple[float, float]] | None:
    """A desa of the regency as a Place, with its label point (None: no such desa)."""
    areas = regency_areas(regency_id).areas
    area = areas.get(code)
    if area is None or area.level != "desa" or area.label_lat is None:
        return None
    kec = areas.get(area.parent_code)
    return (Place(area.code, area.parent_code, 0.0, True, area.name, kec and kec.name),
            (area.label_lat, area.label_lon))


def areas_geojson(*, actor: User, level: str) -> tuple[bytes, str]:
    """The regency's kecamatan or desa as a FeatureCollection, and its ETag."""
    require(actor, "view")
    areas = regency_areas(actor.regency_id)
    key = ("geojson", level)
    cached = getattr(areas, "_geojson", {})
    if key not in cached:
        rows = db.session.execute(
            sa.select(Area.code, Area.name, Area.level, Area.parent_code, Area.label_lat,
                      Area.label_lon, Area.geojson).where(
                Area.regency_id == actor.regency_id, Area.level == level)
            .order_by(Area.code)).all()
        parts = [
            '{"type":"Feature","properties":' + json.dumps(
                {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code,
                 "label_lat": r.label_lat, "label_lon": r.label_lon},
                ensure_ascii=False, separators=(",", ":"))
            + ',"geometry":' + (r.geojson or "null") + "}" for r in rows]
        body = ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()
        cached[key] = (body, '"' + sha1(body).hexdigest() + '"')
        areas._geojson = cached
    return cached[key]


def list_areas(*, actor: User) -> dict:
    """The regency's kecamatan and desa with how many desa and reports each has."""
    from backend.reports.models import Report

    require(actor, "admin")
    rows = db.session.execute(
        sa.select(Area.code, Area.name, Area.level, Area.parent_code, Area.label_lat,
                  Area.label_lon, Area.geojson.is_not(None).label("has_polygon"),
                  Area.updated_at)
        .where(Area.regency_id == actor.regency_id).order_by(Area.code)).all()
    desa_reports = dict(db.session.execute(
        sa.select(Report.desa_code, sa.func.count()).where(
            Report.regency_id == actor.regency_id, Report.desa_code.is_not(None))
        .group_by(Report.desa_code)).all())
    children: dict[str, int] = {}
    kec_reports: dict[str, int] = {}
    for r in rows:
        if r.level == "desa" and r.parent_code:
            children[r.parent_code] = children.get(r.parent_code, 0) + 1
            kec_reports[r.parent_code] = kec_reports.get(r.parent_code, 0) + \
                desa_reports.get(r.code, 0)
    areas = [{"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code,
              "label_lat": r.label_lat, "label_lon": r.label_lon,
              "has_polygon": bool(r.has_polygon), "updated_at": r.updated_at,
              "desa_count": children.get(r.code, 0) if r.level != "desa" else None,
              "reports": kec_reports.get(r.code, 0) if r.level == "kecamatan"
              else desa_reports.get(r.code, 0) if r.level == "desa" else None}
             for r in rows]
    counts = {level: sum(1 for r in rows if r.level == level) for level in LEVEL_SEGMENTS}
    return {"areas": areas, "counts": counts}


# ---------------------------------------------------------------------------- search

def search_places(*, actor: User, q: str, limit: int = 10) -> list[dict]:
    """Typo-tolerant search over the regency's desa/kelurahan and kecamatan names."""
    require(actor, "view")
    query = fold_name(q)
    if not query.replace(" ", ""):
        return []
    areas = regency_areas(actor.regency_id).areas
    scored = []
    for area in areas.values():
        if area.level not in ("desa", "kecamatan"):
            continue
        score = name_score(query, fold_name(area.name))
        if score >= 70:
            scored.append((-score, area.level != "kecamatan", area.code, area))
    out = []
    for neg, _, _, area in sorted(scored)[:limit]:
        kec = areas.get(area.parent_code) if area.level == "desa" else None
        out.append({
            "code": area.code, "name": area.name, "level": area.level,
            "label": place_label(area.code, area.name, kec.name if kec else None)
            if area.level == "desa" else f"Kec. {area.name}",
            "kecamatan_code": area.parent_code if area.level == "desa" else area.code,
            "kecamatan": kec.name if kec else (area.name if area.level == "kecamatan" else None),
            "label_lat": area.label_lat, "label_lon": area.label_lon,
            "score": round(-neg, 1)})
    return out
