"""Failure counters with a time window: in memory (embedded profile) or Redis (production).

One interface, two drivers, chosen by REDIS_URL. Used to throttle password guessing.
"""
from __future__ import annotations

import threading
import time


class MemoryCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self._hits: dict[str, tuple[int, float]] = {}

    def count(self, key: str) -> int:
        with self._lock:
            value, expires = self._hits.get(key, (0, 0.0))
            return value if expires > time.monotonic() else 0

    def increment(self, key: str, window_s: int) -> int:
        with self._lock:
            value, expires = self._hits.get(key, (0, 0.0))
            now = time.monotonic()
            if expires <= now:
                value, expires = 0, now + window_s
            self._hits[key] = (value + 1, expires)
            return value + 1

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


class RedisCounter:
    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2)

    def count(self, key: str) -> int:
        return int(self._redis.get(f"siaga:rl:{key}") or 0)

    def increment(self, key: str, window_s: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(f"siaga:rl:{key}")
        pipe.expire(f"siaga:rl:{key}", window_s, nx=True)
        return int(pipe.execute()[0])

    def reset(self, key: str) -> None:
        self._redis.delete(f"siaga:rl:{key}")


def make_counter(redis_url: str):
    return RedisCounter(redis_url) if redis_url else MemoryCounter()
