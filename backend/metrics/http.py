"""Time and count every request by its URL rule (`/v1/operator/incidents/<number>`), never by
its raw path, so the label set stays small whatever callers send."""
from __future__ import annotations

import time

from flask import Flask, request

from backend.metrics.instruments import HTTP_LATENCY, HTTP_REQUESTS

STARTED = "siaga.metrics.started"


def endpoint_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"   # 404s and refusals before routing


def install(app: Flask) -> None:
    @app.before_request
    def _start():
        request.environ[STARTED] = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = request.environ.get(STARTED)
        endpoint, method = endpoint_label(), request.method
        HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        if started is not None:
            HTTP_LATENCY.labels(endpoint, method).observe(time.perf_counter() - started)
        return response
