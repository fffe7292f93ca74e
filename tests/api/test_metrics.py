"""GET /metrics on both databases: counters move with real requests, real sync ops and a real
escalation; the database gauges count open work (test traffic left out); who may scrape; and
the alert rules only name metrics that a scrape really exposes."""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import yaml
from prometheus_client.parser import text_string_to_metric_families

from backend.dispatches.models import Dispatch
from backend.dispatches.service import escalate_overdue
from backend.extensions import db
from tests.api.test_board import _confirm, _dispatch, _update
from tests.helpers import Console, create_op, register, sos, sync

RULES = pathlib.Path(__file__).parents[2] / "deploy" / "prometheus" / "alerts.yml"


def scrape(client, **kwargs) -> dict:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counters_move_with_real_requests_and_sync_ops(client, staff):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/v1/health").status_code == 200
    assert client.get("/v1/no-such-thing").status_code == 404
    key, test_key = register(client), register(client, test=True)
    op = create_op(category="fire")
    bad = {"id": str(uuid.uuid4()), "type": "report.create", "at": op["at"],
           "data": {"category": "not-a-category"}}
    results = sync(client, key, [op, bad, 42]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected"]
    assert sync(client, key, [op]).get_json()["results"][0]["status"] == "duplicate"
    sos(client, test_key, category="fire")
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("siaga_http_requests_total", endpoint="/v1/health", method="GET",
                 status="200") == 3
    assert moved("siaga_http_requests_total", endpoint="unmatched", method="GET",
                 status="404") == 1
    assert moved("siaga_http_requests_total", endpoint="/v1/sync", method="POST",
                 status="200") == 3
    assert moved("siaga_http_request_duration_seconds_count", endpoint="/v1/health",
                 method="GET") == 3
    assert moved("siaga_http_request_duration_seconds_bucket", endpoint="/v1/health",
                 method="GET", le="+Inf") == 3
    assert moved("siaga_sync_ops_total", type="report.create", result="applied") == 2
    assert moved("siaga_sync_ops_total", type="report.create", result="rejected") == 1
    assert moved("siaga_sync_ops_total", type="other", result="rejected") == 1
    assert moved("siaga_sync_ops_total", type="report.create", result="duplicate") == 1
    # The gauges are read from the database: one real report waits, the test one does not.
    assert value(after, "siaga_database_up") == 1
    assert value(after, "siaga_reports_waiting") == 1
    assert 0 <= value(after, "siaga_reports_waiting_oldest_age_seconds") < 60
    assert value(after, "siaga_feed_newest_change_age_seconds") < 60
    assert 0 <= value(after, "siaga_feed_lag_seconds") < 60


def test_escalation_and_dispatch_gauges(client, staff):
    from tests.api.test_units import responder

    responder(client, "dmk-sky-1", token="token-sky-1")
    operator = Console(client, "operator1")
    number = _confirm(operator, sos(client, register(client), category="fire"))
    dispatch = _dispatch(operator, number, "DMK-SKY-1")
    samples = scrape(client)
    assert value(samples, "siaga_outbox_depth", status="queued") == 1   # PUSH_THREAD off
    assert 0 <= value(samples, "siaga_outbox_oldest_age_seconds") < 60
    assert value(samples, "siaga_dispatches_awaiting_ack", overdue="false") == 1
    before = value(samples, "siaga_escalations_total", why="timed_out")

    _update(sa.update(Dispatch).where(Dispatch.id == dispatch)
            .values(ack_deadline=datetime.now(timezone.utc) - timedelta(seconds=5)))
    assert value(scrape(client), "siaga_dispatches_awaiting_ack", overdue="true") == 1
    assert escalate_overdue() == [dispatch]
    db.session.commit()
    samples = scrape(client)
    assert value(samples, "siaga_escalations_total", why="timed_out") == before + 1
    assert value(samples, "siaga_incidents_needing_attention") == 1
    assert value(samples, "siaga_dispatches_awaiting_ack", overdue="true") == 0


def test_only_allowed_addresses_or_the_token_may_scrape(client, app, monkeypatch):
    assert client.get("/metrics").status_code == 200                  # loopback by default
    outside = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    refused = client.get("/metrics", **outside)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "10.0.0.0/8")
    assert client.get("/metrics").status_code == 403                  # loopback no longer
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape-token")
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"},
                      **outside).status_code == 200
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"},
                      **outside).status_code == 403
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "")
    assert client.get("/metrics").status_code == 403


def _exposed_names(client) -> set[str]:
    text = client.get("/metrics").get_data(as_text=True)
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(s.name for s in family.samples)
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_count", "_sum"))
    return names


EXPECTED_ALERTS = {
    "SiagaScrapeDown", "SiagaDatabaseDown", "SiagaDatabaseErrors", "SiagaHigh5xxRate",
    "SiagaSlowSync", "SiagaFeedLag", "SiagaOutboxStuck", "SiagaOutboxGrowing",
    "SiagaAlertsUndelivered", "SiagaAlertSendFailures", "SiagaDispatchNotAcknowledged",
    "SiagaEscalationsRising", "SiagaIncidentsNeedAttention", "SiagaReportsWaitingLong",
    "SiagaSyncRejectionsHigh", "SiagaShedding"}


def test_alert_rules_name_only_metrics_the_scrape_exposes(client):
    rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"]
             for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} == EXPECTED_ALERTS
    exposed = _exposed_names(client) | {"up"}       # `up` is Prometheus' own
    import re
    for rule in rules:
        used = set(re.findall(r"\b(siaga_[a-z_]+|up)\b", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exposed, (rule["alert"], used - exposed)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian: prometheus)")
def test_alert_rules_pass_promtool():
    done = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(EXPECTED_ALERTS)} rules found" in done.stdout
