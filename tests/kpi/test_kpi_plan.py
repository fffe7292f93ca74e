"""The month's figures read a month, not the history: on PostgreSQL, over a year of synthetic
history (backend/history.py), the planner reads each subject of a month's KPI through its
(regency, time) index — never a sequential scan of reports, incidents or dispatches — and the
statements the KPI service really runs (backend/kpi/queries.py, every grouping) are index-only
scans of the covering indexes (migration 0014_kpi_speed): no heap, no search of each
incident's reports. This is what keeps `./dev bench kpi` (1M reports) within its target as the
tables grow."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.history import Plan, write_history
from backend.kpi import queries
from backend.incidents.models import Incident
from backend.regencies.models import Regency
from backend.reports.models import Report

END = datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc)
MONTH = (datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc),   # October, WIB
         datetime(2026, 10, 31, 17, 0, tzinfo=timezone.utc))


def plan_of(statement) -> dict:
    compiled = statement.compile(dialect=db.engine.dialect,
                                 compile_kwargs={"literal_binds": True})
    (doc,) = db.session.execute(sa.text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar()
    return doc["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def scans(plan: dict) -> dict[str, set[str]]:
    """relation → how it is read (node types), and the indexes used."""
    found: dict[str, set[str]] = {}
    for node in nodes(plan):
        if "Relation Name" in node:
            found.setdefault(node["Relation Name"], set()).add(node["Node Type"])
        if "Index Name" in node:
            found.setdefault("indexes", set()).add(node["Index Name"])
    return found


@pytest.fixture
def year(app, staff):
    regency = db.session.scalar(sa.select(Regency).where(Regency.code == "1606"))
    write_history(regency, Plan(start=END - timedelta(days=365), end=END, reports_per_day=60,
                                seed=3))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # VACUUM as autovacuum would have: the visibility map lets index-only scans skip the heap.
        conn.execute(sa.text("VACUUM ANALYZE reports, incidents, dispatches"))
    return regency.id


@pytest.mark.postgres_only
def test_a_month_of_reports_is_read_by_its_index(year):
    start, end = MONTH
    statement = sa.select(Report.received_at, Report.captured_at, Report.first_viewed_at,
                          Report.triaged_at, Report.source, Report.category).where(
        Report.regency_id == year, Report.received_at >= start, Report.received_at < end,
        Report.test.is_(False))
    found = scans(plan_of(statement))
    assert "Seq Scan" not in found["reports"], json.dumps(plan_of(statement), indent=1)
    assert "ix_reports_regency_received" in found["indexes"]
    # Sanity of the fixture: a month is about a twelfth of the year.
    total, month = db.session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(Report.received_at >= start,
                                                Report.received_at < end))).one()
    assert 0.06 < month / total < 0.11


@pytest.mark.postgres_only
def test_a_month_of_incidents_and_dispatches_is_read_by_their_indexes(year):
    start, end = MONTH
    incidents = sa.select(Incident.created_at, Incident.first_dispatched_at,
                          Incident.first_on_scene_at, Incident.category).where(
        Incident.regency_id == year, Incident.created_at >= start, Incident.created_at < end,
        Incident.test.is_(False))
    found = scans(plan_of(incidents))
    assert "Seq Scan" not in found["incidents"]
    assert "ix_incidents_regency_created" in found["indexes"]
    dispatches = sa.select(Dispatch.created_at, Dispatch.acknowledged_at, Dispatch.on_scene_at,
                           Dispatch.completed_at, Incident.category).join(
        Incident, Incident.id == Dispatch.incident_id).where(
        Dispatch.regency_id == year, Dispatch.created_at >= start, Dispatch.created_at < end,
        Incident.test.is_(False))
    found = scans(plan_of(dispatches))
    assert "Seq Scan" not in found["dispatches"]
    assert "ix_dispatches_regency_created" in found["indexes"]


COVERING = {"reports": "ix_reports_regency_received",
            "incidents": "ix_incidents_regency_created",
            "dispatches": "ix_dispatches_regency_created"}


def assert_index_only(plan: dict, relations: set[str], index: str) -> None:
    found, shown = scans(plan), json.dumps(plan, indent=1)
    for relation in relations:  # no heap scan of any kind
        assert found[relation] == {"Index Only Scan"}, shown
    assert index in found["indexes"], shown
    # No subplan searching each incident's reports (the stamp replaced it).
    assert "reports" not in found or relations == {"reports"}, shown
    assert not any(n.get("Parent Relationship") == "SubPlan" for n in nodes(plan)), shown


@pytest.mark.postgres_only
@pytest.mark.parametrize("group_by", [None, "desa", "channel", "category", "operator"])
def test_the_service_statements_are_index_only(year, group_by):
    start, end = MONTH
    assert_index_only(plan_of(queries.reports_statement(year, start, end, group_by)),
                      {"reports"}, "ix_reports_regency_received")
    assert_index_only(plan_of(queries.incidents_statement(year, start, end, group_by)),
                      {"incidents"}, "ix_incidents_regency_created")
    dispatches = queries.dispatches_statement(year, start, end, group_by)
    found = scans(plan_of(dispatches))
    assert found["dispatches"] == {"Index Only Scan"}
    assert "ix_dispatches_regency_created" in found["indexes"]
    # A dispatch's incident (category, test, group key): at this test's size the planner may
    # hash a scan of all incidents; at the bench's 600 000 it looks each up by id. Either way
    # the lookup needs no heap: with whole-table scans priced out, it is index-only.
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
    assert_index_only(plan_of(dispatches), {"dispatches", "incidents"},
                      "ix_incidents_id_facts")
