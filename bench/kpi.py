"""KPI and board at scale: a year of history (1M reports with their incidents, dispatches and
alerts; backend/history.py) on PostgreSQL, then p50/p95/p99 of

* a month's KPI summary through backend.kpi.service.kpi_summary (every measure, p50/p90,
  targets, compliance — what the KPI page and the monthly report ask for),
* the live board through backend.board.service.live_board,

each beside the RAW SCAN baseline in the same run: plain SQL over the same rows (the month's
percentiles computed by PostgreSQL itself in one statement per subject; the board's counts
as a scan of the whole tables), and the month's plain SQL again with index scans disabled.
The ratio service / raw is the figure to watch; absolute numbers depend on the machine.

The demo's 24 units serve ~100 reports a day; for a year at 2 740 a day each post gets as many
crews as the volume needs (clones of its units and crews), so the history is not one endless
queue.

    ./dev bench kpi                       # defaults: 1 000 000 reports over 12 months
    ./dev bench kpi --reports 100000      # quicker
    ./dev bench kpi --reuse               # time again on the database of the last run
"""
from __future__ import annotations

import argparse
import math
import os
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bench.common import fresh_postgres

DB = os.environ.get("SIAGA_BENCH_KPI_DB", "siaga112_bench_kpi")  # parallel worktrees
DEMO_RATE = 100.0  # reports a day the demo's units are sized for


