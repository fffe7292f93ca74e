"""The counters and histograms. Module-level by prometheus_client's design (one registry per
process); under gunicorn PROMETHEUS_MULTIPROC_DIR makes every worker write its values to a
shared folder and the scrape sums them (gunicorn.conf.py sets it up)."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # *_created series only double the scrape; rate() never needs them

HTTP_REQUESTS = Counter(
    "siaga_http_requests_total", "HTTP requests by URL rule, method and status.",
    ["endpoint", "method", "status"])
HTTP_LATENCY = Histogram(
    "siaga_http_request_duration_seconds",
    "Time to the response (first byte for streams) by URL rule and method.",
    ["endpoint", "method"],
    buckets=(.005, .01, .025, .05, .1, .2, .35, .5, .75, 1.0, 2.0, 5.0, 10.0))
SYNC_OPS = Counter(
    "siaga_sync_ops_total", "Ops received through /v1/sync by type and result "
    "(applied, duplicate, conflict, rejected), counted after the commit.", ["type", "result"])
ALERT_SENDS = Counter(
    "siaga_alert_sends_total", "Alert delivery outcomes (sent, retry, failed, dropped) in the "
    "process that delivers (the web process embedded, `flask worker` in production).",
    ["result"])
ESCALATIONS = Counter(
    "siaga_escalations_total", "Dispatches escalated because the unit timed out or declined.",
    ["why"])
SMS_INBOUND = Counter(
    "siaga_sms_inbound_total", "Inbound SMS by kind (compact, text, aml, unknown) and result: "
    "created, duplicate (the op was stored already: the other path or a replay), attached, "
    "held (AML waiting for its call), no_report, blocked, failed, or the refusal's code "
    "(compact_bad_mac, compact_garbled, aml_…), counted after the commit.", ["kind", "result"])
FEED_STREAMS = Gauge(
    "siaga_feed_streams_open", "Console live feeds open now, summed over the live processes "
    "of the scraped server (the API's gunicorn or the feed server).",
    multiprocess_mode="livesum")
DB_ERRORS = Counter(
    "siaga_db_errors_total", "Database errors answered as 503 (lost connection, deadlock, "
    "lock timeout), by DBAPI error class.", ["kind"])



def count_sync_results(ops: list, results: list[dict], known_types) -> None:
    """One count per op; op types outside `known_types` fold into "other" (bounded labels)."""
    for op, result in zip(ops, results):
        kind = op.get("type") if isinstance(op, dict) else None
        # A fuzzed type may be any JSON value (a list is unhashable): only a known name counts.
        SYNC_OPS.labels(kind if isinstance(kind, str) and kind in known_types else "other",
                        result.get("status", "?")).inc()


def count_alert_sends(stats) -> None:
    for result in ("sent", "retry", "failed", "dropped"):
        if getattr(stats, result):
            ALERT_SENDS.labels(result).inc(getattr(stats, result))


def count_escalation(why: str) -> None:
    ESCALATIONS.labels(why).inc()


def count_sms_inbound(kind: str, result: str) -> None:
    SMS_INBOUND.labels(kind, result).inc()


def count_db_error(exc: Exception) -> None:
    DB_ERRORS.labels(type(getattr(exc, "orig", None) or exc).__name__).inc()
