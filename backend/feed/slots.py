"""Live-feed slots: a stream holds a worker thread for up to a minute, so each web process
lets only a few at a time, and a few per user, and phones always keep threads of their own.

Counted per process on purpose: threads are a per-process resource, and a process that
restarts starts with all its slots free (no lease to expire elsewhere).
"""
from __future__ import annotations

import threading
from collections import Counter


class FeedSlots:
    def __init__(self, per_process: int, per_user: int):
        self.per_process, self.per_user = per_process, per_user
        self._lock = threading.Lock()
        self._open: Counter[int] = Counter()

    def acquire(self, user_id: int) -> str | None:
        """Take a slot for `user_id`; None if taken, else why not ('user' or 'server')."""
        with self._lock:
            if self._open[user_id] >= self.per_user:
                return "user"
            if sum(self._open.values()) >= self.per_process:
                return "server"
            self._open[user_id] += 1
            return None

    def release(self, user_id: int) -> None:
        with self._lock:
            self._open[user_id] -= 1
            if self._open[user_id] <= 0:
                del self._open[user_id]

    def in_use(self) -> int:
        with self._lock:
            return sum(self._open.values())
