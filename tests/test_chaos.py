"""A small configuration of the chaos matrix (./dev chaos runs the full one): the real stack,
private PostgreSQL and Redis, faults mid-run; nothing lost, nothing twice, every committed
alert delivered or visibly failed."""
from __future__ import annotations

from bench.chaos import run, table


def test_faults_mid_run_lose_nothing_and_duplicate_nothing():
    # Redis not last, on purpose: the fault after it shows that the worker came back by
    # itself (an outage used to end rq's work loop or its scheduler: push/worker.py,
    # tests/push/test_worker_recovery.py).
    results = run(faults=("worker_kill", "postgres_restart", "redis_down", "fcm_storm"),
                  phones=10, dispatches=2, seed=7)
    print("\n" + table(results))
    for result in results:
        assert result.sent > 0 and result.stored == result.sent, result
        assert result.lost == 0 and result.duplicated == 0, result
        assert result.alerts_committed == 2, result           # the operator's two dispatches
        assert result.alerts_unsettled == 0, result            # delivered or visibly failed
        assert result.alerts_delivered + result.alerts_failed_visibly == 2, result


def test_sms_gateway_down_mid_run_loses_no_sms_and_stores_nothing_twice():
    # A third of the phones also send their SOS as S1 SMS through the gateway stand-in,
    # which is stopped mid-run (inbound waits at the gateway, replies are retried).
    (result,) = run(faults=("sms_gateway_down",), phones=9, dispatches=1, seed=7)
    print("\n" + table([result]))
    assert result.sent > 0 and result.stored == result.sent, result
    assert result.lost == 0 and result.duplicated == 0, result      # SMS + sync: once
    assert result.sms_in > 0 and result.sms_replied == result.sms_in, result
    assert result.sms_replies_lost == 0 and result.sms_replies_duplicated == 0, result
    # The fault struck both ways: SMS waited at the gateway, replies needed retries.
    assert result.sms_waited > 0 and result.sms_retried > 0, result
    assert not result.notes, result


def test_gammu_smsd_stopped_mid_run_loses_no_sms_and_stores_nothing_twice():
    # The production gateway: the real gammu-smsd (dummy phone) stopped mid-run. SMS that
    # reach the modem meanwhile wait in it; replies wait in its outbox; both go when it runs.
    (result,) = run(faults=("gammu_stopped",), phones=9, dispatches=1, seed=11)
    print("\n" + table([result]))
    assert result.sent > 0 and result.stored == result.sent, result
    assert result.lost == 0 and result.duplicated == 0, result
    assert result.sms_in > 0 and result.sms_replied == result.sms_in, result
    assert result.sms_replies_lost == 0 and result.sms_replies_duplicated == 0, result
    assert result.sms_waited > 0 and not result.notes, result
