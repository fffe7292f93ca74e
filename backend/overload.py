"""Graceful overload: when the server is saturated, a phone gets `503` + `Retry-After` (with
jitter) at once, instead of every request waiting longer and longer until phones time out
and retry into a server that is slower still (a disaster surge: thousands of phones regaining
signal within minutes).

Saturation is measured per request, before the request does any work:

- **queue wait** — from the moment the request was ready to be served to the moment a thread
  starts it. gunicorn's worker (gunicorn.conf.py) stamps each connection it hands to its
  thread pool; behind the front door, nginx also sends `X-Request-Start: t=<unix seconds>`
  (trusted only with TRUSTED_PROXIES, as the header is then nginx's own), which adds the
  time spent between nginx and gunicorn. The longer of the two counts.
- **pool wait** — how long the request waits for its first database connection. A sheddable
  request waits at most OVERLOAD_POOL_WAIT_MS for it (SheddingQueuePool), then is answered;
  its first statement has not run, so nothing was written.

Only requests a phone retries by itself are shed (SHEDDABLE): the sync protocol keeps every
op queued on the phone until a reply says it was stored, and the op id makes the retry
exactly-once (mobile_contract/PROTOCOL.md §6). Never shed: SMS and AML intake (the SMS
gateway's webhook — SMS is what a phone falls back to when data fails), the console and
its live feed (the operators working the surge), the /v1/responder/ endpoints, health checks
and /metrics (the overload must stay visible). A responder phone's /v1/sync is shed like any
phone's (its key is not looked up first): its ops stay queued and go on the retry.
"""
from __future__ import annotations

import logging
import random
import threading
import time

from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import QueuePool

from backend.errors import ApiError, error_bytes
from backend.http import PROTOCOL_HEADER, server_queue_wait

log = logging.getLogger(__name__)

# (method, path) → metric label. Exact paths; one prefix rule below for /v1/reports/<ref>.
SHEDDABLE = {
    ("POST", "/v1/sync"): "/v1/sync",               # queued ops, retried with the same ids
    ("POST", "/v1/devices"): "/v1/devices",         # registration: the SOS stays queued
    ("GET", "/v1/devices/me"): "/v1/devices/me",
    ("GET", "/v1/reports"): "/v1/reports",          # the phone's own reports: read again later
    ("GET", "/v1/categories"): "/v1/categories",    # cached by the app
    ("GET", "/v1/public/guide"): "/v1/public/guide",  # the app keeps its cached copy (§14)
}
SHEDDABLE_PREFIXES = (("GET", "/v1/reports/", "/v1/reports/<ref>"),)

# nginx's X-Request-Start outside this range is clock trouble, not a queue: ignored.
PLAUSIBLE_WAIT_S = 60.0
# One warning per process at most this often while shedding (the counter has the numbers).
WARN_EVERY_S = 10.0

_state = threading.local()  # per request thread: the pool budget and who sheds


def sheddable(method: str, path: str) -> str | None:
    """The metric label of a request that may be shed, or None."""
    label = SHEDDABLE.get((method, path))
    if label is None:
        for rule_method, prefix, rule_label in SHEDDABLE_PREFIXES:
            if method == rule_method and path.startswith(prefix) and "/" not in path[len(prefix):]:
                return rule_label
    return label


