"""Places: import, locating points on the real Musi Banyuasin polygons with both drivers."""
from __future__ import annotations

import json
import random
import re
from collections import defaultdict

import pytest
import shapely
import shapely.affinity
import sqlalchemy as sa
from shapely.geometry import shape

from backend.extensions import db
from backend.places import service as places
from backend.places.models import Area
from backend.places.service import (
    DEMO_SET,
    Place,
    _locate_postgis,
    _locate_shapely,
    import_areas,
    import_files,
    locate,
)
from backend.regencies.models import Regency

SERASAN_JAYA = (-2.8851, 103.8467)  # in Kel. Serasan Jaya, Kec. Sekayu
PALEMBANG = (-2.9761, 104.7754)     # another city, ~35 km outside the regency
JAKARTA = (-6.2, 106.8)


def _regency(code="1606") -> Regency:
    return db.session.scalar(sa.select(Regency).where(Regency.code == code))


def _load() -> Regency:
    regency = _regency()
    places.load_demo_areas(regency)
    db.session.commit()
    return regency


def _desa_shapes() -> dict[str, shapely.Geometry]:
    collection = places.read_geojson(DEMO_SET / "desa.geojson")
    return {f["properties"]["code"]: shape(f["geometry"]) for f in collection["features"]}


def test_import_is_idempotent_and_updates_by_code(app):
    db.session.execute(sa.delete(Area))  # from nothing (tests start with the demo set)
    regency = _regency()
    paths = [DEMO_SET / f for f in ("kabupaten.geojson", "kecamatan.geojson", "desa.geojson")]
    first = import_files(paths=paths)  # the regency from the codes' prefix: 16.06 → 1606
    db.session.commit()
    assert (first.regency, first.inserted, first.updated, first.unchanged) == ("1606", 256, 0, 0)
    again = import_files(paths=paths, regency=regency)
    db.session.commit()
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 256)
    counts = dict(db.session.execute(sa.select(Area.level, sa.func.count()).group_by(
        Area.level)).all())
    assert counts == {"regency": 1, "kecamatan": 15, "desa": 240}
    # A renamed desa is updated in place; its parent and label point come from the file.
    renamed = places.read_geojson(DEMO_SET / "desa.geojson")["features"][0]
    renamed = dict(renamed, properties=dict(renamed["properties"], name="Kayu Ara Baru"))
    result = import_areas(collection={"type": "FeatureCollection", "features": [renamed]})
    db.session.commit()
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 0)
    area = db.session.scalar(sa.select(Area).where(Area.code == "16.06.01.1009"))
    assert (area.name, area.level, area.parent_code) == ("Kayu Ara Baru", "desa", "16.06.01")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 256


def test_label_point_is_the_centroid_when_inside_else_a_point_inside(app):
    _load()
    shapes = _desa_shapes()
    areas = {a.code: a for a in db.session.scalars(sa.select(Area).where(Area.level == "desa"))}
    for code, geom in shapes.items():
        assert geom.covers(shapely.Point(areas[code].label_lon, areas[code].label_lat)), code
    # Lumpatan's source centroid lies outside its concave polygon (SOURCES.md caveats).
    props = next(f["properties"] for f in places.read_geojson(
        DEMO_SET / "desa.geojson")["features"] if f["properties"]["code"] == "16.06.01.2002")
    assert not shapes["16.06.01.2002"].covers(
        shapely.Point(props["centroid_lon"], props["centroid_lat"]))
    assert (areas["16.06.01.2002"].label_lat, areas["16.06.01.2002"].label_lon) != (
        props["centroid_lat"], props["centroid_lon"])


def test_locate_inside_nearest_and_outside(app):
    regency = _load()
    inside, palembang, jakarta, nowhere = locate(regency.id, [SERASAN_JAYA, PALEMBANG, JAKARTA,
                                                              None])
    assert inside == Place("16.06.01.1010", "16.06.01", 0.0, True, "Serasan Jaya", "Sekayu")
    assert inside.label == "Kel. Serasan Jaya, Kec. Sekayu"
    assert palembang.desa_code is None and palembang.located
    assert palembang.label == "Di luar wilayah kabupaten"
    assert jakarta.desa_code is None and jakarta.located
    assert nowhere == Place() and nowhere.label is None
    # Just outside the regency's edge: the nearest desa, with its distance.
    shapes = _desa_shapes()
    edge = _points_outside(regency, metres=300, count=5)
    for place, (lat, lon) in zip(locate(regency.id, edge), edge):
        assert place.desa_code is not None and 0 < place.distance_m <= 1000, (lat, lon, place)
        assert place.kecamatan_code == place.desa_code.rsplit(".", 1)[0]
        assert not any(g.covers(shapely.Point(lon, lat)) for g in shapes.values())


def test_tests_start_with_the_demo_areas_even_after_a_test_changed_them(app):
    # (test_import_is_idempotent_and_updates_by_code renamed Kayu Ara before this)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 256
    assert db.session.scalar(sa.select(Area.name).where(Area.code == "16.06.01.1009")) == \
        "Kayu Ara"
    assert places.load_demo_areas(_regency()) is None  # already there: left alone


