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
    """n units scattered over ~200 km around Musi Banyuasin, over the given agencies."""
    db.session.execute(sa.text("""
        INSERT INTO units (regency_id, agency_id, name, call_sign, post_name, lat, lon,
                           on_duty, updated_at)
        SELECT :regency, (:agencies)[1 + (i % cardinality(:agencies))], 'Unit ' || i, 'U' || i,
               'Pos ' || i, -2.6 + (random() - 0.5) * 2, 103.9 + (random() - 0.5) * 2,
               i % 10 <> 0, now()
        FROM generate_series(1, :n) AS i"""),
        {"regency": regency_id, "agencies": agency_ids, "n": n})
    db.session.execute(sa.text("ANALYZE units"))
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
    assert "ix_units_location" in text, json.dumps(plan, indent=1)
    assert '"Order By"' in text  # an ordered (KNN) index scan, not a sort of every row
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
