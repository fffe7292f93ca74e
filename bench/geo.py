"""Spatial and inbox queries at scale: 10k units, 1M reports, on PostgreSQL + PostGIS.

Measures, through the real service functions, the nearest-unit recommendation (two KNN scans
on the GiST indexes: posts, and crews' fresh GPS fixes — a share of the units has one, and
some units are busy on open dispatches, which the recommendation skips) and the operator
inbox query, and beside each the same query with index scans disabled (what the database
would do without our indexes), in the same run.

    ./dev bench geo                    # defaults: 10 000 units, 1 000 000 reports
    ./dev bench geo --reports 200000   # quicker
    ./dev bench geo --fresh-share 0.5  # half the units with a fresh crew fix
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time

import sqlalchemy as sa

from bench.common import fresh_postgres

DB = os.environ.get("SIAGA_BENCH_GEO_DB", "siaga112_bench_geo")  # parallel worktrees


def timed(fn, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p95_ms": samples[int(len(samples) * .95) - 1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--fresh-share", type=float, default=0.3,
                        help="share of units whose crew sent a GPS fix in the last minutes")
    parser.add_argument("--busy-share", type=float, default=0.05,
                        help="share of units on an open dispatch")
    args = parser.parse_args()
    url = fresh_postgres(DB)

    from flask_migrate import upgrade

    from backend import create_app
    from backend.accounts.models import User
    from backend.extensions import db
    from backend.regencies.service import ensure_regency
    from backend.seed import seed_demo
    from backend.triage.service import inbox
    from backend.units.service import recommend_units

    app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "PUSH_THREAD": False})
    with app.app_context():
        upgrade()
        regency = ensure_regency(code="1606", name="Musi Banyuasin")
        seed_demo(regency)
        db.session.commit()
        operator = db.session.scalar(sa.select(User).where(User.username == "operator1"))
        started = time.perf_counter()
        db.session.execute(sa.text("""
            INSERT INTO units (regency_id, agency_id, name, call_sign, post_name, lat, lon,
                               on_duty, updated_at)
            SELECT :r, (SELECT id FROM agencies ORDER BY id OFFSET (i % 7) LIMIT 1),
                   'Unit ' || i, 'U' || i, 'Pos ' || i, -2.6 + (random() - 0.5) * 2,
                   103.9 + (random() - 0.5) * 2, i % 10 <> 0, now()
            FROM generate_series(1, :n) AS i"""), {"r": regency.id, "n": args.units})
        # Crews' GPS fixes: a share fresh (within UNIT_FIX_FRESH_MINUTES), a share stale,
        # up to ~25 km from the post.
        db.session.execute(sa.text("""
            UPDATE units SET fix_lat = lat + (random() - 0.5) * 0.45,
                             fix_lon = lon + (random() - 0.5) * 0.45,
                             fix_at = CASE WHEN random() < :fresh
                                           THEN now() - random() * interval '9 min'
                                           ELSE now() - interval '3 hours' END
            WHERE regency_id = :r AND random() < 0.8"""),
            {"r": regency.id, "fresh": args.fresh_share / 0.8})
        # Busy units: an open dispatch each (one incident holds them all; the partial unique
        # index allows one open dispatch per unit).
        db.session.execute(sa.text("""
            INSERT INTO incidents (regency_id, category, priority, status, lat, lon, summary,
                                   created_by, created_at, updated_at)
            VALUES (:r, 'fire', 1, 'dispatched', -2.6, 103.9, 'bench', :u, now(), now())"""),
            {"r": regency.id, "u": operator.id})
        db.session.execute(sa.text("""
            INSERT INTO dispatches (regency_id, incident_id, unit_id, status, created_by,
                                    created_at, updated_at, needs_attention)
            SELECT :r, (SELECT max(id) FROM incidents), id, 'en_route', :u, now(), now(), false
            FROM units WHERE regency_id = :r AND random() < :busy"""),
            {"r": regency.id, "u": operator.id, "busy": args.busy_share})
        db.session.execute(sa.text("""
            INSERT INTO reports (regency_id, category, status, lat, lon, accuracy_m,
                                 location_source, note, silent, captured_at, time_source,
                                 clock_offset_ms, clock_skew_flagged, received_at, updated_at,
                                 source)
            SELECT :r, (ARRAY['fire','riot','accident','natural_disaster','health',
                              'violence_women_children','public_order','other'])[1 + i % 8],
                   CASE WHEN i % 100 = 0 THEN 'received'
                        ELSE (ARRAY['confirmed','rejected','merged','cancelled'])[1 + i % 4]
                   END,
                   -2.6 + (random() - 0.5) * 2, 103.9 + (random() - 0.5) * 2, 15, 'gps', '',
                   i % 97 = 0, t, 'device_corrected', 0, false, t + interval '3 min', t, 'app'
            FROM (SELECT i, now() - (random() * interval '365 days') AS t
                  FROM generate_series(1, :n) AS i) AS g"""),
            {"r": regency.id, "n": args.reports})
        db.session.commit()
        load_s = time.perf_counter() - started
        with db.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()

        points = [(-2.6 + (random.random() - .5) * 2, 103.9 + (random.random() - .5) * 2)
                  for _ in range(args.runs)]
        it = iter(points * 3)

        def nearest():
            lat, lon = next(it)
            recommend_units(regency_id=regency.id, category="fire", lat=lat, lon=lon, limit=5)
            db.session.rollback()

        def triage():
            inbox(actor=operator, limit=100)
            db.session.rollback()

        def without_indexes(fn):
            def run():
                db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
                db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
                fn()
            return run

        def sources():
            used = {"gps": 0, "post": 0}
            for lat, lon in points[:50]:
                for r in recommend_units(regency_id=regency.id, category="fire", lat=lat,
                                         lon=lon, limit=5):
                    used[r.position.source] += 1
            db.session.rollback()
            return used

        fixes = db.session.execute(sa.text(
            "SELECT count(*) FILTER (WHERE fix_at > now() - interval '10 min'), count(*) "
            "FROM units")).one()
        busy = db.session.scalar(sa.text("SELECT count(*) FROM dispatches"))
        db.session.rollback()
        used = sources()
        def floor():  # one round trip + rollback: what the machine costs before any query
            db.session.execute(sa.text("SELECT 1"))
            db.session.rollback()

        rows = {
            "round trip floor (SELECT 1)": (timed(floor, args.runs), timed(floor, 20)),
            f"nearest 5 free units ({args.units:,} units)": (
                timed(nearest, args.runs), timed(without_indexes(nearest), 20)),
            f"inbox top 100 ({args.reports:,} reports)": (timed(triage, args.runs),
                                                           timed(without_indexes(triage), 10)),
        }
    print(f"\nLoaded {args.units:,} units and {args.reports:,} reports in {load_s:.0f} s "
          f"({os.cpu_count()} CPUs); {fixes[0]:,} of {fixes[1]:,} units with a fresh crew fix, "
          f"{busy:,} busy; recommended positions over 50 points: {used['gps']} GPS, "
          f"{used['post']} post")
    print(f"{'query':38} {'p50 ms':>8} {'p95 ms':>8} {'no-index p50':>13} {'speed-up':>9}")
    for name, (ours, base) in rows.items():
        print(f"{name:38} {ours['p50_ms']:8.2f} {ours['p95_ms']:8.2f} {base['p50_ms']:13.2f} "
              f"{base['p50_ms'] / ours['p50_ms']:8.0f}x")


if __name__ == "__main__":
    main()
