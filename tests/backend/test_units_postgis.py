"""Nearest-unit recommendation: PostGIS uses the GiST index; both drivers rank alike."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.extensions import db
from backend.units.models import Unit
from backend.units.service import nearest_units_query, recommend_units

SEKAYU = (-2.9128, 103.8282)


def _many_units(regency_id: int, agency_ids: list[int], n: int) -> None:
    """n units scattered over ~200 km around Musi Banyuasin, over the given agencies; a third
    with a fresh crew fix (up to 30 km from the post), a third with a stale one."""
    db.session.execute(sa.text("""
        INSERT INTO units (regency_id, agency_id, name, call_sign, post_name, lat, lon,
                           on_duty, updated_at, fix_lat, fix_lon, fix_at)
        SELECT :regency, (:agencies)[1 + (i % cardinality(:agencies))], 'Unit ' || i, 'U' || i,
               'Pos ' || i, lat, lon, i % 10 <> 0, now(),
               CASE WHEN i % 3 <> 0 THEN lat + (random() - 0.5) * 0.5 END,
               CASE WHEN i % 3 <> 0 THEN lon + (random() - 0.5) * 0.5 END,
               CASE i % 3 WHEN 1 THEN now() - random() * interval '9 min'
                          WHEN 2 THEN now() - interval '1 hour' END
        FROM (SELECT i, -2.6 + (random() - 0.5) * 2 AS lat, 103.9 + (random() - 0.5) * 2 AS lon
              FROM generate_series(1, :n) AS i) AS g"""),
        {"regency": regency_id, "agencies": agency_ids, "n": n})
    db.session.execute(sa.text("ANALYZE"))  # as autovacuum would: units, agencies, ...
    db.session.commit()


@pytest.mark.postgres_only
def test_knn_query_uses_the_gist_index_with_10k_units(app, staff):
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    agency_ids = [a for a, in db.session.execute(sa.text(
        "SELECT id FROM agencies WHERE regency_id = :r"), {"r": admin.regency_id})]
    _many_units(admin.regency_id, agency_ids, 10_000)
    query = nearest_units_query(regency_id=admin.regency_id, agency_types=["fire_brigade"],
                                lat=SEKAYU[0], lon=SEKAYU[1], limit=5)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = db.session.execute(sa.text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    text = json.dumps(plan)
    assert "ix_units_location" in text, json.dumps(plan, indent=1)       # posts
    assert "ix_units_fix_location" in text, json.dumps(plan, indent=1)   # fresh fixes
    assert text.count('"Order By"') >= 2  # ordered (KNN) index scans, not a sort of every row
    db.session.rollback()


@pytest.mark.postgres_only
def test_postgis_and_python_drivers_rank_alike_with_fresh_and_stale_fixes(app, staff):
    """The SQL driver (two KNN scans merged) and the Python driver (the embedded profile's
    maths) pick the same units in the same order, over posts, fresh and stale fixes."""
    import random

    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    agency_ids = [a for a, in db.session.execute(sa.text(
        "SELECT id FROM agencies WHERE regency_id = :r"), {"r": admin.regency_id})]
    _many_units(admin.regency_id, agency_ids, 3000)
    rng = random.Random(112)
    used = {"gps": 0, "post": 0}
    for _ in range(25):
        lat, lon = -2.6 + (rng.random() - .5) * 2, 103.9 + (rng.random() - .5) * 2
        both = [recommend_units(regency_id=admin.regency_id, category="accident", lat=lat,
                                lon=lon, limit=8, driver=driver) for driver in ("sql", "python")]
        sql, py = ([r.unit.id for r in ranked] for ranked in both)
        # Spheroid (PostGIS) vs sphere (Python) differ by < 1 %: a swap of two units at
        # nearly the same distance is the only difference allowed.
        assert len(sql) == len(py) == 8
        for a, b, (x, y) in zip(both[0], both[1], zip(sql, py)):
            assert x == y or abs(a.distance_m - b.distance_m) < 0.01 * b.distance_m
            assert abs(a.distance_m - b.distance_m) <= 0.01 * b.distance_m + 1
        assert set(sql[:-1]) <= set(py)
        for r in both[0]:
            used[r.position.source] += 1
    assert used["gps"] and used["post"]  # both scans contributed
    db.session.rollback()


def test_a_fresh_fix_places_the_unit_and_a_stale_one_does_not(app, staff):
    """Both drivers (whichever this database uses): the crew's fresh fix, else the post."""
    from datetime import timedelta

    from backend.db import utcnow

    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    mine = sa.select(Unit).where(Unit.call_sign == "DMK-BYL-1",
                                 Unit.regency_id == admin.regency_id)
    unit = db.session.scalar(mine)
    regency_id, scene = unit.regency_id, (-2.80, 103.95)
    unit.fix_lat, unit.fix_lon, unit.fix_at = scene[0] + 0.002, scene[1], utcnow()
    db.session.commit()
    top = recommend_units(regency_id=regency_id, category="fire", lat=scene[0], lon=scene[1])
    assert top[0].unit.call_sign == "DMK-BYL-1" and top[0].position.source == "gps"
    assert 150 < top[0].distance_m < 300
    unit = db.session.scalar(mine)
    unit.fix_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    ranked = recommend_units(regency_id=regency_id, category="fire", lat=scene[0],
                             lon=scene[1], limit=10)
    byl, = [r for r in ranked if r.unit.call_sign == "DMK-BYL-1"]
    assert byl.position.source == "post" and byl.distance_m > 50_000
    assert ranked[0].unit.call_sign != "DMK-BYL-1"
    db.session.rollback()


def test_both_drivers_rank_the_demo_units_the_same(app, staff):
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    ranked = recommend_units(regency_id=admin.regency_id, category="accident", lat=-2.5891,
                             lon=104.1098, limit=4)
    assert [r.unit.call_sign for r in ranked][:2] in (["POL-SLL", "AMB-SLL"],
                                                      ["AMB-SLL", "POL-SLL"])
    assert ranked[0].distance_m < 1000
    assert all(a.distance_m <= b.distance_m for a, b in zip(ranked, ranked[1:]))
    assert {r.agency.type for r in ranked} <= {"police", "health"}
    db.session.rollback()


def test_unit_off_duty_or_other_regency_is_never_recommended(app, staff):
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    units = db.session.scalars(sa.select(Unit)).all()
    other_regency = {u.id for u in units if u.regency_id != admin.regency_id}
    ranked = recommend_units(regency_id=admin.regency_id, category="fire", lat=SEKAYU[0],
                             lon=SEKAYU[1], limit=50)
    assert ranked and not ({r.unit.id for r in ranked} & other_regency)
    db.session.rollback()
