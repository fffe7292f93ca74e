"""The live feed as a stream of server-sent events: one generator, two ways to learn of news.

`events()` is the only stream there is. What it asks of its source is to read the changes
after a cursor and to wait until there may be more; config (FEED_WAKEUP) picks the source:

- `PollingSource` ("poll", the embedded default): each stream reads the database itself
  every FEED_POLL_S. Simple, no thread of its own; fine for a handful of consoles.
- `FeedHub` ("hub", the feed server, backend/feed/hub.py): ONE poller per process reads each
  followed regency's new changes once and every stream of that process takes them from
  memory, woken the moment they arrive. A stream whose cursor is older than the hub's memory
  reads the database itself (the same read_changes) until it has caught up.

Both read through read_changes(), so the cursor rule (txid, seq, below the horizon: never
skip a change) is the same whichever serves the stream.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Iterator, Protocol

from backend.extensions import db
from backend.feed.service import Cursor, read_changes

FEED_SECONDS = 55     # a stream ends before proxies time out; EventSource reconnects itself
# A closed browser is noticed only when a write fails: a comment every few seconds frees its
# thread and its feed slot soon after (a reload must not lock the operator out of the feed).
KEEPALIVE_S = 5
PAGE = 200            # most changes one read hands a stream


@dataclass(frozen=True)
class Event:
    """One change as the feed sends it: its cursor (the SSE id) and its JSON text."""
    cursor: Cursor
    data: str


def to_events(changes) -> list[Event]:
    return [Event(Cursor(c.txid, c.seq),
                  json.dumps({"id": c.seq, "type": c.type, "data": c.data})) for c in changes]


def read_from_database(regency_id: int, cursor: Cursor) -> tuple[list[Event], Cursor, bool]:
    changes, cursor, more = read_changes(regency_id=regency_id, cursor=cursor, limit=PAGE)
    db.session.rollback()  # end the read: release SQLite's lock, PostgreSQL's snapshot
    return to_events(changes), cursor, more


class Source(Protocol):
    def open(self, regency_id: int) -> None: ...
    def close(self, regency_id: int) -> None: ...
    def read(self, regency_id: int, cursor: Cursor) -> tuple[list[Event], Cursor, bool]: ...
    def wait(self, regency_id: int, cursor: Cursor, timeout: float) -> None: ...


class PollingSource:
    """Every stream reads the database itself, every `poll_s` seconds."""

    def __init__(self, poll_s: float):
        self.poll_s = poll_s

    def open(self, regency_id: int) -> None:
        pass

    def close(self, regency_id: int) -> None:
        pass

    def read(self, regency_id, cursor):
        return read_from_database(regency_id, cursor)

    def wait(self, regency_id, cursor, timeout):
        time.sleep(max(0.0, min(self.poll_s, timeout)))


FEED_POLL_S = 0.5      # FEED_WAKEUP=poll: how often each stream reads the database


def feed_source(app) -> Source:
    """The source FEED_WAKEUP names (one per app; the hub starts its poller on first use)."""
    wakeup = app.config["FEED_WAKEUP"]
    if wakeup == "poll":
        return PollingSource(FEED_POLL_S)
    if wakeup == "hub":
        from backend.feed.hub import FeedHub

        poll_ms = app.config["FEED_HUB_POLL_MS"]
        if not 10 <= poll_ms <= 5000:
            raise ValueError(f"FEED_HUB_POLL_MS must be 10–5000 ms, not {poll_ms}")
        return FeedHub(app, poll_s=poll_ms / 1000)
    raise ValueError(f"FEED_WAKEUP must be 'poll' or 'hub', not {wakeup!r}")


def events(source: Source, *, regency_id: int, cursor: Cursor, seconds: float = FEED_SECONDS,
           keepalive_s: float = KEEPALIVE_S) -> Iterator[str]:
    """The regency's changes after `cursor` as SSE text, for `seconds`; each event's id is the
    cursor just after it (Last-Event-ID resumes there)."""
    now = time.monotonic()
    deadline, last_sent = now + seconds, now
    yield "retry: 1000\n\n"
    while time.monotonic() < deadline:
        batch, cursor, more = source.read(regency_id, cursor)
        if batch:  # one write for what one read found: hundreds of streams, fewer sends
            yield "".join(f"id: {event.cursor.encode()}\nevent: change\ndata: {event.data}\n\n"
                          for event in batch)
        now = time.monotonic()
        if batch:
            last_sent = now
        elif now - last_sent >= keepalive_s:
            yield ": keep-alive\n\n"
            last_sent = now
        if not more:
            source.wait(regency_id, cursor,
                        max(0.0, min(deadline, last_sent + keepalive_s) - time.monotonic()))
