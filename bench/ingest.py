"""Ingestion benchmark: reports/s through the real HTTP stack beside the raw SQL ceiling.

Both sides run in the same run, on the same PostgreSQL, with the same number of concurrent
connections, writing the same rows per report (report, op receipt, change, audit event),
one transaction per batch. The ratio HTTP / raw is the figure to watch; absolute numbers
depend on the machine.

Desa assignment: the database holds Musi Banyuasin's 240 desa polygons and every SOS lands
near a desa (most inside one, some in the gaps between polygons); batch-20 ingestion runs on
two servers side by side — one assigning each report's desa in the same transaction, one
with PLACE_ASSIGN=false — alternating for --rounds rounds, so the cost of assignment is read
from one run.

    ./dev bench                      # defaults: 8 s per scenario, 16 connections
    ./dev bench --seconds 20 --connections 32
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone

import psycopg
import sqlalchemy as sa

from bench.common import fresh_postgres

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = "siaga112_bench"
_POINTS: list[tuple[float, float]] = []
_CURSORS: dict[str, str | None] = {}  # each bench phone's cursor, by device key


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def sos_points(n: int = 5000) -> list[tuple[float, float]]:
    """Points around the desa label points (within ~1.5 km), the same for every scenario."""
    import random

    from backend.places.service import _demo_rows

    labels = [(r["label_lat"], r["label_lon"]) for r in _demo_rows() if r["level"] == "desa"]
    rng = random.Random(112)
    return [(lat + rng.uniform(-0.013, 0.013), lon + rng.uniform(-0.013, 0.013))
            for lat, lon in (rng.choice(labels) for _ in range(n))]


def make_op(i: int) -> dict:
    lat, lon = _POINTS[i % len(_POINTS)] if _POINTS else (-2.88 + i * 1e-5, 103.84)
    return {"id": str(uuid.uuid4()), "type": "report.create", "at": now_iso(),
            "data": {"category": "fire", "note": "rumah terbakar dekat masjid",
                     "location": {"lat": lat, "lon": lon, "accuracy_m": 12, "source": "gps"}}}


# ---------------------------------------------------------------- database setup

def prepare_database(name: str = DB) -> str:
    url = fresh_postgres(name)
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="backend")
    areas = os.path.join(ROOT, "backend", "places", "data", "musi-banyuasin")
    for cmd in (["flask", "db", "upgrade"], ["flask", "seed"],
                ["flask", "areas", "import", *(os.path.join(areas, f) for f in (
                    "kabupaten.geojson", "kecamatan.geojson", "desa.geojson"))]):
        subprocess.run([os.path.join(sys.prefix, "bin", cmd[0]), *cmd[1:]], cwd=ROOT, env=env,
                       check=True, capture_output=True)
    return url


def psycopg_dsn(url: str) -> str:
    u = sa.engine.make_url(url)
    parts = [f"dbname={u.database}", f"user={u.username or os.environ.get('USER', 'postgres')}"]
    host = u.host or u.query.get("host")
    if host:
        parts.append(f"host={host}")
    if u.port:
        parts.append(f"port={u.port}")
    return " ".join(parts)


# ---------------------------------------------------------------- raw SQL ceiling

RAW_SQL = {
    "report": "INSERT INTO reports (regency_id, device_id, client_op_id, category, status, lat, "
              "lon, accuracy_m, location_source, note, silent, device_captured_at, captured_at, "
              "time_source, clock_offset_ms, clock_skew_flagged, received_at, updated_at) VALUES "
              "(%s, %s, %s, 'fire', 'received', %s, 103.84, 12, 'gps', %s, false, now(), now(), "
              "'device_corrected', 0, false, now(), now()) RETURNING id",
    "receipt": "INSERT INTO sync_ops (regency_id, device_id, op_id, op_type, body_hash, "
               "report_id, applied_at) VALUES (%s, %s, %s, 'report.create', %s, %s, now())",
    "change": "INSERT INTO changes (regency_id, device_id, type, data, created_at) VALUES "
              "(%s, %s, 'report.status', %s, now())",
    "audit": "INSERT INTO audit_events (regency_id, at, actor_type, actor_id, action, "
             "entity_type, entity_id, after) VALUES (%s, now(), 'device', %s, 'report.create', "
             "'report', %s, %s)",
}


def raw_worker(dsn, device_ids, batch, stop_at, out, lock):
    conn = psycopg.connect(dsn)
    done, latencies, i = 0, [], 0
    while time.perf_counter() < stop_at:
        device = device_ids[i % len(device_ids)]
        i += 1
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(RAW_SQL["report"], [
                (1, device, str(uuid.uuid4()), -2.88 + n * 1e-5, "rumah terbakar dekat masjid")
                for n in range(batch)], returning=True)
            ids = []
            while True:
                ids.append(cur.fetchone()[0])
                if not cur.nextset():
                    break
            cur.executemany(RAW_SQL["receipt"], [(1, device, str(uuid.uuid4()), "0" * 64, rid)
                                                 for rid in ids])
            cur.executemany(RAW_SQL["change"], [
                (1, device, json.dumps({"report": f"R-{rid:06d}", "status": "received"}))
                for rid in ids])
            cur.executemany(RAW_SQL["audit"], [
                (1, str(device), f"R-{rid:06d}", json.dumps({"status": "received"}))
                for rid in ids])
        latencies.append(time.perf_counter() - started)
        done += batch
    conn.close()
    with lock:
        out.append((done, latencies))


# ---------------------------------------------------------------- HTTP path

def http_worker(port, keys, batch, stop_at, out, lock):
    """One phone-like client: its own devices, each pulling from its own cursor — kept from
    the scenario before, as a phone keeps it (starting each scenario from no cursor made
    every later scenario page through the earlier ones' changes, 100 a reply)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    cursors = {key: _CURSORS.get(key) for key in keys}
    done, latencies, i, errors = 0, [], 0, 0
    while time.perf_counter() < stop_at:
        key = keys[i % len(keys)]
        i += 1
        body = gzip.compress(json.dumps({"protocol": 1, "device_time": now_iso(),
                                         "cursor": cursors[key],
                                         "ops": [make_op(i * batch + n)
                                                 for n in range(batch)]}).encode())
        started = time.perf_counter()
        conn.request("POST", "/v1/sync", body=body, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json",
            "Content-Encoding": "gzip"})
        response = conn.getresponse()
        payload = response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            errors += 1
            continue
        reply = json.loads(payload)
        cursors[key] = reply["cursor"]
        done += sum(r["status"] == "applied" for r in reply["results"])
    conn.close()
    with lock:
        out.append((done, latencies, errors, cursors))


