"""One database poller per process, fanning the regency feed out to every open stream.

The feed server (gunicorn.feed.conf.py: gevent worker, FEED_WAKEUP=hub) holds hundreds of
console feeds in one process. Were each stream to poll the database as the embedded profile
does, 300 feeds would be 600 queries a second doing nothing; here one poller thread reads
each followed regency with read_changes() — the cursor rule that never skips a change — every
FEED_HUB_POLL_MS, keeps the newest changes in memory (already encoded once) and wakes the
streams waiting on them.

Why a stream served from memory never misses a change: the hub's memory for a regency holds
every change after `base` up to `head` in feed order (it only ever appends what read_changes
returned from its own cursor, and when it forgets the oldest it moves `base` past them). A
stream at cursor c >= base therefore finds in memory exactly the changes after c up to head;
a stream at c < base (resumed after a long gap, or opened before the hub knew the regency)
reads the database itself until it reaches base. Nothing else is cached: the hub never
decides what a user may see — the view checked that before the stream began.
"""
from __future__ import annotations

import bisect
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from backend.extensions import db
from backend.feed.service import Cursor, feed_head, read_changes
from backend.feed.stream import PAGE, Event, read_from_database, to_events

log = logging.getLogger(__name__)


@dataclass
class _Regency:
    streams: int = 0
    ready: bool = False          # base/head known (after the hub's first read)
    base: Cursor = Cursor()      # memory holds every change after base …
    head: Cursor = Cursor()      # … up to head
    events: list[Event] = field(default_factory=list)
    keys: list[Cursor] = field(default_factory=list)


class FeedHub:
    def __init__(self, app, *, poll_s: float, keep: int = 2000):
        self.app, self.poll_s, self.keep = app, poll_s, keep
        self._changed = threading.Condition()
        self._regencies: dict[int, _Regency] = {}
        self._poller: threading.Thread | None = None
        self._pid: int | None = None
        self.polls = 0           # reads the poller made (tests, bench)

    # ------------------------------------------------------------------ streams' side

    def open(self, regency_id: int) -> None:
        with self._changed:
            self._regencies.setdefault(regency_id, _Regency()).streams += 1
            self._start()

    def close(self, regency_id: int) -> None:
        with self._changed:
            regency = self._regencies.get(regency_id)
            if regency is not None:
                regency.streams -= 1  # followed while anyone is; forgotten by the poller

    def read(self, regency_id: int, cursor: Cursor) -> tuple[list[Event], Cursor, bool]:
        with self._changed:
            regency = self._regencies.get(regency_id)
            if regency is not None and regency.ready and cursor >= regency.base:
                start = bisect.bisect_right(regency.keys, cursor)
                batch = regency.events[start:start + PAGE]
                more = start + PAGE < len(regency.events)
                return batch, (batch[-1].cursor if batch else cursor), more
        return read_from_database(regency_id, cursor)  # behind the hub's memory

    def wait(self, regency_id: int, cursor: Cursor, timeout: float) -> None:
        with self._changed:
            regency = self._regencies.get(regency_id)
            if regency is None:
                return
            self._changed.wait_for(lambda: regency.ready and regency.head > cursor, timeout)

    def streams(self) -> int:
        with self._changed:
            return sum(r.streams for r in self._regencies.values())

    # ------------------------------------------------------------------ the poller

    def _start(self) -> None:
        # Started by the first stream of each process (never before gunicorn forks).
        if self._pid == os.getpid() and self._poller is not None and self._poller.is_alive():
            return
        self._pid = os.getpid()
        self._poller = threading.Thread(target=self._run, name="feed-hub", daemon=True)
        self._poller.start()

    def _run(self) -> None:
        with self.app.app_context():
            while True:
                with self._changed:
                    for regency_id in [r for r, s in self._regencies.items() if s.streams <= 0]:
                        del self._regencies[regency_id]
                    followed = list(self._regencies)
                for regency_id in followed:
                    try:
                        self._poll(regency_id)
                    except Exception:  # the database is away: streams keep their keep-alives
                        log.exception("feed hub: reading regency %s failed", regency_id)
                    finally:
                        db.session.remove()
                time.sleep(self.poll_s)

    def _poll(self, regency_id: int) -> None:
        with self._changed:
            regency = self._regencies.get(regency_id)
            if regency is None:
                return
            ready, head = regency.ready, regency.head
        if not ready:
            head = feed_head(regency_id=regency_id)
            self.polls += 1
            with self._changed:
                regency.base = regency.head = head
                regency.ready = True
                self._changed.notify_all()
            return
        more = True
        while more:
            changes, after, more = read_changes(regency_id=regency_id, cursor=head, limit=500)
            db.session.rollback()
            self.polls += 1
            if not changes:
                return
            new = to_events(changes)   # encoded once for every stream
            with self._changed:
                regency.events.extend(new)
                regency.keys.extend(e.cursor for e in new)
                regency.head = head = after
                if len(regency.events) > self.keep:
                    drop = len(regency.events) - self.keep
                    regency.base = regency.keys[drop - 1]
                    del regency.events[:drop], regency.keys[:drop]
                self._changed.notify_all()
