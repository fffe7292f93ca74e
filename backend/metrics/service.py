"""Who may scrape /metrics, and the scrape.

Allowed: a client address inside METRICS_ALLOW (networks; loopback by default), or any client
presenting `Authorization: Bearer <METRICS_TOKEN>` when a token is configured. Behind nginx the
address is the real client's (TRUSTED_PROXIES), and nginx refuses /metrics outright; Prometheus
scrapes the app directly on the private network.
"""
from __future__ import annotations

import hmac
import ipaddress
import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess

from backend.metrics.collector import DatabaseCollector


def networks(spec: str) -> list:
    """METRICS_ALLOW as networks: "127.0.0.1/32, ::1/128, 10.0.0.0/8" (empty = none)."""
    return [ipaddress.ip_network(part.strip(), strict=False)
            for part in spec.split(",") if part.strip()]


def may_scrape(*, address: str | None, authorization: str | None, allow: str,
               token: str) -> bool:
    if token and authorization and authorization.startswith("Bearer ") and \
            hmac.compare_digest(authorization[7:].strip().encode(), token.encode()):
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in networks(allow))


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_registry() -> CollectorRegistry:
    """The counters and histograms: summed over every process writing to
    PROMETHEUS_MULTIPROC_DIR (gunicorn workers), else this process's own."""
    if multiprocess_dir() is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def scrape() -> tuple[bytes, str]:
    """The exposition: counters of every process, then the database gauges (needs an app
    context). Two registries, one text: their metric names never overlap."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return generate_latest(process_registry()) + generate_latest(database), CONTENT_TYPE_LATEST
