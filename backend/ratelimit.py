"""Request limits and counters with a time window: in memory (embedded profile) or Redis
(production), chosen by REDIS_URL.

RequestLimits refuses abusive requests (device registration) before any expensive work; it
runs on `limits`, the library under Flask-Limiter, used directly so each app (tests build
many) has its own storage and so a limit is checked exactly where the view decides, before
the database. The counters throttle password guessing and spot SOS floods (which are
collapsed, never refused: no limit ever drops an emergency). Everything fails open: a
limiter that is down must not take the 112 line with it.
"""
from __future__ import annotations

import functools
import logging
import threading
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

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


class RequestLimits:
    """Moving-window limits ("60/minute;1000/hour") per name and key, e.g. per address."""

    def __init__(self, redis_url: str):
        self._storage = storage_from_string(redis_url or "memory://")
        self._limiter = MovingWindowRateLimiter(self._storage)

    def hit(self, name: str, key: str, spec: str) -> float | None:
        """Count one request; None if allowed, else the seconds to wait (Retry-After)."""
        for item in parse_many(spec):
            try:
                if not self._limiter.hit(item, name, key):
                    reset = self._limiter.get_window_stats(item, name, key).reset_time
                    return max(1.0, reset - time.time())
            except Exception as exc:  # storage down: fail open, and say so
                log.warning("request limits unavailable, not limiting %s: %s", name, exc)
                return None
        return None

    def clear(self, name: str, key: str, spec: str) -> None:
        """Forget what was counted for `key` (a successful sign-in clears its failures)."""
        for item in parse_many(spec):
            try:
                self._limiter.clear(item, name, key)
            except Exception as exc:  # storage down: nothing to forget
                log.warning("request limits unavailable, not clearing %s: %s", name, exc)

    def reset(self) -> None:
        self._storage.reset()


def limit_requests(name: str, **settings: str):
    """View decorator: refuse with 429 rate_limited (Retry-After) when a limit is reached.
    Keys: `per_address` (the client address, behind TRUSTED_PROXIES) and `overall`; each
    names the setting that holds its limits. Place it right under @blp.route so it runs
    before the body is even parsed. The request's database connection is taken before a
    hit is counted: a request the server sheds for want of a connection (backend/overload.py)
    uses up nobody's limit — behind a carrier's NAT that limit is many phones'."""
    from flask import current_app

    from backend.auth import client_address
    from backend.errors import ApiError
    from backend.extensions import db

    def decorator(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            db.session.connection()  # the view needs it anyway; a shed happens here
            limits = current_app.extensions["siaga.limits"]
            for scope, setting in settings.items():
                key = client_address() if scope == "per_address" else "*"
                wait = limits.hit(f"{name}:{scope}", key, current_app.config[setting])
                if wait is not None:
                    raise ApiError("Too many requests; retry later.", code="rate_limited",
                                   status=429, headers={"Retry-After": str(int(wait) + 1)},
                                   details={"limit": scope})
            return view(*args, **kwargs)
        return limited
    return decorator