def nearest_rank(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def timed(fn, runs: int) -> dict:
    fn()  # warm: plans, caches, imports
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {f"p{p}": nearest_rank(samples, p) for p in (50, 95, 99)}


# The raw baseline: the same milestones, the same rows, percentiles by PostgreSQL (nearest
# rank, as percentile_disc), one statement per subject, no Python.
RAW_MONTH = (
    """SELECT count(*),
              percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY received_at - captured_at)
                FILTER (WHERE source <> 'call'),
              percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_viewed_at - received_at)
                FILTER (WHERE source <> 'call' AND first_viewed_at IS NOT NULL),
              percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY triaged_at - received_at)
                FILTER (WHERE triaged_at IS NOT NULL)
       FROM reports WHERE regency_id = :r AND received_at >= :s AND received_at < :e
         AND NOT test""",
    """SELECT count(*),
              percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY first_dispatched_at - created_at)
                FILTER (WHERE first_dispatched_at IS NOT NULL)
       FROM incidents WHERE regency_id = :r AND created_at >= :s AND created_at < :e
         AND NOT test""",
    """SELECT count(*),
              percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY d.acknowledged_at - d.created_at)
                FILTER (WHERE d.acknowledged_at IS NOT NULL),
              percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY d.on_scene_at - d.acknowledged_at)
                FILTER (WHERE d.on_scene_at IS NOT NULL AND d.acknowledged_at IS NOT NULL)
       FROM dispatches d JOIN incidents i ON i.id = d.incident_id
       WHERE d.regency_id = :r AND d.created_at >= :s AND d.created_at < :e AND NOT i.test""",
)
RAW_BOARD = (
    "SELECT status, count(*), min(received_at) FROM reports WHERE regency_id = :r "
    "AND NOT test GROUP BY status",
    "SELECT status, count(*), min(created_at) FROM incidents WHERE regency_id = :r "
    "AND NOT test GROUP BY status",
    "SELECT status, count(*) FROM dispatches WHERE regency_id = :r GROUP BY status",
)


def add_crews(regency_id: int, copies: int) -> int:
    """`copies` more units (and a crew account each) at every demo unit's post."""
    from backend.accounts.models import User
    from backend.extensions import db
    from backend.units.models import Unit

    if copies <= 0:
        return 0
    units = db.session.scalars(sa.select(Unit).where(Unit.regency_id == regency_id)
                               .order_by(Unit.id)).all()
    crews = {u.unit_id: u for u in db.session.scalars(
        sa.select(User).where(User.unit_id.is_not(None)))}
    added = 0
    for n in range(1, copies + 1):
        for unit in units:
            clone = Unit(regency_id=regency_id, agency_id=unit.agency_id,
                         name=f"{unit.name} ({n + 1})", call_sign=f"{unit.call_sign}-{n + 1}",
                         post_name=unit.post_name, lat=unit.lat, lon=unit.lon)
            db.session.add(clone)
            db.session.flush()
            crew = crews.get(unit.id)
            if crew is not None:
                db.session.add(User(regency_id=regency_id, username=f"{crew.username}-{n + 1}",
                                    name=crew.name, role="responder",
                                    password_hash=crew.password_hash, unit_id=clone.id))
            added += 1
    db.session.flush()
    return added


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=30, help="timed KPI summaries")
    parser.add_argument("--board-runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=112)
    parser.add_argument("--reuse", action="store_true",
                        help="skip the load: time on the database the last run left")
    args = parser.parse_args()
    admin = os.environ.get("SIAGA_TEST_POSTGRES_ADMIN",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    url = sa.engine.make_url(admin).set(database=DB).render_as_string(hide_password=False) \
        if args.reuse else fresh_postgres(DB)

    from flask_migrate import upgrade

    from backend import create_app
    from backend.accounts.models import User
    from backend.extensions import db
    from backend.history import Plan, write_history
    from backend.regencies.service import ensure_regency
    from backend.seed import seed_demo

    app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "PUSH_THREAD": False})
    with app.app_context():
        if args.reuse:  # a database left by an older branch: migrate it (back-fills run)
            before = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
            db.session.rollback()
            upgrade()
            after = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
            db.session.rollback()
            if before != after:
                print(f"Migrated the reused database {before} → {after}")
                with db.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            upgrade()
        regency = ensure_regency(code="1606", name="Musi Banyuasin")
        days = round(args.months * 365 / 12)
        end = db.session.scalar(sa.text("SELECT max(received_at) FROM reports")) \
            if args.reuse else datetime.now(timezone.utc).replace(microsecond=0)
        if not args.reuse:
            seed_demo(regency)
            rate = args.reports / days
            added = add_crews(regency.id, math.ceil(rate / DEMO_RATE) - 1)
            db.session.commit()
            started = time.perf_counter()

            def progress(totals):
                done = totals.reports + totals.test_reports
                if done // 100_000 != getattr(progress, "last", 0):
                    progress.last = done // 100_000
                    print(f"  {done:,} reports, {time.perf_counter() - started:.0f} s",
                          flush=True)

            totals = write_history(regency, Plan(start=end - timedelta(days=days), end=end,
                                                 reports_per_day=rate, seed=args.seed),
                                   on_day=progress)
            db.session.commit()
            load_s = time.perf_counter() - started
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
            print(f"\nLoaded {totals.reports + totals.test_reports:,} reports "
                  f"({totals.test_reports:,} test), {totals.incidents:,} incidents, "
                  f"{totals.dispatches:,} dispatches, {totals.alerts:,} alerts over {days} days "
                  f"in {load_s:.0f} s ({os.cpu_count()} CPUs; {added} units added to the "
                  f"demo's 24)")
        sizes = dict(db.session.execute(sa.text(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname IN "
            "('reports', 'incidents', 'dispatches', 'push_outbox')")).all())
        supervisor = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        # The last full local month before the end (the monthly report's period).
        from zoneinfo import ZoneInfo
        local = end.astimezone(ZoneInfo(regency.timezone or "Asia/Jakarta"))
        month_end = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        month_start = (month_end - timedelta(days=1)).replace(day=1)
        period = {"r": regency.id, "s": month_start, "e": month_end}
        db.session.rollback()
        load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        rows = run(regency.id, supervisor, period, end, args)
    print(f"\nTables: " + ", ".join(f"{k} {v:,}" for k, v in sorted(sizes.items())))
    print(f"Month: {month_start:%Y-%m-%d} – {month_end:%Y-%m-%d} (local); board at {end:%Y-%m-%d %H:%M} UTC")
    print(f"Load average before / after timing: {load_before} / "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    print(f"{'query':44} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}   "
          f"{'service / raw: p50':>18} {'p95':>6} {'p99':>6}")
    for name, figures, raw in rows:
        if figures is None:
            print(f"{name:44} {'(not on this branch)':>31}")
            continue
        ratios = " ".join(f"{figures[p] / raw[p]:5.1f}x" for p in ("p50", "p95", "p99")) \
            if raw else "(baseline)"
        print(f"{name:44} {figures['p50']:9.1f} {figures['p95']:9.1f} {figures['p99']:9.1f}   "
              f"{'':>12}{ratios}")


def run(regency_id: int, supervisor, period: dict, end: datetime, args) -> list:
    from backend.extensions import db

    def raw(statements, params, *, no_index=False):
        def go():
            if no_index:
                db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
                db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
            for statement in statements:
                db.session.execute(sa.text(statement), params).all()
            db.session.rollback()
        return go

    raw_month = timed(raw(RAW_MONTH, period), args.runs)
    rows = [("month, raw SQL percentiles (baseline)", raw_month, None),
            ("month, raw SQL, index scans off", timed(raw(RAW_MONTH, period, no_index=True),
                                                      max(5, args.runs // 3)), raw_month)]
    try:
        from backend.kpi.service import kpi_summary
    except ImportError:
        kpi_summary = None
    if kpi_summary is None:
        rows.append(("month KPI summary (kpi_summary)", None, None))
    else:
        def summary(group_by=None):
            def go():
                kpi_summary(regency_id, period["s"], period["e"], group_by)
                db.session.rollback()
            return go
        rows.append(("month KPI summary (kpi_summary)", timed(summary(), args.runs),
                     raw_month))
        rows.append(("month KPI summary by desa", timed(summary("desa"), args.runs),
                     raw_month))
        rows.append(("month KPI summary by channel", timed(summary("channel"), args.runs),
                     raw_month))
    raw_board = timed(raw(RAW_BOARD, {"r": regency_id}), max(10, args.board_runs // 10))
    rows.append(("board, raw SQL full-table counts (baseline)", raw_board, None))
    try:
        from backend.board.service import live_board
    except ImportError:
        live_board = None
    if live_board is None:
        rows.append(("live board (live_board)", None, None))
    else:
        def board():
            live_board(actor=supervisor, now=end)
            db.session.rollback()
        rows.append(("live board (live_board)", timed(board, args.board_runs), raw_board))
    return rows


if __name__ == "__main__":
    main()
