"""Ingestion benchmark: reports/s through the real HTTP stack beside the raw SQL ceiling.

Both sides run in the same run, on the same PostgreSQL, with the same number of concurrent
connections, writing the same rows per report (report, op receipt, change, audit event),
one transaction per batch. The ratio HTTP / raw is the figure to watch; absolute numbers
depend on the machine.

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


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def make_op(i: int) -> dict:
    return {"id": str(uuid.uuid4()), "type": "report.create", "at": now_iso(),
            "data": {"category": "fire", "note": "rumah terbakar dekat masjid",
                     "location": {"lat": -2.88 + i * 1e-5, "lon": 103.84, "accuracy_m": 12,
                                  "source": "gps"}}}


# ---------------------------------------------------------------- database setup

def prepare_database() -> str:
    url = fresh_postgres(DB)
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="backend")
    for cmd in (["flask", "db", "upgrade"], ["flask", "seed"]):
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
    """One phone-like client: its own devices, each pulling from its own cursor."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    cursors = dict.fromkeys(keys)
    done, latencies, i, errors = 0, [], 0, 0
    while time.perf_counter() < stop_at:
        key = keys[i % len(keys)]
        i += 1
        body = gzip.compress(json.dumps({"protocol": 1, "device_time": now_iso(),
                                         "cursor": cursors[key],
                                         "ops": [make_op(n) for n in range(batch)]}).encode())
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
        out.append((done, latencies, errors))


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--web-workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--web-threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8190)
    args = parser.parse_args()
    url = prepare_database()
    dsn = psycopg_dsn(url)

    env = dict(os.environ, DATABASE_URL=url, PORT=str(args.port), ACCESS_LOG="",
               WEB_WORKERS=str(args.web_workers), WEB_THREADS=str(args.web_threads))
    server = subprocess.Popen([os.path.join(sys.prefix, "bin", "gunicorn"), "-c",
                               "gunicorn.conf.py", "backend:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(args.port)
        keys = []
        c = http.client.HTTPConnection("127.0.0.1", args.port)
        for _ in range(args.connections * 4):
            c.request("POST", "/v1/devices", body=json.dumps(
                {"platform": "android", "app_version": "bench"}),
                headers={"Content-Type": "application/json"})
            keys.append(json.loads(c.getresponse().read())["device_key"])
        with psycopg.connect(dsn) as conn:
            device_ids = [r[0] for r in conn.execute("SELECT id FROM devices ORDER BY id")]

        rows = {}
        for batch in (1, 20):
            for kind, name, pool in (("raw", "raw SQL", device_ids),
                                     ("http", "HTTP /v1/sync", keys)):
                stop = time.perf_counter() + args.seconds
                rows[f"{name}, batch {batch}"] = measure(
                    kind, lambda w, b=batch, pool=pool, stop=stop: (
                        *((dsn,) if kind == "raw" else (args.port,)), pool[w::args.connections],
                        b, stop), args.connections, args.processes, args.seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)

    print(f"\nIngestion, {args.connections} connections, {args.seconds:g} s per scenario, "
          f"{os.cpu_count()} CPUs, gunicorn {args.web_workers}x{args.web_threads}")
    print(f"{'scenario':28} {'reports/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6} "
          f"{'vs raw':>7}")
    for name, r in rows.items():
        raw = rows[name.replace("HTTP /v1/sync", "raw SQL")]
        ratio = r["reports_per_s"] / raw["reports_per_s"]
        print(f"{name:28} {r['reports_per_s']:10.0f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
              f"{r['errors']:6d} {ratio:7.2f}")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "ingest.json"), "w") as f:
        json.dump({"args": vars(args), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
