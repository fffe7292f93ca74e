"""The disaster surge in a small configuration (./dev bench surge runs 5,000 phones within
60 s): reference-client phones with 1–3 queued SOS each arrive faster than one gunicorn
worker can serve them, on a private PostgreSQL; the server sheds with 503 + Retry-After, the
phones come back as the protocol says, and every report is stored exactly once, every queue
empties, and no request takes longer than the bound."""
from __future__ import annotations

from bench.surge import run

BOUND_S = 5.0


def test_a_surge_beyond_capacity_is_shed_retried_and_stored_exactly_once():
    result = run(phones=300, window_s=1.0, baseline_s=0, seed=7, deadline_s=120,
                 WEB_WORKERS=1, WEB_THREADS=4, OVERLOAD_QUEUE_WAIT_MS=50,
                 OVERLOAD_RETRY_AFTER_MIN_S=1, OVERLOAD_RETRY_AFTER_MAX_S=3)
    print("\n" + result.table(BOUND_S))
    statuses = result.statuses
    assert result.reports >= 300 and result.stored == result.reports, result.table(BOUND_S)
    assert result.lost == 0 and result.duplicated == 0
    assert result.phones_left == 0 and result.not_applied == 0 and not result.failed
    assert statuses[503] > 0                                   # the surge was shed …
    assert sum(result.server_shed.values()) == statuses[503]   # … by the overload guard only
    assert set(statuses) <= {200, 503}                         # no timeout, no error
    assert result.max_latency <= BOUND_S
    assert result.ok(BOUND_S)
