"""The disaster surge: thousands of phones regain signal within a minute, each with 1–3 SOS
queued while it had none, against the real gunicorn (the project's settings) on a private
PostgreSQL and Redis (bench/stack.py).

Each phone is the reference client (mobile_contract/client.py): its persistent queue, the same
op ids on every retry, Retry-After when the server gives one, else exponential backoff with
full jitter from 2 s — driven over asyncio sockets so that one process holds thousands of
phones, one new connection per attempt as the reference client does. When the server is
saturated it sheds phone requests with 503 + Retry-After (backend/overload.py), and the
phones come back. At the end the database must hold every queued report exactly once and
every phone's queue must be empty; no request may take longer than the stated bound.

The baseline, measured first in the same run: a closed loop of phones (two per server thread,
so that every thread stays busy) syncing one SOS per request back to back — the server's
sustained rate. The surge's offered load and its goodput are printed as ratios of it.

    ./dev bench surge                          # 5,000 phones within 60 s
    ./dev bench surge --phones 200 --window 5
    ./dev bench surge --no-shed                # the same surge with graceful overload off
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from bench.stack import Gunicorn, PrivatePostgres, PrivateRedis, app_env, prepare_database
from mobile_contract.client import Fatal, Retry, SiagaClient

CATEGORIES = ("fire", "health", "accident", "natural_disaster")
LAT, LON = (-3.1, -1.9), (103.3, 104.5)  # across Musi Banyuasin
PHONE_TIMEOUT_S = 20.0                    # the reference client's request timeout
TRANSPORT_ERRORS = (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError,
                    IndexError)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def http(port: int, method: str, path: str, data: bytes | None, headers: dict,
               timeout: float = PHONE_TIMEOUT_S) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 exchange on a new connection (as the reference client): status, headers,
    body. Transport failures raise; the caller's phone treats them as Retry."""
    async def exchange():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            data_ = data or b""
            head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                    f"Content-Length: {len(data_)}", *(f"{k}: {v}" for k, v in headers.items())]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data_)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            answer = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                answer[name.strip()] = value.strip()
            length = next((int(v) for k, v in answer.items() if k.lower() == "content-length"),
                          None)
            body = await (reader.readexactly(length) if length is not None else reader.read())
            return status, answer, body
        finally:
            writer.close()

    return await asyncio.wait_for(exchange(), timeout)


@dataclass
class Attempt:
    at: float          # seconds since the surge began
    latency: float     # connect → whole reply, as the phone sees it
    outcome: int | str  # HTTP status, or the transport error's name


@dataclass
class Baseline:
    concurrency: int = 0
    rate: float = 0.0
    p50: float = 0.0
    p99: float = 0.0


