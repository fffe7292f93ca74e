"""The single-SOS hot path: one report.create per POST /v1/sync beside the cheapest Flask
JSON answer (GET /v1/ping), both through the real gunicorn with the project's
gunicorn.conf.py, in the same run.

Scenarios (PostgreSQL unless said):

* `echo`   — GET /v1/ping, closed loop (wrk), --connections connections: what Flask and
             gunicorn alone cost here, the baseline of the ratio.
* `single` — one SOS per request, a fresh op id every time, from --devices registered phones,
             each carrying its own cursor from its last reply (wrk + bench/sync_single.lua),
             --connections connections; the ratio single / echo is the figure to watch.
* fixed rate — the same single SOS at a constant rate (an asyncio client of our own: every
             request has its intended start time and latency is counted from it, so a stall
             is charged to every request it delays — no coordinated omission), at half the
             load the goal asks for (0.40 x echo / 2) and at half the measured `single`.
* `single` on the embedded profile (SQLite file), measured the same way.
* bytes on the wire of one single SOS, as a phone sends it (gzip body) and as it comes back.

    ./dev bench hotpath                    # 8 s per scenario
    ./dev bench hotpath --seconds 20 --skip-sqlite
"""
from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

from bench import stack

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = "siaga112_bench_hotpath"
GOAL_RATIO = 0.40
REGISTRATION_UNLIMITED = {"REGISTRATION_LIMIT_PER_ADDRESS": "1000000/minute",
                          "REGISTRATION_LIMIT_GLOBAL": "1000000/minute"}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def sos_body(cursor: str | None, batch: int = 1) -> dict:
    return {"protocol": 1, "device_time": now_iso(), "cursor": cursor, "ops": [{
        "id": str(uuid.uuid4()), "type": "report.create", "at": now_iso(),
        "data": {"category": "fire", "note": "rumah terbakar dekat masjid",
                 "location": {"lat": -2.9 + random.random() * 0.3,
                              "lon": 103.7 + random.random() * 0.3,
                              "accuracy_m": 12, "source": "gps"}}} for _ in range(batch)]}


# ---------------------------------------------------------------- servers

def start_gunicorn(env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "backend:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    stack.wait_for_port(int(env["PORT"]), timeout=60)
    return process


def server_env(database_url: str, port: int, args) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "ACCESS_LOG": "",
           "FLASK_APP": "backend", "LOG_LEVEL": "WARNING", **REGISTRATION_UNLIMITED}
    # The project's gunicorn settings unless asked otherwise (gunicorn.conf.py reads these).
    for name, value in (("WEB_WORKERS", args.web_workers), ("WEB_THREADS", args.web_threads)):
        if value:
            env[name] = str(value)
    return env


def http(port: int, method: str, path: str, body: dict | None = None,
         headers: dict | None = None) -> tuple[int, dict]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    payload = json.loads(response.read() or b"null")
    conn.close()
    return response.status, payload


def register(port: int, count: int) -> list[str]:
    keys = []
    for _ in range(count):
        status, reply = http(port, "POST", "/v1/devices",
                             {"platform": "android", "app_version": "bench"})
        assert status == 201, (status, reply)
        keys.append(reply["device_key"])
    return keys