def parse_request_start(value: str | None, now: float) -> float | None:
    """Seconds since `X-Request-Start` (`t=1732900000.123`, or bare; seconds, milliseconds or
    microseconds since the epoch, told apart by size as New Relic's agents do), or None."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        stamp = float(value)
    except ValueError:
        return None
    if stamp > 1e14:
        stamp /= 1e6
    elif stamp > 1e11:
        stamp /= 1e3
    waited = now - stamp
    return waited if 0.0 <= waited <= PLAUSIBLE_WAIT_S else None


class Overloaded(ApiError):
    """503 for a request shed by overload; the phone keeps its ops and retries."""

    status, code = 503, "unavailable"

    def __init__(self, reason: str, retry_after: int):
        super().__init__("Server busy; your request was not applied. Retry after Retry-After.",
                         details={"reason": reason, "retry_after_s": retry_after},
                         headers={"Retry-After": str(retry_after)})


class OverloadGuard:
    """WSGI middleware: sheds a sheddable request whose queue wait is over the limit, and
    gives the others a pool budget (SheddingQueuePool). Limits of 0 turn a check off."""

    def __init__(self, app, *, queue_wait_ms: int, pool_wait_ms: int,
                 retry_after_s: tuple[int, int], trust_request_start: bool):
        from backend.metrics.instruments import QUEUE_WAIT, count_shed

        self.app = app
        self.queue_limit = queue_wait_ms / 1000 if queue_wait_ms > 0 else None
        self.pool_limit = pool_wait_ms / 1000 if pool_wait_ms > 0 else None
        low, high = retry_after_s
        self.retry_after = (max(1, low), max(1, low, high))
        self.trust_request_start = trust_request_start
        self._observe, self._count = QUEUE_WAIT.observe, count_shed
        self._warned_at = -WARN_EVERY_S

    def queue_wait(self, environ) -> float | None:
        waited = server_queue_wait(environ)
        if self.trust_request_start:
            proxied = parse_request_start(environ.get("HTTP_X_REQUEST_START"), time.time())
            if proxied is not None and (waited is None or proxied > waited):
                waited = proxied
        return waited

    def retry_after_s(self) -> int:
        return random.randint(*self.retry_after)

    def shed(self, label: str, method: str, reason: str, waited: float) -> Overloaded:
        self._count(label, method, reason, answered_by_flask=reason == "pool_wait")
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning("overload: shedding phone requests (%s %.0f ms on %s)", reason,
                        waited * 1000, label)
        return Overloaded(reason, self.retry_after_s())

    def __call__(self, environ, start_response):
        waited = self.queue_wait(environ)
        if waited is not None:
            self._observe(waited)
        method = environ.get("REQUEST_METHOD", "")
        label = sheddable(method, environ.get("PATH_INFO", ""))
        if label is None:
            return self.app(environ, start_response)
        if self.queue_limit is not None and waited is not None and waited > self.queue_limit:
            return self._answer(start_response, self.shed(label, method, "queue_wait", waited))
        _state.shed = (self, label, method) if self.pool_limit is not None else None
        try:
            return self.app(environ, start_response)
        finally:
            _state.shed = None

    @staticmethod
    def _answer(start_response, error: Overloaded):
        """The 503 without Flask: the body is never read, no database is touched."""
        body = error_bytes(error.code, error.message, error.details)
        start_response("503 Service Unavailable", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            ("Retry-After", error.headers["Retry-After"]), PROTOCOL_HEADER])
        return [body]


class SheddingQueuePool(QueuePool):
    """QueuePool whose first checkout in a sheddable request waits at most the guard's pool
    budget (OVERLOAD_POOL_WAIT_MS), then sheds the request; any other checkout waits the
    usual pool_timeout. Only the first: a request that has run a statement is never shed."""

    # QueuePool reads self._timeout when it waits for a connection; a per-thread override
    # bounds that wait for this one checkout.
    @property
    def _timeout(self) -> float:
        override = getattr(_state, "pool_timeout", None)
        return self._configured_timeout if override is None else override

    @_timeout.setter
    def _timeout(self, value: float) -> None:
        self._configured_timeout = value

    def _do_get(self):
        shed = getattr(_state, "shed", None)
        if shed is None:
            return super()._do_get()
        guard, label, method = shed
        _state.shed = None
        _state.pool_timeout = min(guard.pool_limit, self._configured_timeout)
        started = time.monotonic()
        try:
            return super()._do_get()
        except sa_exc.TimeoutError:
            raise guard.shed(label, method, "pool_wait", time.monotonic() - started) from None
        finally:
            _state.pool_timeout = None


def pool_class_for(url) -> type | None:
    """SheddingQueuePool where SQLAlchemy would use a QueuePool (PostgreSQL, an SQLite file);
    None (the dialect's default) for an in-memory SQLite database."""
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return SheddingQueuePool
