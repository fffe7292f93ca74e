"""Live feeds at scale: how many open console feeds one server holds while the API keeps its
latency.

The real stack (bench/stack.py): nginx's front door → gunicorn with the project's settings
(cores + 1 processes × 8 threads) → a private PostgreSQL. For each K, K signed-in console
feeds (GET /v1/operator/feed, server-sent events) are opened through nginx; then, while they
stay open, phones send single-SOS syncs (/v1/sync, one report.create each) and a monitor
polls /v1/health, both open-loop at a fixed rate (latency counted from the moment a request
was due, so a stalled server cannot hide its queue: no coordinated omission). Printed per K:
feeds accepted and refused (429 too_many_feeds), API p50/p99 (and the p99 as a ratio of the
K=0 figure of the same run), and feed delivery latency — from a report being stored (its
sync response back at the phone) to its `report.status` event arriving on the last open
feed — with the count of events that never arrived.

Two setups in one run:
  threads     every feed on the API's gunicorn (gunicorn.conf.py; FEED_MAX_PER_WORKER=4 per
              process holds the rest off with 429 so phones keep their threads)
  uncapped    (only on request) as `threads` with the per-process cap lifted: what it is for
  feedserver  nginx routes /v1/operator/feed to gunicorn.feed.conf.py (gevent worker, one
              database poller per process fanning out to every stream)

    ./dev bench feeds                        # K = 0, 12, 50, 200 in both setups
    ./dev bench feeds --feeds 0,100,400 --setups feedserver --seconds 10
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

from bench.stack import Gunicorn, PrivatePostgres, app_env, nginx, prepare_database

USERS = ("operator1", "operator2", "supervisor")
TIMEOUT_S = 20      # an API request still unanswered then counts as an error (and as 20 s)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# ---------------------------------------------------------------- a small HTTP/1.1 client

async def read_head(reader) -> tuple[int, dict]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split(b" ", 2)[1])
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_chunks(reader, headers):
    """The body as it arrives (chunked or Content-Length)."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return
            chunk = await reader.readexactly(size)
            await reader.readexactly(2)
            yield chunk
    elif "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))


class Connection:
    def __init__(self, port, address="127.0.0.1"):
        self.port, self.address, self.reader, self.writer = port, address, None, None

    async def request(self, method, path, headers=None, body=b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port, local_addr=(self.address, 0))
        head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.writer.write(head.encode() + b"\r\n" + body)
        try:
            status, response_headers = await read_head(self.reader)
            payload = b"".join([c async for c in read_chunks(self.reader, response_headers)])
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            raise
        if response_headers.get("connection", "").lower() == "close":
            self.close()
        return status, payload

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# ---------------------------------------------------------------- consoles and phones

def sign_in(base: str, username: str) -> str:
    http = requests.Session()
    token = http.get(base + "/v1/operator/session", timeout=30).json()["csrf_token"]
    http.post(base + "/v1/operator/session", timeout=30, headers={"X-CSRF-Token": token},
              json={"username": username, "password": "siaga112-demo"}).raise_for_status()
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


@dataclass
class Feeds:
    accepted: int = 0
    refused: int = 0
    failed: int = 0
    ended: int = 0            # streams that ended before the phase did
    arrivals: dict = field(default_factory=dict)   # report ref -> [monotonic time per feed]


def console_address(i: int) -> str:
    """Consoles come from call-centre networks of 50 screens each, phones from everywhere:
    nginx caps connections per address (256), as it should for a carrier's NAT."""
    return f"127.0.1.{1 + i // 50}"


def phone_address(i: int) -> str:
    return f"127.0.2.{1 + i % 200}"


async def open_feed(port, cookie, cursor, feeds: Feeds, opened: asyncio.Event,
                    address: str = "127.0.0.1"):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                       local_addr=(address, 0))
    except OSError:
        feeds.failed += 1
        return
    try:
        writer.write(f"GET /v1/operator/feed?cursor={cursor} HTTP/1.1\r\nHost: bench\r\n"
                     f"Cookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n".encode())
        status, headers = await read_head(reader)
        if status != 200:
            if status == 429:
                feeds.refused += 1
            else:
                feeds.failed += 1
            return
        feeds.accepted += 1
        opened.set()
        buffer = b""
        async for chunk in read_chunks(reader, headers):
            buffer += chunk
            *events, buffer = buffer.split(b"\n\n")
            at = time.monotonic()
            for event in events:
                for line in event.split(b"\n"):
                    if line.startswith(b"data: "):
                        change = json.loads(line[6:])
                        data = change.get("data") or {}
                        if change.get("type") == "report.status" and \
                                data.get("status") == "received":
                            feeds.arrivals.setdefault(data["report"], []).append(at)
        feeds.ended += 1
    except (ConnectionError, asyncio.IncompleteReadError, OSError):
        feeds.ended += 1
    finally:
        writer.close()