# ---------------------------------------------------------------- closed loop: wrk

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by the gunicorn processes (master and workers) and the
    PostgreSQL processes of this machine, from /proc; the load generator is counted apart
    (resource.RUSAGE_CHILDREN around it)."""
    totals = {"server": 0.0, "postgres": 0.0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:  # gone meanwhile
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        used = (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
        if name == "postgres" or cmdline.startswith(b"postgres"):
            totals["postgres"] += used
        elif b"gunicorn" in cmdline:
            totals["server"] += used
    return totals


def wrk(port: int, script: str, path: str, args, keys_file: str | None = None,
        seconds: float | None = None) -> dict:
    n = args.connections
    env = {**os.environ, "SIAGA_THREADS": str(n), "SIAGA_KEYS": keys_file or ""}
    before, children = cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t", str(n), "-c", str(n), "-d", f"{int(seconds or args.seconds)}s",
         "--timeout", "30s", "-s", os.path.join(ROOT, "bench", script),
         f"http://127.0.0.1:{port}{path}"], env=env, capture_output=True, text=True,
        check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("SIAGA_RESULT"))
    requests, duration_us, bad_status, socket_errors, p50, p95, p99, worst, applied, other = (
        float(v) for v in line.split()[1:])
    after, done = cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    generator = (done.ru_utime + done.ru_stime) - (children.ru_utime + children.ru_stime)
    per_request = {k: 1000 * (after[k] - before[k]) / requests for k in before}
    per_request["generator"] = 1000 * generator / requests
    return {"rps": requests / (duration_us / 1e6), "requests": int(requests),
            "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_ms": worst,
            "errors": int(bad_status + socket_errors), "applied": int(applied),
            "not_applied": int(other), "cpu_ms": per_request}


# ---------------------------------------------------------------- open loop: fixed rate

async def _read_response(reader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(x.split(":", 1)[1]) for x in lines[1:]
                  if x.lower().startswith("content-length:"))
    return status, await reader.readexactly(length)


async def _fixed_rate(port: int, keys: list[str], rate: float, seconds: float,
                      connections: int) -> dict:
    """Requests are due at t0 + i/rate whatever happens; latency = answer time - due time."""
    queue: asyncio.Queue = asyncio.Queue()
    latencies: list[float] = []
    outcome = {"applied": 0, "other": 0, "errors": 0}
    cursors = {key: head_cursor(port, key) for key in keys}

    async def connection(own_keys: list[str]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        turn = 0
        while (due := await queue.get()) is not None:
            key = own_keys[turn % len(own_keys)]
            turn += 1
            body = gzip.compress(json.dumps(sos_body(cursors[key]),
                                            separators=(",", ":")).encode())
            writer.write(
                f"POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: application/json\r\nContent-Encoding: gzip\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status, payload = await _read_response(reader)
            latencies.append(time.perf_counter() - due)
            if status != 200:
                outcome["errors"] += 1
                continue
            reply = json.loads(payload)
            cursors[key] = reply["cursor"]
            outcome["applied" if reply["results"][0]["status"] == "applied" else "other"] += 1
        writer.close()

    workers = [asyncio.create_task(connection(keys[i::connections]))
               for i in range(connections)]
    total = int(rate * seconds)
    started = time.perf_counter()
    for i in range(total):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(due)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - started
    lat = sorted(latencies)
    pick = lambda q: 1000 * lat[min(len(lat) - 1, int(len(lat) * q))]  # noqa: E731
    return {"rate": rate, "achieved_rps": len(lat) / elapsed, "p50_ms": pick(0.50),
            "p95_ms": pick(0.95), "p99_ms": pick(0.99), "max_ms": 1000 * lat[-1], **outcome}


def fixed_rate(port, keys, rate, seconds, connections) -> dict:
    return asyncio.run(_fixed_rate(port, keys, rate, seconds, connections))


# ---------------------------------------------------------------- bytes on the wire

def wire_bytes(port: int, key: str, cursor: str | None) -> dict:
    """One single SOS exactly as a phone's HTTP stack sends it (OkHttp-like headers, gzip
    body, keep-alive) and the reply as it arrives, counted byte for byte."""
    body = gzip.compress(json.dumps(sos_body(cursor), separators=(",", ":")).encode())
    head = (f"POST /v1/sync HTTP/1.1\r\nHost: api.siaga112.example\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n"
            f"Connection: Keep-Alive\r\nAccept-Encoding: gzip\r\n"
            f"User-Agent: okhttp/4.12.0\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        header, rest = data.split(b"\r\n\r\n", 1)
        length = next(int(x.split(b":", 1)[1]) for x in header.split(b"\r\n")
                      if x.lower().startswith(b"content-length:"))
        while len(rest) < length:
            rest += sock.recv(65536)
    gzipped = b"content-encoding: gzip" in header.lower()
    return {"request": len(head) + len(body), "request_body": len(body),
            "response": len(header) + 4 + length, "response_body": length,
            "response_gzip": gzipped,
            "response_body_if_gzipped": length if gzipped else len(gzip.compress(rest))}


# ---------------------------------------------------------------- a profile's run

def head_cursor(port: int, key: str) -> str:
    """The device's cursor after pulling everything, as its phone would hold it."""
    cursor, more = None, True
    while more:
        status, reply = http(port, "POST", "/v1/sync", {
            "protocol": 1, "device_time": now_iso(), "cursor": cursor, "ops": []},
            {"Authorization": f"Bearer {key}"})
        assert status == 200, reply
        cursor, more = reply["cursor"], reply["has_more"]
    return cursor


def write_keys(port: int, keys: list[str], folder: str) -> str:
    """Each key with its head cursor, one per line, for bench/sync_single.lua."""
    path = os.path.join(folder, f"keys-{port}.txt")
    with open(path, "w") as f:
        f.write("".join(f"{key} {head_cursor(port, key)}\n" for key in keys))
    return path


def run_single(port: int, keys: list[str], args, folder: str) -> dict:
    wrk(port, "sync_single.lua", "/v1/sync", args, write_keys(port, keys, folder),
        seconds=2)  # warm-up
    return wrk(port, "sync_single.lua", "/v1/sync", args, write_keys(port, keys, folder))


