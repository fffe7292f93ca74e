"""GET /metrics: Prometheus text format, for the people who run the server (not in the
OpenAPI spec: no phone or console calls it)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from backend.auth import client_address
from backend.errors import error_body
from backend.metrics.service import may_scrape, scrape

bp = Blueprint("metrics", __name__)


@bp.route("/metrics")
def metrics():
    config = current_app.config
    if not may_scrape(address=client_address(), authorization=request.headers.get(
            "Authorization"), allow=config["METRICS_ALLOW"], token=config["METRICS_TOKEN"]):
        return error_body("forbidden", "Metrics are for the monitoring network or a token."), 403
    body, content_type = scrape()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