def test_a_regency_without_areas_places_nothing_and_says_nothing(app):
    other = _regency("1607")
    assert locate(other.id, [SERASAN_JAYA]) == [Place()]


def _points_outside(regency, *, metres: float, count: int) -> list[tuple[float, float]]:
    """Points `metres` beyond the regency outline, spread along it, outside every desa and
    clearly within (< 900 m) or beyond (> 1300 m) the 1000 m tolerance of the nearest one."""
    outline = shape(places.read_geojson(DEMO_SET / "kabupaten.geojson")["features"][0][
        "geometry"])
    desa = shapely.union_all(list(_desa_shapes().values()))
    ring = outline.buffer(metres / 111_000).exterior
    out = []
    for i in range(count * 4):
        point = ring.interpolate(i / (count * 4), normalized=True)
        gap = desa.distance(point) * 111_000
        if not desa.covers(point) and gap > metres * 0.5 and (gap < 900 or gap > 1300):
            if (gap < 900) == (metres < 1000):
                out.append((point.y, point.x))
    return out[:count]


def _shared_border_points() -> tuple[list[tuple[float, float]], dict]:
    """Vertices and segment midpoints that two or more desa polygons have in common."""
    vertex_owners, edge_owners = defaultdict(set), defaultdict(set)
    for code, geom in _desa_shapes().items():
        for polygon in getattr(geom, "geoms", [geom]):
            for ring in [polygon.exterior, *polygon.interiors]:
                coords = list(ring.coords)
                for a, b in zip(coords, coords[1:]):
                    vertex_owners[a].add(code)
                    edge_owners[frozenset((a, b))].add(code)
    vertices = [v for v, owners in vertex_owners.items() if len(owners) >= 2]
    midpoints = [tuple((x1 + x2) / 2 for x1, x2 in zip(*sorted(e)))
                 for e, owners in edge_owners.items() if len(owners) >= 2 and len(e) == 2]
    owners = {(v[1], v[0]): vertex_owners[v] for v in vertices}
    return [(y, x) for x, y in vertices] + [(y, x) for x, y in midpoints], owners


@pytest.mark.postgres_only
def test_postgis_and_shapely_agree_on_the_real_polygons(app):
    regency = _load()
    rng = random.Random(112)
    bbox = [(rng.uniform(-3.32, -1.66), rng.uniform(102.98, 104.74)) for _ in range(3000)]
    labels = [(a.label_lat, a.label_lon) for a in db.session.scalars(
        sa.select(Area).where(Area.level == "desa").order_by(Area.code))]
    borders, vertex_owners = _shared_border_points()
    near = _points_outside(regency, metres=150, count=40) + _points_outside(
        regency, metres=700, count=40)
    beyond = _points_outside(regency, metres=3000, count=20)
    outside = near + beyond
    far = [PALEMBANG, JAKARTA, (0.0, 0.0), (-2.5, 110.0)]
    assert len(borders) > 500 and len(outside) > 60  # the hard cases really are there
    points = bbox + labels + borders + outside + far
    pg = _locate_postgis(regency.id, [p[0] for p in points], [p[1] for p in points])
    shp = _locate_shapely(regency.id, [p[0] for p in points], [p[1] for p in points])
    assert len(pg) == len(shp) == len(points)
    ties = 0
    for point, a, b in zip(points, pg, shp):
        if a.desa_code != b.desa_code:
            # Two desa (nearly) equally near, or a point exactly at the tolerance: either
            # answer is right; both drivers must still measure the same distance.
            assert a.distance_m and b.distance_m, (point, a, b)
            assert abs(a.distance_m - b.distance_m) < 1.0 or abs(
                max(a.distance_m or 0, b.distance_m or 0) - 1000) < 2, (point, a, b)
            ties += 1
            continue
        assert (a.kecamatan_code, a.located, a.desa, a.kecamatan) == (
            b.kecamatan_code, b.located, b.desa, b.kecamatan), (point, a, b)
        if a.distance_m is None:
            assert b.distance_m is None
        else:
            assert abs(a.distance_m - b.distance_m) <= max(1.0, 0.002 * a.distance_m), (
                point, a, b)
    assert ties <= 2
    by_point = dict(zip(points, pg))
    # A vertex two desa share belongs to the lowest code of all desa covering it.
    shapes = _desa_shapes()
    codes = sorted(shapes)
    tree = shapely.STRtree([shapes[c] for c in codes])
    for (lat, lon), owners in vertex_owners.items():
        covering = [codes[i] for i in tree.query(shapely.Point(lon, lat), predicate="covered_by")]
        assert set(owners) <= set(covering)
        assert by_point[(lat, lon)].desa_code == min(covering)
    # Every desa's label point is in that desa (or a lower-coded overlapping one).
    placed = [by_point[p].desa_code for p in labels]
    assert sum(p == c for p, c in zip(placed, codes)) >= 0.95 * len(codes)
    assert all(p <= c for p, c in zip(placed, codes))
    # Outside: never dropped — far points are located but in no desa.
    assert all(by_point[p].located and by_point[p].desa_code is None for p in far)
    assert all(by_point[p].desa_code and by_point[p].distance_m > 0 for p in near)
    assert all(by_point[p].located and by_point[p].desa_code is None for p in beyond)