def count_reports_pg(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM reports")).scalar_one()
    engine.dispose()
    return n


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--devices", type=int, default=64)
    parser.add_argument("--web-workers", type=int, default=0,
                        help="default: gunicorn.conf.py's (cores + 1)")
    parser.add_argument("--web-threads", type=int, default=0,
                        help="default: gunicorn.conf.py's")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--db", default=DB, help="PostgreSQL database (dropped and created)")
    args, _ = parser.parse_known_args(argv)
    from bench.ingest import prepare_database

    folder = tempfile.mkdtemp(prefix="siaga-hotpath-")
    print(f"load average before: {loadavg()}", flush=True)
    url = prepare_database(args.db)
    port = stack.free_port()
    server = start_gunicorn(server_env(url, port, args))
    results: dict = {"load_before": os.getloadavg()}
    try:
        keys = register(port, args.devices)
        wrk(port, "echo.lua", "/v1/ping", args, seconds=2)  # warm-up
        results["echo"] = wrk(port, "echo.lua", "/v1/ping", args)
        results["single"] = run_single(port, keys, args, folder)
        echo_rps, single_rps = results["echo"]["rps"], results["single"]["rps"]
        results["fixed_goal"] = fixed_rate(port, keys, GOAL_RATIO * echo_rps / 2,
                                           args.seconds, args.connections)
        results["fixed_half"] = fixed_rate(port, keys, single_rps / 2, args.seconds,
                                           args.connections)
        results["wire"] = wire_bytes(port, keys[0], head_cursor(port, keys[0]))
        results["stored"] = count_reports_pg(url)
    finally:
        stack.stop_process(server)
    results["load_middle"] = os.getloadavg()

    if not args.skip_sqlite:
        env = stack.app_env(f"sqlite:///{folder}/siaga.sqlite3", **REGISTRATION_UNLIMITED)
        stack.prepare_database(env)
        port = stack.free_port()
        env = {**server_env(env["DATABASE_URL"], port, args), "PUSH_THREAD": "false",
               "DEMO_HISTORY_DAYS": "0"}
        server = start_gunicorn(env)
        try:
            keys = register(port, args.devices)
            results["sqlite_single"] = run_single(port, keys, args, folder)
        finally:
            stack.stop_process(server)
    results["load_after"] = os.getloadavg()
    report(results, args)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "hotpath.json"), "w") as f:
        json.dump({"args": vars(args), **results}, f, indent=2)


def report(results: dict, args) -> None:
    echo, single = results["echo"], results["single"]
    print(f"\nSingle-SOS hot path, {args.connections} connections, {args.devices} devices, "
          f"{args.seconds:g} s per scenario, {os.cpu_count()} CPUs, gunicorn "
          f"{args.web_workers or 'conf'}x{args.web_threads or 'conf'} (gunicorn.conf.py), "
          f"load average {' → '.join(f'{x[0]:.2f}' for x in (results['load_before'], results['load_middle'], results['load_after']))}")
    print(f"{'scenario':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'errors':>6} {'vs echo':>8}")
    rows = [("echo (GET /v1/ping)", echo), ("single SOS, PostgreSQL", single)]
    if "sqlite_single" in results:
        rows.append(("single SOS, SQLite (embedded)", results["sqlite_single"]))
    for name, r in rows:
        print(f"{name:34} {r['rps']:8.0f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
              f"{r['p99_ms']:8.1f} {r['max_ms']:8.1f} {r['errors']:6d} "
              f"{r['rps'] / echo['rps']:8.2f}")
    for key, label in (("fixed_goal", f"half the goal load ({GOAL_RATIO:.2f} x echo / 2)"),
                       ("fixed_half", "half the measured single")):
        r = results[key]
        print(f"fixed rate {r['rate']:.0f}/s, {label}: achieved {r['achieved_rps']:.0f}/s, "
              f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
              f"max {r['max_ms']:.1f} ms, errors {r['errors']} (latency from the intended "
              f"start: no coordinated omission)")
    print("CPU per request (ms; server = gunicorn master and workers, generator = wrk):")
    for name, r in rows:
        cpu = r["cpu_ms"]
        print(f"  {name:32} server {cpu['server']:5.2f}  PostgreSQL {cpu['postgres']:5.2f}  "
              f"generator {cpu['generator']:5.2f}  total {sum(cpu.values()):5.2f}")
    cores, pg = os.cpu_count() or 1, single["cpu_ms"]["postgres"] + \
        single["cpu_ms"]["generator"]
    if pg > 0:
        print(f"ceiling: PostgreSQL and the load generator alone use {pg:.2f} ms of CPU per "
              f"single SOS, so on {cores} cores even an application that cost nothing would "
              f"serve at most {1000 * cores / pg:.0f} req/s = "
              f"{1000 * cores / pg / echo['rps']:.2f} x echo")
    print(f"single / echo = {single['rps'] / echo['rps']:.2f} (goal ≥ {GOAL_RATIO:.2f}); "
          f"p99 at half the goal load = {results['fixed_goal']['p99_ms']:.1f} ms (goal ≤ 50)")
    w = results["wire"]
    print(f"bytes on the wire per single SOS: request {w['request']} (gzip body "
          f"{w['request_body']}), response {w['response']} (body {w['response_body']}"
          f"{', gzip' if w['response_gzip'] else ', not compressed; gzip would make it '}"
          f"{'' if w['response_gzip'] else w['response_body_if_gzipped']}), "
          f"total {w['request'] + w['response']}")
    sent = single["applied"] + results["fixed_goal"]["applied"] + results["fixed_half"]["applied"]
    print(f"PostgreSQL reports stored: {results['stored']} (applied answers: {sent} + 1 wire "
          f"probe; not applied: {single['not_applied']})")


if __name__ == "__main__":
    main()
