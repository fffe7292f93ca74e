"""The feed server's hub: one read of the database per process, every stream served from
memory, and never a change skipped — whether a stream is inside the hub's memory, behind it,
or ahead of it, and whatever order transactions commit in."""
from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa

from backend.db import utcnow
from backend.extensions import db
from backend.feed.hub import FeedHub
from backend.feed.models import Change
from backend.feed.service import Cursor, append_changes, change_row
from backend.feed.stream import events
from backend.regencies.models import Regency


@pytest.fixture
def regency_id(app):
    return db.session.scalars(sa.select(Regency.id).order_by(Regency.code)).first()


@pytest.fixture
def hub(app, monkeypatch):
    hub = FeedHub(app, poll_s=0.05, keep=3)
    monkeypatch.setattr(hub, "_start", lambda: None)   # the test drives the poller itself
    return hub


def _add(regency_id, *names):
    append_changes([change_row(regency_id=regency_id, type="test.change", data={"n": n})
                    for n in names])
    db.session.commit()


def _catch_up(hub, regency_id):
    """The hub's poller, driven by the test: read until the hub holds the newest change (on
    PostgreSQL the horizon also waits out other transactions on the same server)."""
    newest = db.session.execute(sa.select(Change.txid, Change.seq).where(
        Change.regency_id == regency_id).order_by(Change.txid.desc(), Change.seq.desc())
        .limit(1)).first()
    db.session.rollback()
    for _ in range(100):
        hub._poll(regency_id)
        regency = hub._regencies[regency_id]
        if regency.ready and (newest is None or regency.head >= Cursor(*newest)):
            return
        time.sleep(0.05)
    raise AssertionError("the hub never caught up")


def _drain(hub, regency_id, cursor):
    seen = []
    while True:
        batch, cursor, more = hub.read(regency_id, cursor)
        seen += batch
        if not more:
            return seen, cursor


def _names(batch):
    return [json.loads(e.data)["data"]["n"] for e in batch]


def test_streams_in_behind_and_ahead_of_the_hubs_memory_each_get_every_change_once(
        app, hub, regency_id):
    _add(regency_id, "old")
    hub.open(regency_id)
    _catch_up(hub, regency_id)                  # first read: where the regency's feed is now
    start = hub._regencies[regency_id].head
    assert hub._regencies[regency_id].ready and start > Cursor()
    _add(regency_id, "a", "b", "c", "d", "e")
    _catch_up(hub, regency_id)                  # one read for every stream of the process
    memory = hub._regencies[regency_id]
    assert _names(memory.events) == ["c", "d", "e"]       # keep=3: the oldest forgotten
    assert memory.base > start

    # Behind the memory: the stream reads the database itself, from its own cursor.
    behind, cursor = _drain(hub, regency_id, start)
    assert _names(behind) == ["a", "b", "c", "d", "e"]
    assert [e.cursor for e in behind] == sorted(e.cursor for e in behind)
    assert cursor == memory.head
    # Inside the memory: from there on, nothing more until something happens.
    inside, _ = _drain(hub, regency_id, behind[2].cursor)   # after "c"
    assert _names(inside) == ["d", "e"]
    assert hub.read(regency_id, cursor)[0] == []
    # Ahead of the hub (resumed from another process that had read further): the stream
    # waits for the hub to reach it, then gets what follows its cursor.
    _add(regency_id, "f", "g")
    f = db.session.execute(sa.select(Change.txid, Change.seq).where(
        Change.data["n"].as_string() == "f")).one()
    ahead = Cursor(f.txid, f.seq)
    assert hub.read(regency_id, ahead)[0] == []
    _catch_up(hub, regency_id)
    assert _names(hub.read(regency_id, ahead)[0]) == ["g"]
    assert _names(hub.read(regency_id, cursor)[0]) == ["f", "g"]

