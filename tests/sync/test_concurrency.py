"""Races the field produces: the same batch arriving twice at once (a phone retrying on a
flaky link), and change-feed transactions committing out of sequence order."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from backend.db import utcnow
from backend.devices.models import Device
from backend.extensions import db
from backend.feed.models import Change
from sync.apply import apply_ops
from sync.clock import make_clock
from tests.helpers import count, create_op, fetch, register, sync


def test_concurrent_retries_of_the_same_ops_store_each_report_once(app, client):
    """Connection A has applied the batch but not committed when B's retry arrives."""
    key = register(client)
    ops = [create_op() for _ in range(5)]
    device_id = fetch(sa.select(Device))[0].id
    applied, release, a_results = threading.Event(), threading.Event(), []

    def connection_a():
        with app.app_context():
            device = db.session.get(Device, device_id)
            now = utcnow()
            clock = make_clock(received_at=now, device_time=now, flag_after_s=300)
            a_results.extend(apply_ops(device=device, ops=ops, clock=clock))
            applied.set()
            release.wait(10)
            db.session.commit()

    b_response = []
    a = threading.Thread(target=connection_a)
    a.start()
    assert applied.wait(10)
    b = threading.Thread(target=lambda: b_response.append(
        sync(app.test_client(), key, ops)))
    b.start()
    time.sleep(0.5)
    assert b.is_alive(), "B must wait for A (unique index on PostgreSQL, write lock on SQLite)"
    release.set()
    a.join(10)
    b.join(10)
    assert [r["status"] for r in a_results] == ["applied"] * 5
    b_results = b_response[0].get_json()["results"]
    assert [r["status"] for r in b_results] == ["duplicate"] * 5
    assert [r["ref"] for r in b_results] == [r["ref"] for r in a_results]
    assert count("reports") == 5 and count("sync_ops") == 5


def test_many_simultaneous_retries_never_duplicate(app):
    clients = [app.test_client() for _ in range(4)]
    key = register(clients[0])
    batches = [[create_op() for _ in range(20)] for _ in range(5)]
    for ops in batches:
        barrier, responses = threading.Barrier(len(clients)), []

        def send(c, ops=ops, barrier=barrier, responses=responses):
            barrier.wait()
            responses.append(sync(c, key, ops))

        threads = [threading.Thread(target=send, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert all(r.status_code == 200 for r in responses)
        statuses = [r.get_json()["results"][i]["status"] for r in responses for i in range(20)]
        assert statuses.count("applied") == 20
        assert statuses.count("duplicate") == 20 * (len(clients) - 1)
    assert count("reports") == 100


def _pull_all(client, key, cursor=None):
    body = sync(client, key, cursor=cursor).get_json()
    return body["changes"], body["cursor"]


def _insert_change(conn, device, n):
    conn.execute(sa.insert(Change.__table__).values(
        regency_id=device.regency_id, device_id=device.id, type="test.change",
        data={"n": n}, created_at=utcnow()))


@pytest.mark.postgres_only
@pytest.mark.parametrize("xid_order", ["same_as_seq", "reverse_of_seq"])
def test_cursor_never_skips_when_transactions_commit_out_of_order(app, client, xid_order):
    key = register(client)
    device = fetch(sa.select(Device))[0]
    engine = db.engine
    with engine.connect() as slow, engine.connect() as fast:
        slow.begin()
        if xid_order == "reverse_of_seq":
            slow.execute(sa.text("SELECT pg_current_xact_id()"))  # slow gets the older xid
            fast.begin()
            _insert_change(fast, device, "fast")                  # lower seq, newer xid
            _insert_change(slow, device, "slow")                  # higher seq, older xid
        else:
            _insert_change(slow, device, "slow")                  # lower seq, older xid
            fast.begin()
            _insert_change(fast, device, "fast")
        fast.commit()

        # A naive `seq > cursor` reader would now hand out "fast" and move past "slow".
        visible = fetch(sa.select(Change))
        assert [c.data["n"] for c in visible] == ["fast"]
        first, cursor = _pull_all(client, key)
        assert first == [], "a change behind an in-flight transaction must wait"

        slow.commit()
    second, cursor = _pull_all(client, key, cursor)
    assert sorted(c["data"]["n"] for c in second) == ["fast", "slow"]
    third, _ = _pull_all(client, key, cursor)
    assert third == []


def test_pull_pages_through_changes_with_has_more(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_PAGE_SIZE", 2)
    key = register(client)
    sync(client, key, [create_op() for _ in range(5)])
    seen, cursor, pages = [], None, []
    while True:
        body = sync(client, key, cursor=cursor).get_json()
        seen += [c["data"]["report"] for c in body["changes"]]
        pages.append((len(body["changes"]), body["has_more"]))
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert pages == [(2, True), (2, True), (1, False)]
    assert seen == [f"R-{i:06d}" for i in range(1, 6)]
    again = sync(client, key, cursor=cursor).get_json()
    assert again["changes"] == [] and again["cursor"] == cursor


def test_a_device_pulls_only_its_own_changes(client):
    mine, theirs = register(client), register(client)
    sync(client, mine, [create_op()])
    sync(client, theirs, [create_op(), create_op()])
    changes = sync(client, mine).get_json()["changes"]
    assert [c["data"]["report"] for c in changes] == ["R-000001"]


def test_a_device_sees_only_its_own_reports(client):
    mine, theirs = register(client), register(client)
    sync(client, mine, [create_op()])
    sync(client, theirs, [create_op(category="riot")])
    auth = {"Authorization": f"Bearer {mine}"}
    listed = client.get("/v1/reports", headers=auth).get_json()["reports"]
    assert [r["ref"] for r in listed] == ["R-000001"]
    assert client.get("/v1/reports/R-000001", headers=auth).status_code == 200
    other = client.get("/v1/reports/R-000002", headers=auth)
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "report_not_found"
