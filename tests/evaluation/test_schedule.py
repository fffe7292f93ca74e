"""The monthly schedule generates each period once: twice in a row is a no-op, an early
on-demand report is completed after its month ends, and the RQ job (real Redis, SimpleWorker)
run twice stores one report and books the next run at the next month's start."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from backend.evaluation import service
from backend.evaluation.models import EvaluationReport
from backend.extensions import db
from backend.regencies.models import Regency
from push import jobs
from tests.evaluation.month import build_month
from tests.push.conftest import make_push_app, redis_url  # noqa: F401  (fixture)

DECEMBER_1 = datetime(2026, 12, 1, 0, 30, tzinfo=timezone.utc)  # 07:30 WIB


def stored() -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return [(r.regency_id, r.period_kind, r.generated_via) for r in db.session.scalars(
        sa.select(EvaluationReport).order_by(EvaluationReport.regency_id))]


def events(action: str) -> int:
    return db.session.scalar(sa.text(
        "SELECT count(*) FROM audit_events WHERE action = :a"), {"a": action})


def test_the_schedule_generates_each_regencys_previous_month_once(app, staff):
    build_month(staff)
    first = service.generate_due(now=DECEMBER_1)
    db.session.commit()
    assert sorted(r.figures["period"]["label"] for r in first) == ["2026-11", "2026-11"]
    assert first[0].figures["summary"]["reports"] == 10  # Musi Banyuasin's month
    assert service.generate_due(now=DECEMBER_1) == []  # the second run: nothing to do
    db.session.commit()
    assert len(stored()) == 2 and {via for *_, via in stored()} == {"scheduler"}
    assert events("evaluation.generated") == 2 and events("evaluation.regenerated") == 0


def test_an_early_report_is_completed_once_its_month_has_ended(app, staff):
    build_month(staff)
    regency = db.session.scalar(sa.select(Regency).where(Regency.code == "1606"))
    november = service.month_period(regency=regency, month="2026-11")
    early, _ = service.generate_report(regency=regency, period=november, actor=None, via="cli")
    early.generated_at = datetime(2026, 11, 20, tzinfo=timezone.utc)  # before the month ended
    db.session.commit()
    done = service.generate_due(now=DECEMBER_1)
    db.session.commit()
    assert [r.regency_id for r in done] == sorted({regency.id, done[-1].regency_id})
    assert done[0].id == early.id and done[0].generated_via == "scheduler"
    assert service.generate_due(now=DECEMBER_1) == []


def test_the_rq_job_runs_once_per_period_and_books_the_next_month(app, staff, db_backend,
                                                                 redis_url):
    build_month(staff)
    rq_app = make_push_app(db_backend, REDIS_URL=redis_url)
    with rq_app.app_context():
        runtime = rq_app.extensions["siaga.push"]
        for _ in range(2):  # e.g. two workers' hourly checks
            runtime.queue.enqueue(jobs.evaluation_job)
        SimpleWorker([runtime.queue], connection=runtime.redis).work(burst=True)
        registry = ScheduledJobRegistry(queue=runtime.queue)
        assert registry.get_job_ids() == [jobs.EVALUATION_JOB_ID]  # one booking
        booked = registry.get_scheduled_time(jobs.EVALUATION_JOB_ID)
        db.session.remove()
    expected = service.next_month_start()
    assert booked.replace(tzinfo=timezone.utc) == expected.replace(microsecond=0) or \
        abs((booked.replace(tzinfo=timezone.utc) - expected).total_seconds()) < 1
    assert expected.astimezone(service._tz(db.session.scalar(sa.select(Regency)))).day == 1
    # Today's previous month, once per regency, whatever the number of runs.
    reports = stored()
    assert len(reports) == 2 and {kind for _, kind, _ in reports} == {"month"}
    assert events("evaluation.generated") == 2 and events("evaluation.regenerated") == 0