def test_a_waiting_stream_wakes_when_the_hub_reads_a_change_and_not_before(app, hub,
                                                                            regency_id):
    hub.open(regency_id)
    hub._poll(regency_id)
    head = hub._regencies[regency_id].head
    started = time.monotonic()
    hub.wait(regency_id, head, 0.2)             # nothing new: the whole timeout
    assert time.monotonic() - started >= 0.19
    _add(regency_id, "x")

    def poll_soon():
        time.sleep(0.1)
        with app.app_context():
            _catch_up(hub, regency_id)
    poller = threading.Thread(target=poll_soon)
    poller.start()
    started = time.monotonic()
    hub.wait(regency_id, head, 5)
    poller.join()
    assert time.monotonic() - started < 2       # woken by the read, not by the timeout
    assert _names(hub.read(regency_id, head)[0]) == ["x"]


def test_the_same_stream_generator_serves_from_the_hub(app, hub, regency_id):
    hub.open(regency_id)
    hub._poll(regency_id)
    head = hub._regencies[regency_id].head
    _add(regency_id, "one", "two")
    _catch_up(hub, regency_id)
    text = "".join(events(hub, regency_id=regency_id, cursor=head, seconds=0.3,
                          keepalive_s=0.1))
    assert text.startswith("retry: 1000\n\n")
    ids = [line[4:] for line in text.split("\n") if line.startswith("id: ")]
    assert len(ids) == 2 and Cursor.decode(ids[0]) < Cursor.decode(ids[1])
    assert ": keep-alive" in text
    hub.close(regency_id)
    assert hub.streams() == 0


@pytest.mark.postgres_only
def test_the_hub_never_skips_a_change_of_a_transaction_still_running(app, hub, regency_id):
    hub.open(regency_id)
    hub._poll(regency_id)
    head = hub._regencies[regency_id].head
    engine = db.engine

    def insert(conn, n):
        conn.execute(sa.insert(Change.__table__).values(
            regency_id=regency_id, type="test.change", data={"n": n}, created_at=utcnow()))

    with engine.connect() as slow, engine.connect() as fast:
        slow.begin()
        slow.execute(sa.text("SELECT pg_current_xact_id()"))   # slow gets the older xid
        fast.begin()
        insert(fast, "fast")                                    # lower seq, newer xid
        insert(slow, "slow")                                    # higher seq, older xid
        fast.commit()
        hub._poll(regency_id)
        assert hub.read(regency_id, head)[0] == [], "behind an in-flight transaction: wait"
        slow.commit()
    for _ in range(50):  # the horizon also waits out other transactions on the server
        hub._poll(regency_id)
        batch, cursor, _ = hub.read(regency_id, head)
        if batch:
            break
        time.sleep(0.1)
    assert sorted(_names(batch)) == ["fast", "slow"]
    assert hub.read(regency_id, cursor)[0] == []


def test_config_swaps_only_the_wakeup():
    from backend import create_app
    from backend.feed.stream import PollingSource

    def source(**settings):
        app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True, "PUSH_THREAD": False,
                          **settings})
        return app.extensions["siaga.feed_source"]

    assert isinstance(source(), PollingSource)                 # the embedded default
    hub = source(FEED_WAKEUP="hub", FEED_HUB_POLL_MS=100)
    assert isinstance(hub, FeedHub) and hub.poll_s == 0.1
    for wrong in ({"FEED_WAKEUP": "push"}, {"FEED_WAKEUP": "hub", "FEED_HUB_POLL_MS": 0}):
        with pytest.raises(ValueError):
            source(**wrong)


def test_open_feeds_are_counted_for_the_operators_scrape(client, staff):
    from backend.metrics.instruments import FEED_STREAMS
    from tests.helpers import Console

    before = FEED_STREAMS._value.get()
    Console(client, "operator1")
    stream = client.get("/v1/operator/feed", buffered=False)
    assert stream.status_code == 200
    assert FEED_STREAMS._value.get() == before + 1
    stream.close()
    assert FEED_STREAMS._value.get() == before
