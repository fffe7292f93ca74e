"""Profile one single-SOS POST /v1/sync in process (cProfile over N requests through the WSGI
app, PostgreSQL by default): CPU per request, database round trips per request, and the
functions that cost the most. The numbers in docs/bench-hotpath.md come from here.

    ./dev bench profile_single [--requests 500] [--sqlite] [--top 40]
"""
from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import os
import pstats
import tempfile
import time

import sqlalchemy as sa

from bench.hotpath import sos_body

DB = "siaga112_bench_profile"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--devices", type=int, default=64)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--batch", type=int, default=1, help="reports per request")
    parser.add_argument("--dump", metavar="FILE", help="also write the profile (pstats) here")
    parser.add_argument("--plain", action="store_true",
                        help="no profiler: CPU and wall per request only")
    args = parser.parse_args()
    if args.sqlite:
        from bench import stack

        folder = tempfile.mkdtemp(prefix="siaga-profile-")
        url = f"sqlite:///{folder}/siaga.sqlite3"
        stack.prepare_database(stack.app_env(url))
    else:
        from bench.ingest import prepare_database

        url = prepare_database(DB)
    os.environ.update(DATABASE_URL=url, REGISTRATION_LIMIT_PER_ADDRESS="1000000/minute",
                      REGISTRATION_LIMIT_GLOBAL="1000000/minute", LOG_LEVEL="WARNING")
    from backend import create_app
    from backend.extensions import db

    app = create_app({"PUSH_THREAD": False})
    client = app.test_client()
    keys, cursors = [], {}
    for _ in range(args.devices):
        reply = client.post("/v1/devices", json={"platform": "android", "app_version": "p"})
        keys.append(reply.get_json()["device_key"])

    def one(i):
        key = keys[i % len(keys)]
        body = gzip.compress(json.dumps(sos_body(cursors.get(key), args.batch)).encode())
        reply = client.post("/v1/sync", data=body, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json",
            "Content-Encoding": "gzip"})
        assert reply.status_code == 200, reply.get_data()
        cursors[key] = reply.get_json()["cursor"]

    for i in range(2 * len(keys)):  # warm: every device has a cursor and a report
        one(i)
    statements = []
    with app.app_context():
        engine = db.engine

    timings: dict[str, list[float]] = {}

    def count(conn, cursor, statement, *rest):
        statements.append(statement.split()[0].upper() if statement.strip() else "?")
        conn.info["siaga.started"] = time.perf_counter()

    def timed(conn, cursor, statement, *rest):
        label = " ".join(statement.split()[:4])[:48]
        timings.setdefault(label, []).append(time.perf_counter() - conn.info["siaga.started"])

    sa.event.listen(engine, "before_cursor_execute", count)
    sa.event.listen(engine, "after_cursor_execute", timed)
    trips = {"begin": 0, "commit": 0}
    sa.event.listen(engine, "begin", lambda c: trips.__setitem__("begin", trips["begin"] + 1))
    sa.event.listen(engine, "commit", lambda c: trips.__setitem__("commit",
                                                                  trips["commit"] + 1))
    profile = cProfile.Profile()
    cpu, wall = time.process_time(), time.perf_counter()
    if not args.plain:
        profile.enable()
    for i in range(args.requests):
        one(i)
    profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    sa.event.remove(engine, "before_cursor_execute", count)
    sa.event.remove(engine, "after_cursor_execute", timed)
    per = args.requests
    kinds = {k: statements.count(k) / per for k in sorted(set(statements))}
    print(f"\n{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: {per} syncs of "
          f"{args.batch} SOS in "
          f"process: CPU {1000 * cpu / per:.2f} ms/request, wall {1000 * wall / per:.2f} "
          f"ms/request" + ("" if args.plain else " (profiler on: read the ratios, not the "
                           "absolute time)"))
    print(f"statements per request: {len(statements) / per:.2f} "
          f"({', '.join(f'{k} {v:.2f}' for k, v in kinds.items())}); transactions: "
          f"{trips['commit'] / per:.2f} commits")
    print("statement wall time, mean per request (client side: send, server, fetch):")
    for label, values in sorted(timings.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {1000 * sum(values) / per:7.3f} ms  {label}")
    if args.plain:
        return
    if args.dump:
        profile.dump_stats(args.dump)
    by_package(pstats.Stats(profile), per)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())


def by_package(stats: pstats.Stats, per: int) -> None:
    """Own time (tottime) per request summed by package: where the Python time goes."""
    totals: dict[str, float] = {}
    for (path, _line, _name), row in stats.stats.items():
        tottime = row[2]
        if "site-packages/" in path:
            key = path.split("site-packages/")[1].split("/")[0].split(".")[0]
        elif path.startswith("~") or path.startswith("<"):
            key = "builtins"
        elif "/work/" in path or "/backend/" in path or "/sync/" in path or "/api/" in path:
            key = "siaga: " + path.rsplit("/", 2)[-2]
        else:
            key = "stdlib"
        totals[key] = totals.get(key, 0.0) + tottime
    print("own time per request by package (profiler on):")
    for key, value in sorted(totals.items(), key=lambda kv: -kv[1])[:16]:
        print(f"  {key:32s} {1000 * value / per:7.3f} ms")


if __name__ == "__main__":
    main()