@pytest.mark.postgres_only
def test_locate_query_uses_the_gist_index(app):
    regency = _load()
    # A province's worth of other areas, so the planner has a real choice to make.
    db.session.execute(sa.text("""
        INSERT INTO areas (regency_id, code, name, level, parent_code, geojson, updated_at)
        SELECT :other, '16.07.' || lpad((i / 1000)::text, 2, '0') || '.' || lpad((i % 1000)::text, 4, '0'),
               'Desa ' || i, 'desa', '16.07.' || lpad((i / 1000)::text, 2, '0'),
               json_build_object('type', 'Polygon', 'coordinates', json_build_array(json_build_array(
                 json_build_array(104.8 + (i % 100) * 0.01, -3.0 + (i / 100) * 0.01),
                 json_build_array(104.81 + (i % 100) * 0.01, -3.0 + (i / 100) * 0.01),
                 json_build_array(104.81 + (i % 100) * 0.01, -2.99 + (i / 100) * 0.01),
                 json_build_array(104.8 + (i % 100) * 0.01, -3.0 + (i / 100) * 0.01))))::text,
               now()
        FROM generate_series(1, 5000) AS i"""), {"other": _regency("1607").id})
    db.session.execute(sa.text("ANALYZE areas"))
    # The plan locate_points() runs: its body's query, prepared, on the generic plan its
    # SET clause forces (migration 0016_locate_points).
    source, config = db.session.execute(sa.text(
        "SELECT prosrc, proconfig FROM pg_proc WHERE proname = 'locate_points'")).one()
    assert config == ["plan_cache_mode=force_generic_plan"]
    query = re.search(r"RETURN QUERY(.*);\s*END", source, re.S).group(1)
    for n, name in enumerate(("p_regency", "p_lats", "p_lons", "p_tol"), start=1):
        query = re.sub(rf"\b{name}\b", f"${n}", query)
    db.session.execute(sa.text("SET LOCAL plan_cache_mode = force_generic_plan"))
    db.session.execute(sa.text(
        "PREPARE locate_plan(integer, float8[], float8[], float8) AS " + query))
    lats, lons = (", ".join([repr(float(x))] * 20) for x in SERASAN_JAYA)
    plan = db.session.execute(sa.text(  # EXPLAIN EXECUTE takes literals, not parameters
        f"EXPLAIN (FORMAT JSON) EXECUTE locate_plan({int(regency.id)}, "
        f"ARRAY[{lats}]::float8[], ARRAY[{lons}]::float8[], 1000.0)")).scalar_one()
    db.session.execute(sa.text("DEALLOCATE locate_plan"))
    assert "ix_areas_geom" in json.dumps(plan), json.dumps(plan, indent=1)
    db.session.rollback()


def test_the_tree_follows_a_reimport(app):
    regency = _load()
    assert locate(regency.id, [SERASAN_JAYA])[0].desa_code == "16.06.01.1010"
    # Serasan Jaya's polygon moves far away (an admin's correction): the next locate sees it.
    feature = next(f for f in places.read_geojson(DEMO_SET / "desa.geojson")["features"]
                   if f["properties"]["code"] == "16.06.01.1010")
    moved = shapely.affinity.translate(shape(feature["geometry"]), xoff=0.5)
    import_areas(collection={"type": "FeatureCollection", "features": [dict(
        feature, geometry=shapely.geometry.mapping(moved),
        properties={k: v for k, v in feature["properties"].items() if "centroid" not in k})]})
    db.session.commit()
    places.forget_request_cache()
    assert locate(regency.id, [SERASAN_JAYA])[0].desa_code != "16.06.01.1010"


def test_flask_areas_import_command(app, tmp_path):
    db.session.execute(sa.delete(Area))
    db.session.commit()
    runner = app.test_cli_runner()
    files = [str(DEMO_SET / f) for f in ("kecamatan.geojson", "desa.geojson")]
    first = runner.invoke(args=["areas", "import", *files])
    assert first.exit_code == 0, first.output
    assert "regency 1606: 255 inserted, 0 updated, 0 unchanged" in first.output
    again = runner.invoke(args=["areas", "import", "--regency", "1606", *files])
    assert "0 inserted, 0 updated, 255 unchanged" in again.output
    wrong = runner.invoke(args=["areas", "import", "--regency", "1607", files[0]])
    assert wrong.exit_code == 1 and "not in regency 16.07" in wrong.output
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    refused = runner.invoke(args=["areas", "import", str(broken)])
    assert refused.exit_code == 1 and "nothing was imported" in refused.output
    broken.write_text("<kml>not json</kml>")
    assert "not a GeoJSON file" in runner.invoke(args=["areas", "import", str(broken)]).output
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Area)) == 255
