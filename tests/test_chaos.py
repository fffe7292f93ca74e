"""A small configuration of the chaos matrix (./dev chaos runs the full one): the real stack,
private PostgreSQL and Redis, faults mid-run; nothing lost, nothing twice, every committed
alert delivered or visibly failed."""
from __future__ import annotations

from bench.chaos import run, table


def test_faults_mid_run_lose_nothing_and_duplicate_nothing():
    # Redis last: once, a run here found two alerts of the row after a Redis restart still
    # unclaimed after 120 s (not reproduced since; ./dev chaos runs that order) — open issue.
    results = run(faults=("worker_kill", "postgres_restart", "fcm_storm", "redis_down"),
                  phones=10, dispatches=2, seed=7)
    print("\n" + table(results))
    for result in results:
        assert result.sent > 0 and result.stored == result.sent, result
        assert result.lost == 0 and result.duplicated == 0, result
        assert result.alerts_committed == 2, result           # the operator's two dispatches
        assert result.alerts_unsettled == 0, result            # delivered or visibly failed
        assert result.alerts_delivered + result.alerts_failed_visibly == 2, result
