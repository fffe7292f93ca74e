"""The figures of what operators really did through the API (milestones stamped by the
services, not by the factory): a report merged as a duplicate and split out again — the
first incident's clocks stay where they stopped; the split-off incident is new and open."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from backend.extensions import db
from backend.incidents.models import Incident
from backend.kpi import service
from tests.api.test_units import SEKAYU, unit_id
from tests.helpers import Console, fetch, register, sos
from tests.kpi.test_service import by_measure, regency_id


def figures(rid, start, end):
    """Counts and figures, the read ended at once (SQLite: no lock held while requests run)."""
    try:
        return service.counts(rid, start, end), by_measure(service.kpi_summary(rid, start, end))
    finally:
        db.session.rollback()


def test_merge_then_split_keeps_the_first_incidents_clocks(client, staff):
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    end = start + timedelta(hours=2)
    key, operator = register(client), Console(client, "operator1")
    first = sos(client, key, lat=SEKAYU[0], lon=SEKAYU[1])
    second = sos(client, key, lat=SEKAYU[0], lon=SEKAYU[1])
    number = operator.post(f"/v1/operator/reports/{first}/confirm", json={}).get_json()["number"]
    sent = operator.post(f"/v1/operator/incidents/{number}/dispatch",
                         json={"units": [unit_id("DMK-SKY-1")]})
    assert sent.status_code == 201, sent.get_json()
    (before,) = fetch(sa.select(Incident).where(Incident.id == int(number.rsplit("-", 1)[1])))
    merged = operator.post(f"/v1/operator/reports/{second}/merge", json={"incident": number})
    assert merged.status_code == 200, merged.get_json()
    rid = regency_id()
    db.session.rollback()
    counted, rows = figures(rid, start, end)
    assert (counted["merged"], counted["incidents"]) == (1, 1)
    assert (rows["triage"]["count"], rows["dispatch"]["count"]) == (2, 1)  # a merge is triage
    processing = rows["processing"]["p50_s"]

    split = operator.post(f"/v1/operator/reports/{second}/split", json={})
    assert split.status_code == 200, split.get_json()
    (after,) = fetch(sa.select(Incident).where(Incident.id == before.id))
    assert (after.created_at, after.first_dispatched_at) == \
        (before.created_at, before.first_dispatched_at)
    counted, rows = figures(rid, start, end)
    assert (counted["merged"], counted["incidents"]) == (0, 2)  # it is its own incident now
    assert (rows["triage"]["count"], rows["triage"]["open"]) == (2, 0)  # triaged once, at merge
    assert (rows["dispatch"]["count"], rows["dispatch"]["open"]) == (1, 1)  # the new one waits
    assert (rows["processing"]["count"], rows["processing"]["p50_s"]) == (1, processing)
    assert rows["answer"]["count"] == 2