def run_process(kind, args_for, first, threads, q):
    out, lock = [], threading.Lock()
    workers = [threading.Thread(target=raw_worker if kind == "raw" else http_worker,
                                args=(*args_for(first + t), out, lock)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    q.put(out)


def measure(kind, args_for, connections, processes, seconds):
    """Run `connections` workers over `processes` processes; args_for(worker) gives args."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    per = connections // processes
    procs = [ctx.Process(target=run_process, args=(kind, args_for, p * per, per, q))
             for p in range(processes)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [item for _ in procs for item in q.get()]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    done = sum(r[0] for r in results)
    lat = sorted(x for r in results for x in r[1])
    errors = sum(r[2] for r in results) if kind == "http" else 0
    for r in results if kind == "http" else ():
        _CURSORS.update(r[3])  # the workers of the next scenario are forked with them
    return {"reports_per_s": done / elapsed, "reports": done, "errors": errors,
            "p50_ms": 1000 * statistics.median(lat) if lat else None,
            "p95_ms": 1000 * lat[int(len(lat) * 0.95) - 1] if lat else None}


def wait_for(port):
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/v1/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def start_server(url, port, args, **extra_env):
    # The bench registers its many phones from one address: no registration limit here.
    env = dict(os.environ, DATABASE_URL=url, PORT=str(port), ACCESS_LOG="",
               WEB_WORKERS=str(args.web_workers), WEB_THREADS=str(args.web_threads),
               REGISTRATION_LIMIT_PER_ADDRESS="1000000/minute",
               REGISTRATION_LIMIT_GLOBAL="1000000/minute", **extra_env)
    return subprocess.Popen([os.path.join(sys.prefix, "bin", "gunicorn"), "-c",
                             "gunicorn.conf.py", "backend:create_app()"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--web-workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--web-threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8190,
                        help="the server assigning desa; the one without listens on port+1")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds of batch-20 with and without desa assignment")
    parser.add_argument("--db", default=DB, help="PostgreSQL database (dropped and created)")
    args, _ = parser.parse_known_args()  # ./dev bench passes the hot path's options too
    url = prepare_database(args.db)
    dsn = psycopg_dsn(url)
    _POINTS[:] = sos_points()

    servers = [start_server(url, args.port, args),
               start_server(url, args.port + 1, args, PLACE_ASSIGN="false")]
    try:
        wait_for(args.port)
        wait_for(args.port + 1)
        keys = []
        c = http.client.HTTPConnection("127.0.0.1", args.port)
        for _ in range(args.connections * 4):
            c.request("POST", "/v1/devices", body=json.dumps(
                {"platform": "android", "app_version": "bench"}),
                headers={"Content-Type": "application/json"})
            keys.append(json.loads(c.getresponse().read())["device_key"])
        with psycopg.connect(dsn) as conn:
            device_ids = [r[0] for r in conn.execute("SELECT id FROM devices ORDER BY id")]

        def run(kind, pool, batch, port=args.port):
            stop = time.perf_counter() + args.seconds
            return measure(kind, lambda w, b=batch, pool=pool, stop=stop: (
                *((dsn,) if kind == "raw" else (port,)), pool[w::args.connections], b, stop),
                args.connections, args.processes, args.seconds)

        rows = {}
        for batch in (1, 20):
            rows[f"raw SQL, batch {batch}"] = run("raw", device_ids, batch)
            rows[f"HTTP /v1/sync, batch {batch}"] = run("http", keys, batch)
        with_desa, without = [], []
        # Alternate in ABBA order, so drift on a shared machine (the database growing,
        # autovacuum, checkpoints) hits both alike.
        for round_ in range(args.rounds):
            pair = [(without, args.port + 1), (with_desa, args.port)]
            for results, port in pair if round_ % 2 == 0 else reversed(pair):
                results.append(run("http", keys, 20, port))
        with psycopg.connect(dsn) as conn:
            placed = conn.execute("SELECT count(*) FILTER (WHERE desa_code IS NOT NULL), "
                                  "count(*) FILTER (WHERE place_distance_m > 0), count(*) "
                                  "FROM reports").fetchone()
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(20)

    # The assignment alone, in process: one locate() round trip for a batch of 20 points.
    from backend import create_app
    from backend.places.service import locate

    app = create_app({"DATABASE_URL": url, "PUSH_THREAD": False})
    with app.app_context():
        batches = [_POINTS[i * 20:(i + 1) * 20] for i in range(200)]
        locate(1, batches[0])
        timings = []
        for batch in batches:
            started = time.perf_counter()
            locate(1, batch)
            timings.append(1000 * (time.perf_counter() - started))
    locate_ms = statistics.median(timings)

    def mean(results):
        return {k: statistics.mean(r[k] for r in results) for k in
                ("reports_per_s", "p50_ms", "p95_ms")} | {
            "reports": sum(r["reports"] for r in results),
            "errors": sum(r["errors"] for r in results)}

    rows["HTTP batch 20, no desa"] = mean(without)
    rows["HTTP batch 20, with desa"] = mean(with_desa)
    print(f"\nIngestion, {args.connections} connections, {args.seconds:g} s per scenario, "
          f"{os.cpu_count()} CPUs, gunicorn {args.web_workers}x{args.web_threads}")
    print(f"{'scenario':28} {'reports/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6} "
          f"{'vs raw':>7}")
    for name, r in rows.items():
        raw = rows["raw SQL, batch 20" if "batch 20" in name else "raw SQL, batch 1"]
        ratio = r["reports_per_s"] / raw["reports_per_s"]
        print(f"{name:28} {r['reports_per_s']:10.0f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
              f"{r['errors']:6d} {ratio:7.2f}")
    cost = 1 - rows["HTTP batch 20, with desa"]["reports_per_s"] / rows[
        "HTTP batch 20, no desa"]["reports_per_s"]
    print(f"\nDesa assignment, batch 20 ({args.rounds} alternating rounds): "
          f"{100 * cost:+.1f}% throughput cost, p50 "
          f"{rows['HTTP batch 20, no desa']['p50_ms']:.1f} → "
          f"{rows['HTTP batch 20, with desa']['p50_ms']:.1f} ms (target: ≤ 10%)")
    print(f"locate() alone, batch of 20 (in process, 200 batches): p50 {locate_ms:.2f} ms = "
          f"{100 * locate_ms / rows['HTTP /v1/sync, batch 20']['p50_ms']:.1f}% of the HTTP "
          f"batch-20 p50")
    print(f"reports placed in a desa: {placed[0]} of {placed[2]} "
          f"({placed[1]} by the nearest desa within the tolerance); the rest came from the "
          f"server without assignment or fell outside")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "ingest.json"), "w") as f:
        json.dump({"args": vars(args), "rows": rows, "desa_cost": cost,
                   "locate_p50_ms": locate_ms,
                   "rounds": {"with_desa": with_desa, "without": without}}, f, indent=2)


if __name__ == "__main__":
    main()
