"""The feed server on the real stack: nginx's front door routes console live feeds to
gunicorn.feed.conf.py (gevent, one database poller per process) beside the API's gunicorn,
on a private PostgreSQL. A hundred open feeds — far beyond what the API's threads could hold
(FEED_MAX_PER_WORKER=4 per process there) — and a phone's SOS still gets through quickly,
and every feed receives it."""
from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid

import pytest
import requests

from bench.feeds import Connection, Feeds, now_iso, open_feed, sign_in
from bench.stack import Gunicorn, PrivatePostgres, app_env, nginx, prepare_database

FEEDS = 100
PER_USER = 34                       # three consoles' users: 34 + 33 + 33 feeds
SOS_BOUND_S = 2.0                   # as through the front door under attack (README)
DELIVERY_BOUND_S = 5.0

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None,
                                reason="nginx missing: ./dev test installs it")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    pg = PrivatePostgres()
    web = feed = None
    try:
        env = app_env(pg.url, TRUSTED_PROXIES=1, FEED_MAX_PER_USER=PER_USER)
        prepare_database(env)
        web, feed = Gunicorn(env), Gunicorn(env, config="gunicorn.feed.conf.py")
        with nginx(tmp_path_factory.mktemp("nginx"), web.port, feed.port) as port:
            yield port
    finally:
        for server in (web, feed):
            if server is not None:
                server.stop()
        pg.destroy()


async def _scenario(port, cookies, cursor, key):
    feeds, opened = Feeds(), asyncio.Event()
    tasks = [asyncio.create_task(open_feed(port, cookies[i % 3], cursor, feeds, opened))
             for i in range(FEEDS)]
    ends = time.monotonic() + 30
    while feeds.accepted + feeds.refused + feeds.failed < FEEDS and time.monotonic() < ends:
        await asyncio.sleep(0.05)
    # One more for the first user: the per-user limit holds on the feed server too.
    extra = Feeds()
    await open_feed(port, cookies[0], cursor, extra, asyncio.Event())

    phone = Connection(port)
    started = time.monotonic()
    health, _ = await phone.request("GET", "/v1/health")
    health_s = time.monotonic() - started
    op = {"id": str(uuid.uuid4()), "type": "report.create", "at": now_iso(),
          "data": {"category": "fire", "note": "rumah terbakar",
                   "location": {"lat": -2.88, "lon": 103.84, "accuracy_m": 12,
                                "source": "gps"}}}
    started = time.monotonic()
    status, payload = await phone.request(
        "POST", "/v1/sync", {"Authorization": f"Bearer {key}",
                             "Content-Type": "application/json"},
        json.dumps({"protocol": 1, "device_time": now_iso(), "cursor": None,
                    "ops": [op]}).encode())
    stored_at = time.monotonic()
    ref = json.loads(payload)["results"][0]["ref"]["report"] if status == 200 else None
    while len(feeds.arrivals.get(ref, ())) < FEEDS and \
            time.monotonic() < stored_at + DELIVERY_BOUND_S:
        await asyncio.sleep(0.02)
    arrivals = feeds.arrivals.get(ref, [])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    phone.close()
    return {"feeds": feeds, "extra": extra, "health": health, "health_s": health_s,
            "status": status, "sos_s": stored_at - started, "ref": ref,
            "delivered": len(arrivals),
            "last_arrival_s": max(arrivals) - stored_at if arrivals else None}


def test_a_hundred_open_feeds_and_a_phones_sos_still_gets_through_to_every_one(stack):
    base = f"http://127.0.0.1:{stack}"
    cookies = [sign_in(base, user) for user in ("operator1", "operator2", "supervisor")]
    cursor = requests.get(base + "/v1/operator/inbox", headers={"Cookie": cookies[0]},
                          timeout=30).json()["cursor"]
    key = requests.post(base + "/v1/devices", json={"platform": "android",
                                                     "app_version": "1"},
                        timeout=30).json()["device_key"]
    result = asyncio.run(_scenario(stack, cookies, cursor, key))
    feeds = result["feeds"]
    assert (feeds.accepted, feeds.refused, feeds.failed) == (FEEDS, 0, 0), feeds
    assert (result["extra"].accepted, result["extra"].refused) == (0, 1)   # per-user limit
    assert result["health"] == 200 and result["health_s"] < SOS_BOUND_S, result
    assert result["status"] == 200 and result["sos_s"] < SOS_BOUND_S, result
    assert result["delivered"] == FEEDS, result          # every open feed got the report
    assert result["last_arrival_s"] < DELIVERY_BOUND_S, result
