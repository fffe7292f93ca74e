"""Failure counters with a time window: in memory (embedded profile) or Redis (production).

One interface, two drivers, chosen by REDIS_URL. Used to throttle password guessing and to
spot SOS floods (which are collapsed, never refused).
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class MemoryCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self._hits: dict[str, tuple[int, float]] = {}

    def count(self, key: str) -> int:
        with self._lock:
            value, expires = self._hits.get(key, (0, 0.0))
            return value if expires > time.monotonic() else 0

    def increment(self, key: str, window_s: int, by: int = 1) -> int:
        with self._lock:
            value, expires = self._hits.get(key, (0, 0.0))
            now = time.monotonic()
            if expires <= now:
                value, expires = 0, now + window_s
            self._hits[key] = (value + by, expires)
            return value + by

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


class RedisCounter:
    """Fails open: with Redis down, staff can still sign in (logged), because a 112 centre
    that cannot log in is worse than a throttle that pauses."""

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors = redis.exceptions.RedisError

    def _safe(self, fn, default):
        try:
            return fn()
        except self._errors as exc:
            log.warning("rate-limit counter unavailable, not throttling: %s", exc)
            return default

    def count(self, key: str) -> int:
        return self._safe(lambda: int(self._redis.get(f"siaga:rl:{key}") or 0), 0)

    def increment(self, key: str, window_s: int, by: int = 1) -> int:
        def incr():
            pipe = self._redis.pipeline()
            pipe.incrby(f"siaga:rl:{key}", by)
            pipe.expire(f"siaga:rl:{key}", window_s, nx=True)
            return int(pipe.execute()[0])
        return self._safe(incr, 0)

    def reset(self, key: str) -> None:
        self._safe(lambda: self._redis.delete(f"siaga:rl:{key}"), None)


def make_counter(redis_url: str):
    return RedisCounter(redis_url) if redis_url else MemoryCounter()
