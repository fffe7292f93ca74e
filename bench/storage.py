"""`./dev bench storage` — bytes one report costs on PostgreSQL, tables and indexes together.

Stores reports through the real path (`/v1/sync` report.create, in process: the report, its
sync receipt, its change for the phone and its audit event; one registration per device), then
reads pg_total_relation_size of every table before and after, VACUUM ANALYZE'd both times, in
a fresh database. When the KPI bench's database (a year of history: incidents, dispatches,
alerts) is there, its tables are read too, per report. The figures feed docs/SCALE.md.
"""
from __future__ import annotations

import argparse
import os
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from bench.common import fresh_postgres

DB = os.environ.get("SIAGA_BENCH_STORAGE_DB", "siaga112_bench_storage")
KPI_DB = os.environ.get("SIAGA_BENCH_KPI_DB", "siaga112_bench_kpi")
SIZES = ("SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
         "JOIN pg_namespace n ON n.oid = c.relnamespace "
         "WHERE n.nspname = 'public' AND c.relkind = 'r'")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _sizes(url: str) -> dict[str, int]:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
        sizes = dict(conn.execute(sa.text(SIZES)).all())
    engine.dispose()
    return sizes


def _store(app, devices: int, per_device: int, batch: int) -> int:
    client = app.test_client()
    stored = 0
    for d in range(devices):
        response = client.post("/v1/devices", json={"platform": "android", "app_version": "1.0.0",
                                                    "locale": "id"})
        assert response.status_code == 201, response.get_json()
        key = response.get_json()["device_key"]
        for start in range(0, per_device, batch):
            ops = [{"id": str(uuid.uuid4()), "type": "report.create", "at": _now(),
                    "data": {"category": "fire",
                             "location": {"lat": -2.88 - (d % 50) / 1000,
                                          "lon": 103.84 + (i % 50) / 1000,
                                          "accuracy_m": 12, "source": "gps"},
                             "note": "rumah terbakar dekat masjid"}}
                   for i in range(start, min(start + batch, per_device))]
            body = {"protocol": 1, "device_time": _now(), "cursor": None, "ops": ops}
            response = client.post("/v1/sync", json=body,
                                   headers={"Authorization": f"Bearer {key}"})
            results = response.get_json()["results"]
            stored += sum(r["status"] == "applied" for r in results)
    return stored


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--per-device", type=int, default=10)
    parser.add_argument("--batch", type=int, default=5)
    args = parser.parse_args()

    from backend import create_app
    from backend.extensions import db

    url = fresh_postgres(DB)
    app = create_app({"DATABASE_URL": url, "PUSH_THREAD": False,
                      "REGISTRATION_LIMIT_PER_ADDRESS": "1000000/minute"})
    with app.app_context():
        from flask_migrate import upgrade

        from backend.regencies.service import ensure_regency
        upgrade()
        ensure_regency(code=app.config["DEFAULT_REGENCY"], name="Musi Banyuasin")
        db.session.commit()
        db.engine.dispose()
    before = _sizes(url)
    with app.app_context():
        stored = _store(app, args.devices, args.per_device, args.batch)
        db.engine.dispose()
    after = _sizes(url)

    grown = {t: after[t] - before.get(t, 0) for t in after if after[t] > before.get(t, 0)}
    print(f"{stored:,} reports from {args.devices:,} devices through /v1/sync "
          f"(batches of {args.batch}); growth of every table, indexes included:")
    print(f"{'table':<16}{'bytes':>12}{'per report':>12}")
    for table, size in sorted(grown.items(), key=lambda kv: -kv[1]):
        print(f"{table:<16}{size:>12,}{size / stored:>12,.0f}")
    total = sum(grown.values())
    print(f"{'total':<16}{total:>12,}{total / stored:>12,.0f}")

    kpi_url = sa.engine.make_url(url).set(database=KPI_DB).render_as_string(hide_password=False)
    try:
        history = _sizes(kpi_url)
    except sa.exc.OperationalError:
        print(f"\n(no {KPI_DB} database: run ./dev bench kpi for the history's incidents, "
              "dispatches and alerts)")
        return
    engine = sa.create_engine(kpi_url)
    with engine.connect() as conn:
        reports = conn.execute(sa.text("SELECT count(*) FROM reports")).scalar_one()
    engine.dispose()
    print(f"\nThe KPI bench's history ({KPI_DB}, {reports:,} reports), per report:")
    for table in ("reports", "incidents", "dispatches", "push_outbox", "devices"):
        print(f"{table:<16}{history.get(table, 0):>14,}{history.get(table, 0) / reports:>12,.0f}")


if __name__ == "__main__":
    main()