@dataclass
class Api:
    latencies: dict = field(default_factory=lambda: {"sos": [], "health": []})
    errors: dict = field(default_factory=lambda: {"sos": 0, "health": 0})
    stored: dict = field(default_factory=dict)      # report ref -> monotonic time stored


async def drive(port, keys, api: Api, seconds: float, sos_rate: float, health_rate: float):
    pool: asyncio.Queue = asyncio.Queue()
    for i in range(32):
        pool.put_nowait(Connection(port, phone_address(i)))
    cursors = dict.fromkeys(keys)

    async def one(kind, n, due):
        conn = await pool.get()
        try:
            if kind == "sos":
                key = keys[n % len(keys)]
                body = json.dumps({"protocol": 1, "device_time": now_iso(),
                                   "cursor": cursors[key], "ops": [{
                                       "id": str(uuid.uuid4()), "type": "report.create",
                                       "at": now_iso(), "data": {
                                           "category": "fire", "note": "rumah terbakar",
                                           "location": {"lat": -2.88 + n * 1e-5, "lon": 103.84,
                                                        "accuracy_m": 12, "source": "gps"}}}]
                                   }).encode()
                status, payload = await asyncio.wait_for(conn.request("POST", "/v1/sync", {
                    "Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                    body), TIMEOUT_S)
            else:
                status, payload = await asyncio.wait_for(conn.request("GET", "/v1/health"),
                                                         TIMEOUT_S)
            done = time.monotonic()
            api.latencies[kind].append(done - due)
            if status != 200:
                api.errors[kind] += 1
            elif kind == "sos":
                reply = json.loads(payload)
                cursors[key] = reply["cursor"]
                for result in reply["results"]:
                    ref = (result.get("ref") or {}).get("report")
                    if ref:
                        api.stored[ref] = done
        except (ConnectionError, asyncio.IncompleteReadError, OSError, asyncio.TimeoutError):
            api.errors[kind] += 1
            api.latencies[kind].append(time.monotonic() - due)   # a failure is slow too
            conn.close()
        finally:
            pool.put_nowait(conn)

    async def schedule(kind, rate):
        started, tasks, n = time.monotonic(), [], 0
        while (due := started + n / rate) < started + seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(one(kind, n, due)))
            n += 1
        await asyncio.gather(*tasks)

    await asyncio.gather(schedule("sos", sos_rate), schedule("health", health_rate))
    while not pool.empty():
        pool.get_nowait().close()


async def phase(port, cookies, cursor, keys, k, args, servers=()) -> dict:
    feeds, api = Feeds(), Api()
    opened = asyncio.Event()
    tasks = [asyncio.create_task(open_feed(port, cookies[i % len(cookies)], cursor, feeds,
                                           opened, console_address(i))) for i in range(k)]
    settle = time.monotonic() + 15
    while feeds.accepted + feeds.refused + feeds.failed < k and time.monotonic() < settle:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)      # the streams' first reads are done
    cpu_before = [cpu_s(server) for server in servers]
    await drive(port, keys, api, args.seconds, args.sos_rate, args.health_rate)
    cpu = [cpu_s(server) - before for server, before in zip(servers, cpu_before)]
    await asyncio.sleep(3.0)      # the last events reach every feed
    open_feeds = feeds.accepted - feeds.ended
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    delivery, missing = [], 0
    for ref, stored_at in api.stored.items():
        arrived = feeds.arrivals.get(ref, [])
        missing += max(0, open_feeds - len(arrived))
        if arrived and open_feeds:
            delivery.append(max(0.0, max(arrived) - stored_at))
    ms = lambda v: 1000 * v  # noqa: E731
    return {"K": k, "accepted": feeds.accepted, "refused": feeds.refused,
            "failed": feeds.failed, "ended_early": feeds.ended,
            "sos": len(api.latencies["sos"]), "errors": api.errors["sos"] + api.errors["health"],
            "sos_p50": ms(percentile(api.latencies["sos"], 0.5)),
            "sos_p99": ms(percentile(api.latencies["sos"], 0.99)),
            "health_p50": ms(percentile(api.latencies["health"], 0.5)),
            "health_p99": ms(percentile(api.latencies["health"], 0.99)),
            "delivery_p50": ms(percentile(delivery, 0.5)) if delivery else None,
            "delivery_p99": ms(percentile(delivery, 0.99)) if delivery else None,
            "missing": missing,
            # CPU of the API's gunicorn and of the feed server, as a share of one core
            "api_cpu": cpu[0] / args.seconds if cpu else None,
            "feed_cpu": cpu[1] / args.seconds if len(cpu) > 1 else None}


def cpu_s(server: Gunicorn | None) -> float:
    """CPU seconds (user + system) used so far by a gunicorn master and its workers."""
    if server is None:
        return 0.0
    total = 0
    for pid in [server.process.pid, *server.workers()]:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(server: Gunicorn) -> float:
    total = 0
    for pid in [server.process.pid, *server.workers()]:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def run_setup(setup: str, pg: PrivatePostgres, args) -> list[dict]:
    folder = tempfile.mkdtemp(prefix=f"siaga-feeds-{setup}-")
    # uncapped: what the per-process cap prevents (feeds take every API thread).
    cap = {"FEED_MAX_PER_WORKER": 100000} if setup == "uncapped" else {}
    env = app_env(pg.url, TRUSTED_PROXIES=1, FEED_MAX_PER_USER=100000, **cap,
                  WEB_WORKERS=args.web_workers,
                  REGISTRATION_LIMIT_PER_ADDRESS="1000000/minute",
                  REGISTRATION_LIMIT_GLOBAL="1000000/minute")
    web = Gunicorn(env)
    feed = Gunicorn(env, config="gunicorn.feed.conf.py") if setup == "feedserver" else None
    rows = []
    try:
        with nginx(os.path.join(folder, "nginx"), web.port, feed.port if feed else None) as port:
            base = f"http://127.0.0.1:{port}"
            cookies = [sign_in(base, user) for user in USERS]
            keys = []
            for _ in range(args.phones):
                reply = requests.post(base + "/v1/devices", timeout=30, json={
                    "platform": "android", "app_version": "bench-feeds"})
                keys.append(reply.json()["device_key"])
            for k in args.feeds:
                inbox = requests.get(base + "/v1/operator/inbox", timeout=30,
                                     headers={"Cookie": cookies[0]}).json()
                row = asyncio.run(phase(port, cookies, inbox["cursor"], keys, k, args,
                                        (web, feed)))
                row["setup"] = setup
                row["feed_rss_mb"] = rss_mb(feed) if feed else None
                rows.append(row)
                print_row(row, rows)
                if k:
                    time.sleep(7)  # closed feeds free their slots at their next keep-alive
    finally:
        web.stop()
        if feed:
            feed.stop()
    return rows


HEADER = (f"{'setup':<11}{'K':>5}{'held':>6}{'429':>6}{'SOS p50':>9}{'SOS p99':>9}"
          f"{'×K=0':>7}{'health p99':>11}{'feed p50':>9}{'feed p99':>9}{'missing':>8}"
          f"{'errors':>7}{'API cpu':>8}{'feed cpu':>9}")


def print_row(row, rows):
    base = next((r for r in rows if r["setup"] == row["setup"] and r["K"] == 0), row)
    fmt = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
    print(f"{row['setup']:<11}{row['K']:>5}{row['accepted']:>6}{row['refused']:>6}"
          f"{row['sos_p50']:>9.0f}{row['sos_p99']:>9.0f}{row['sos_p99'] / base['sos_p99']:>7.2f}"
          f"{row['health_p99']:>11.0f}{fmt(row['delivery_p50']):>9}{fmt(row['delivery_p99']):>9}"
          f"{row['missing']:>8}{row['errors']:>7}{pct(row['api_cpu']):>8}"
          f"{pct(row['feed_cpu']):>9}", flush=True)


def pct(share):
    return "-" if share is None else f"{100 * share:.0f}%"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", default="0,12,50,200",
                        help="the K values: console feeds held open per phase")
    parser.add_argument("--setups", default="threads,feedserver")
    parser.add_argument("--seconds", type=float, default=10, help="API load per phase")
    parser.add_argument("--sos-rate", type=float, default=10, help="single-SOS syncs per s")
    parser.add_argument("--health-rate", type=float, default=20, help="/v1/health per s")
    parser.add_argument("--phones", type=int, default=32)
    parser.add_argument("--web-workers", type=int, default=(os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    args.feeds = [int(k) for k in args.feeds.split(",")]
    if args.seconds + 20 > 55:
        parser.error("a phase must end before the feeds do (55 s): --seconds ≤ 35")
    pg = PrivatePostgres()
    try:
        prepare_database(app_env(pg.url))
        print(f"API: gunicorn.conf.py, {args.web_workers} processes × 8 threads; load "
              f"{args.sos_rate:g} single-SOS/s + {args.health_rate:g} health/s for "
              f"{args.seconds:g} s per K (open loop; ms from when each was due)")
        print(HEADER)
        rows = [row for setup in args.setups.split(",") for row in run_setup(setup, pg, args)]
    finally:
        pg.destroy()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
