"""The synthetic history (backend/history.py), on both databases: deterministic, every
milestone in order on every row, states that agree with the milestones, test traffic marked
and kept apart, the shape the maps and the coverage planner rely on (weak-signal desa wait
longer, far desa are reached later), and a month of it in the demo seed."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.dispatches.models import ACTIVE_DISPATCH, Dispatch
from backend.evaluation.models import EvaluationReport
from backend.extensions import db
from backend.history import Plan, generate, load_context, write_history
from backend.incidents.models import Incident
from backend.regencies.models import Regency
from backend.reports.models import Report
from push.models import PushOutbox
from tests.helpers import fetch

END = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
PLAN = Plan(start=END - timedelta(days=14), end=END, reports_per_day=150, seed=7,
            test_share=0.03)


def tuples(stmt) -> list[tuple]:
    try:
        return [tuple(r) for r in db.session.execute(stmt).all()]
    finally:
        db.session.rollback()


def muba() -> Regency:
    return db.session.scalar(sa.select(Regency).where(Regency.code == "1606"))


def rows_of(plan: Plan) -> dict[str, list[dict]]:
    days, _ = generate(load_context(muba(), seed=plan.seed), plan)
    merged = defaultdict(list)
    for chunk in days:
        for table, rows in chunk.items():
            merged[table].extend(rows)
    db.session.rollback()
    return merged


@pytest.fixture
def written(app, staff):
    totals = write_history(muba(), PLAN)
    db.session.commit()
    return totals


def test_same_seed_same_history_other_seed_other(app, staff):
    first, again = rows_of(PLAN), rows_of(PLAN)
    assert first == again and len(first["reports"]) > 1500
    other = rows_of(Plan(**{**PLAN.__dict__, "seed": 8}))
    assert {t: len(r) for t, r in other.items()} != {t: len(r) for t, r in first.items()}


def test_counts_written_match_the_totals(written):
    real = lambda model: fetch(sa.select(sa.func.count()).select_from(model)  # noqa: E731
                               .where(model.test.is_(False)))[0]
    assert real(Report) == written.reports and real(Incident) == written.incidents
    assert fetch(sa.select(sa.func.count()).select_from(Report).where(
        Report.test.is_(True)))[0] == written.test_reports
    (dispatches,) = fetch(sa.select(sa.func.count()).select_from(Dispatch).join(
        Incident, Incident.id == Dispatch.incident_id).where(Incident.test.is_(False)))
    assert dispatches == written.dispatches
    assert dict(tuples(sa.select(Report.status, sa.func.count()).where(
        Report.test.is_(False)).group_by(Report.status))) == written.by_status
    # 150 a day for 14 days, test share 3 %
    assert 1700 < written.reports + written.test_reports < 2500
    assert 0.015 < written.test_reports / (written.reports + written.test_reports) < 0.05


def test_milestones_in_order_on_every_row(written):
    reports = fetch(sa.select(Report))
    incidents = {i.id: i for i in fetch(sa.select(Incident))}
    dispatches = fetch(sa.select(Dispatch))
    start = PLAN.start - timedelta(hours=1)
    for r in reports:
        chain = [r.captured_at, r.received_at, r.first_viewed_at, r.triaged_at]
        chain = [t for t in chain if t is not None]
        assert chain == sorted(chain) and start <= chain[0] and chain[-1] <= END, r.id
        assert r.updated_at <= END
        assert (r.triaged_at is not None) == (r.status in ("confirmed", "rejected", "merged"))
        assert (r.triaged_by is not None) == (r.triaged_at is not None)
        if r.source == "call":
            assert r.captured_at == r.received_at and r.device_id is None
        if r.status == "confirmed":  # each confirmation opens its own incident
            opened = incidents[r.incident_id]
            assert (opened.created_at, opened.created_by) == (r.triaged_at, r.triaged_by)
        elif r.status == "merged":
            assert incidents[r.incident_id].created_at <= r.triaged_at
            assert r.status_reason.startswith("duplicate of 112-")
        else:
            assert r.incident_id is None
        if r.status == "rejected":
            assert r.status_reason in ("prank", "invalid", "test")
        if r.lat is None:
            assert r.desa_code is None and r.location_source is None
    by_incident = defaultdict(list)
    for d in dispatches:
        by_incident[d.incident_id].append(d)
        chain = [t for t in (d.created_at, d.acknowledged_at, d.en_route_at, d.on_scene_at,
                             d.completed_at) if t is not None]
        assert chain == sorted(chain) and chain[-1] <= END and d.updated_at <= END, d.id
        expected = {"completed": 5, "on_scene": 4, "en_route": 3, "acknowledged": 2}
        if d.status in expected:
            assert len(chain) == expected[d.status], d.id
        if d.status in ("timed_out", "declined"):
            assert d.acknowledged_at is None and d.needs_attention
        if d.status == "timed_out":
            assert d.updated_at == d.ack_deadline
        assert d.acknowledged_at is None or d.acknowledged_at < d.ack_deadline
    for i in incidents.values():
        chain = [t for t in (i.created_at, i.first_dispatched_at, i.first_acknowledged_at,
                             i.first_on_scene_at) if t is not None]
        assert chain == sorted(chain), i.id
        assert i.resolved_at is None or i.resolved_at >= chain[-1]
        assert i.closed_at is None or (i.resolved_at and i.closed_at >= i.resolved_at)
        own = by_incident[i.id]
        assert i.first_dispatched_at == min((d.created_at for d in own), default=None)
        assert i.first_acknowledged_at == min(
            (d.acknowledged_at for d in own if d.acknowledged_at), default=None)
        assert i.first_on_scene_at == min(
            (d.on_scene_at for d in own if d.on_scene_at), default=None)
        if i.status == "closed":
            assert i.closed_at and not any(d.status in ACTIVE_DISPATCH for d in own)
        if i.status == "open":
            assert not own and i.resolved_at is None
        if i.test:
            assert not own  # test traffic never moves a unit
    # One open dispatch per unit (invariant 8), and units never on two jobs at once.
    active = Counter(d.unit_id for d in dispatches if d.status in ACTIVE_DISPATCH)
    assert active and max(active.values()) == 1
    # Every shape the KPI pages count shows up.
    statuses = Counter(r.status for r in reports)
    assert {"confirmed", "rejected", "merged", "cancelled"} <= set(statuses)
    assert Counter(d.status for d in dispatches)["timed_out"] > 0
    assert Counter(d.status for d in dispatches)["declined"] > 0
    assert any(r.silent for r in reports) and any(r.lat is None for r in reports)
    assert any(i.first_dispatched_at is None and i.status == "closed"
               for i in incidents.values())  # settled on the phone, never dispatched
    escalated = [ds for ds in by_incident.values()
                 if any(d.status == "timed_out" for d in ds) and len(ds) > 1]
    assert escalated
    (undelivered,) = fetch(sa.select(sa.func.count()).select_from(PushOutbox).where(
        PushOutbox.status.in_(("failed", "dropped"))))
    assert undelivered > 0


def test_weak_signal_desa_wait_longer_and_far_desa_are_reached_later(written):
    ctx = load_context(muba(), seed=PLAN.seed)
    db.session.rollback()
    weak, km = ctx.weak_codes, {d.code: d.km_to_post for d in ctx.desa}
    delays = defaultdict(list)
    for desa, captured, received in tuples(
            sa.select(Report.desa_code, Report.captured_at, Report.received_at).where(
                Report.source == "app", Report.desa_code.is_not(None))):
        delays[desa in weak].append((received - captured).total_seconds())
    assert delays[True] and delays[False]
    assert statistics.median(delays[True]) > 20 * statistics.median(delays[False])
    travel = defaultdict(list)
    for desa, ack, scene in tuples(
            sa.select(Incident.desa_code, Dispatch.acknowledged_at, Dispatch.on_scene_at)
            .join(Incident, Incident.id == Dispatch.incident_id)
            .where(Dispatch.on_scene_at.is_not(None))):
        travel[km[desa] > 25].append((scene - ack).total_seconds())
    assert statistics.median(travel[True]) > 2 * statistics.median(travel[False])
    # More reports where more people live: the town centres outweigh remote desa.
    per_desa = Counter(code for (code,) in db.session.execute(
        sa.select(Report.desa_code).where(Report.desa_code.is_not(None))))
    db.session.rollback()
    near = [per_desa[c] for c, k in km.items() if k < 5]
    far = [per_desa[c] for c, k in km.items() if k > 40]
    assert statistics.mean(near) > 5 * statistics.mean(far)


def test_demo_seed_holds_a_month_once(app, staff):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "demo history" in result.output
    ((first, last, total),) = tuples(sa.select(sa.func.min(Report.received_at),
                                           sa.func.max(Report.received_at),
                                           sa.func.count()).where(Report.test.is_(False)))
    now = datetime.now(timezone.utc)
    assert now - last < timedelta(hours=2) and timedelta(days=29) < now - first < \
        timedelta(days=31)
    assert 50 * 30 <= total <= 300 * 30
    ((incidents, closed),) = tuples(sa.select(sa.func.count(), sa.func.count().filter(
        Incident.status == "closed")))
    assert incidents > 500 and closed > 0.9 * incidents
    # Laporan evaluasi is not empty on first start: a stored report over the demo history.
    (stored,) = fetch(sa.select(EvaluationReport).options(
        sa.orm.undefer(EvaluationReport.figures)))
    assert stored.period_kind == "range" and stored.pdf_size > 10_000
    real = fetch(sa.select(sa.func.count()).select_from(Incident).where(
        Incident.test.is_(False)))[0]
    assert stored.figures["summary"]["incidents"] == real  # test traffic is not counted
    assert stored.period_start <= first and stored.period_end >= last
    again = runner.invoke(args=["seed", "--demo"])
    assert again.exit_code == 0 and "demo history" not in again.output
    assert len(fetch(sa.select(EvaluationReport))) == 1
    assert fetch(sa.select(sa.func.count()).select_from(Report).where(
        Report.test.is_(False)))[0] == total