@dataclass
class SurgeResult:
    phones: int
    window_s: float
    shedding: bool
    workers: int
    threads: int
    baseline: Baseline = field(default_factory=Baseline)
    attempts: list[Attempt] = field(default_factory=list)
    reports: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    phones_left: int = 0       # phones whose queue was not empty at the deadline
    not_applied: int = 0       # results other than applied/duplicate (must be none)
    failed: list[str] = field(default_factory=list)  # phones that stopped on a Fatal answer
    drain_s: float = 0.0       # first arrival → the last queue empty
    last_arrival_s: float = 0.0
    loop_lag_max_s: float = 0.0
    server_shed: dict = field(default_factory=dict)
    load: tuple = (0.0, 0.0)   # 1-minute load average before and after (other work on the box)

    @property
    def statuses(self) -> Counter:
        return Counter(a.outcome for a in self.attempts)

    @property
    def served_rate(self) -> float:
        """Syncs answered 200 per second while the surge drained (goodput)."""
        served = sum(1 for a in self.attempts if a.outcome == 200)
        return served / self.drain_s if self.drain_s else 0.0

    @property
    def max_latency(self) -> float:
        return max((a.latency for a in self.attempts), default=0.0)

    def ok(self, bound_s: float) -> bool:
        return (self.lost == 0 and self.duplicated == 0 and self.phones_left == 0
                and self.not_applied == 0 and not self.failed and self.stored == self.reports
                and self.max_latency <= bound_s)

    def table(self, bound_s: float) -> str:
        statuses = self.statuses
        latencies = [a.latency for a in self.attempts]
        served = [a.latency for a in self.attempts if a.outcome == 200]
        ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
        applied_rate = self.stored / self.drain_s if self.drain_s else 0.0
        lines = [
            f"Surge: {self.phones} phones, {self.reports} queued reports, arriving within "
            f"{self.window_s:g} s; gunicorn {self.workers} workers × {self.threads} threads, "
            f"{os.cpu_count()} CPUs; graceful overload {'on' if self.shedding else 'OFF'}",
            (f"baseline (closed loop, {self.baseline.concurrency} phones at once, 1 SOS a "
             f"request): {self.baseline.rate:.0f} "
             f"syncs/s, p50 {ms(self.baseline.p50)}, p99 {ms(self.baseline.p99)}"
             if self.baseline.rate else "baseline: not measured"),
            f"offered: {self.phones / self.window_s:.0f} phones/s"
            + (f" = {self.phones / self.window_s / self.baseline.rate:.2f} × baseline"
               if self.baseline.rate else ""),
            f"requests: {len(self.attempts)} — " + ", ".join(
                f"{k} × {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))),
            f"503 answers: {statuses.get(503, 0)} (server counted shed: "
            + (", ".join(f"{k} {v:.0f}" for k, v in sorted(self.server_shed.items())) or "none")
            + ")",
            f"latency, every request: p50 {ms(percentile(latencies, .5))}, "
            f"p90 {ms(percentile(latencies, .9))}, p99 {ms(percentile(latencies, .99))}, "
            f"max {ms(self.max_latency)} (bound {bound_s:g} s: "
            f"{'kept' if self.max_latency <= bound_s else 'EXCEEDED'})",
            f"latency, answers 200: p50 {ms(percentile(served, .5))}, "
            f"p99 {ms(percentile(served, .99))}, max {ms(max(served, default=0))}",
            f"drain: every queue empty {self.drain_s:.1f} s after the first phone arrived "
            f"({self.drain_s - self.last_arrival_s:.1f} s after the last); "
            f"{applied_rate:.0f} reports/s"
            + (f", {self.served_rate:.0f} syncs answered 200/s = "
               f"{self.served_rate / self.baseline.rate:.2f} × baseline"
               if self.baseline.rate else ""),
            f"stored: {self.stored} of {self.reports}; lost {self.lost}, duplicated "
            f"{self.duplicated}, phones with ops left {self.phones_left}, results other than "
            f"applied/duplicate {self.not_applied}"
            + (f", phones stopped by an error: {len(self.failed)} ({self.failed[0]})"
               if self.failed else ""),
            f"load generator: event loop lag max {ms(self.loop_lag_max_s)} (in the latencies);"
            f" machine load average {self.load[0]:.1f} before, {self.load[1]:.1f} after",
        ]
        return "\n".join(lines)


class Crowd:
    """Phones (reference clients) and the asyncio driver that syncs them."""

    def __init__(self, port: int, seed: int):
        self.port, self.rng = port, random.Random(seed)
        self.seed = seed

    def phone(self, i: int) -> SiagaClient:
        return SiagaClient(f"http://127.0.0.1:{self.port}", timeout=PHONE_TIMEOUT_S,
                           rng=random.Random(self.seed * 100_003 + i))

    async def register(self, phones: list[SiagaClient], concurrency: int = 32) -> None:
        """Every phone registered before the surge (as installed apps are)."""
        queue = asyncio.Queue()
        for phone in phones:
            queue.put_nowait(phone)

        async def worker():
            while not queue.empty():
                phone = queue.get_nowait()
                registration = {"platform": "android", "app_version": "surge", "kind": "citizen",
                                "phone": None, "test": False}
                for attempt in range(1, 20):
                    data, headers = phone.encode(registration)
                    try:
                        status, answer, payload = await http(self.port, "POST", "/v1/devices",
                                                             data, headers)
                        phone.register_reply(registration, status, answer, payload)
                        break
                    except TRANSPORT_ERRORS + (Retry,):
                        await asyncio.sleep(0.2 * attempt)

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def sync(self, phone: SiagaClient, origin: float, attempts: list[Attempt], *,
                   wait: bool = True) -> None:
        """One phone's flush (mobile_contract/client.py flush(), over asyncio): sync until the
        queue is empty and nothing is left to pull; on Retry wait what the protocol says
        (`wait=False`: retry at once — the baseline measures capacity, not phones)."""
        loop, retry = asyncio.get_running_loop(), 0
        while True:
            ops, body = phone.sync_request()
            data, headers = phone.encode(body, gzipped=True)
            started = loop.time()
            try:
                try:
                    status, answer, payload = await http(self.port, "POST", "/v1/sync", data,
                                                         headers)
                except TRANSPORT_ERRORS as exc:
                    attempts.append(Attempt(started - origin, loop.time() - started,
                                            type(exc).__name__))
                    raise Retry(f"transport: {type(exc).__name__}") from None
                attempts.append(Attempt(started - origin, loop.time() - started, status))
                outcome = phone.sync_reply(ops, status, answer, payload)
            except Retry as exc:
                retry += 1
                await asyncio.sleep(phone.backoff(retry, exc.retry_after) if wait else 0)
                continue
            retry = 0
            if not phone.queued() and not outcome.has_more:
                return


async def _lag_probe(stop: asyncio.Event, seen: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.05)
        seen.append(loop.time() - before - 0.05)


async def measure_baseline(crowd: Crowd, seconds: float, concurrency: int) -> Baseline:
    """Closed loop: `concurrency` phones at a time, each request one fresh SOS (a phone
    sends at most a few, below the SOS flood flag)."""
    phones = [crowd.phone(1_000_000 + i) for i in range(concurrency * 8)]
    rng = random.Random(crowd.seed + 1)  # the surge's own draws stay as they are
    await crowd.register(phones)
    loop = asyncio.get_running_loop()
    ends = loop.time() + seconds
    attempts: list[Attempt] = []
    turn = iter(range(10**9))

    async def worker():
        while loop.time() < ends:
            phone = phones[next(turn) % len(phones)]
            phone.sos(rng.choice(CATEGORIES), rng.uniform(*LAT), rng.uniform(*LON),
                      "baseline")
            await crowd.sync(phone, loop.time(), attempts, wait=False)

    started = loop.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    served = [a.latency for a in attempts if a.outcome == 200]
    return Baseline(concurrency, len(served) / (loop.time() - started),
                    percentile(served, .5), percentile(served, .99))


async def surge(crowd: Crowd, result: SurgeResult, deadline_s: float) -> list[SiagaClient]:
    rng = crowd.rng
    phones = [crowd.phone(i) for i in range(result.phones)]
    await crowd.register(phones)
    result.server_shed = server_shed(crowd.port)  # before: registration may have been shed
    for phone in phones:
        for _ in range(rng.randint(1, 3)):
            phone.sos(rng.choice(CATEGORIES), rng.uniform(*LAT), rng.uniform(*LON), "surge")
    arrivals = sorted(rng.uniform(0, result.window_s) for _ in phones)
    result.last_arrival_s = arrivals[-1]
    loop = asyncio.get_running_loop()
    stop, lags = asyncio.Event(), []
    probe = asyncio.create_task(_lag_probe(stop, lags))
    origin = loop.time()
    finished: list[float] = []

    async def one(phone: SiagaClient, arrive: float):
        await asyncio.sleep(max(0.0, origin + arrive - loop.time()))
        try:
            await crowd.sync(phone, origin, result.attempts)
        except Fatal as exc:
            result.failed.append(str(exc))
            return
        finished.append(loop.time() - origin)

    tasks = [asyncio.create_task(one(p, a)) for p, a in zip(phones, arrivals)]
    await asyncio.wait(tasks, timeout=deadline_s)
    for task in tasks:
        task.cancel()
    stop.set()
    await probe
    result.drain_s = max(finished, default=0.0) - arrivals[0]
    result.loop_lag_max_s = max(lags, default=0.0)
    return phones


def server_shed(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read().decode()
    counts: Counter = Counter()
    for reason, value in re.findall(
            r'^siaga_overload_shed_total\{[^}]*reason="(\w+)"[^}]*\} ([0-9.e+]+)$', text, re.M):
        counts[reason] += float(value)
    return dict(counts)


def check(result: SurgeResult, phones: list[SiagaClient], db_url: str) -> None:
    queued = [op["id"] for p in phones for op in p.queued()]
    result.phones_left = sum(1 for p in phones if p.queued())
    ids = [op_id for p in phones for op_id in p.receipts()] + queued
    result.reports = len(ids)
    result.not_applied = sum(1 for p in phones for r in p.receipts().values()
                             if r["status"] not in ("applied", "duplicate"))
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            counts = dict(conn.execute(sa.text(
                "SELECT client_op_id, count(*) FROM reports WHERE client_op_id = ANY(:ids) "
                "GROUP BY client_op_id"), {"ids": ids}).all())
    finally:
        engine.dispose()
    result.stored = sum(counts.values())
    result.lost = len(set(ids) - set(counts))
    result.duplicated = sum(n - 1 for n in counts.values())


def run(phones: int = 5000, window_s: float = 60.0, *, shedding: bool = True,
        baseline_s: float = 5.0, seed: int = 2026, deadline_s: float | None = None,
        **settings) -> SurgeResult:
    """The whole surge on a private stack; `settings` override the app's (e.g.
    OVERLOAD_QUEUE_WAIT_MS=100, WEB_WORKERS=1)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # thousands of sockets at once
    if not shedding:
        settings.update(OVERLOAD_QUEUE_WAIT_MS=0, OVERLOAD_POOL_WAIT_MS=0)
    pg, redis = PrivatePostgres(), PrivateRedis()
    web = None
    try:
        settings.setdefault("WEB_WORKERS", os.cpu_count() + 1)  # gunicorn.conf.py's default
        env = app_env(pg.url, REDIS_URL=redis.url, REGISTRATION_LIMIT_PER_ADDRESS="1000000/minute",
                      REGISTRATION_LIMIT_GLOBAL="1000000/minute", **settings)
        prepare_database(env)
        web = Gunicorn(env)
        result = SurgeResult(phones, window_s, shedding, int(web.env["WEB_WORKERS"]),
                             int(env.get("WEB_THREADS", 8)))
        crowd = Crowd(web.port, seed)

        async def main():
            if baseline_s:
                result.baseline = await measure_baseline(
                    crowd, baseline_s, 2 * result.workers * result.threads)
            return await surge(crowd, result, deadline_s or window_s + 240)

        before = os.getloadavg()[0]
        phones_ = asyncio.run(main())
        result.load = (before, os.getloadavg()[0])
        result.server_shed = {k: v - result.server_shed.get(k, 0)
                              for k, v in server_shed(web.port).items()}
        check(result, phones_, pg.url)
        return result
    finally:
        if web is not None:
            web.stop()
        redis.stop()
        pg.destroy()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=5000)
    parser.add_argument("--window", type=float, default=60.0, help="arrivals within, seconds")
    parser.add_argument("--bound", type=float, default=5.0,
                        help="no request may take longer than this, seconds")
    parser.add_argument("--baseline", type=float, default=5.0, help="seconds; 0 = skip")
    parser.add_argument("--no-shed", action="store_true", help="graceful overload off")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    result = run(args.phones, args.window, shedding=not args.no_shed,
                 baseline_s=args.baseline, seed=args.seed)
    print("\n" + result.table(args.bound))
    raise SystemExit(0 if result.ok(args.bound) else 1)


if __name__ == "__main__":
    main()
