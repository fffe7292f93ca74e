"""Both counter drivers behave alike: in memory (embedded) and real Redis (production)."""
import time
import uuid

import pytest

from backend.ratelimit import MemoryCounter, RedisCounter

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
def counter(request):
    return MemoryCounter() if request.param == "memory" else RedisCounter(REDIS_URL)


def test_counts_within_the_window_and_resets(counter):
    key = f"test:{uuid.uuid4()}"
    assert counter.count(key) == 0
    assert [counter.increment(key, 60) for _ in range(3)] == [1, 2, 3]
    assert counter.count(key) == 3
    counter.reset(key)
    assert counter.count(key) == 0


def test_window_expires(counter):
    key = f"test:{uuid.uuid4()}"
    counter.increment(key, 1)
    assert counter.count(key) == 1
    time.sleep(1.1)
    assert counter.count(key) == 0
    assert counter.increment(key, 1) == 1


def test_redis_counter_fails_open_when_redis_is_down():
    counter = RedisCounter("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert counter.count("k") == 0 and counter.increment("k", 60) == 0
    counter.reset("k")
