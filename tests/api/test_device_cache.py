"""The identity cache of the hot path: a citizen's sync resolves its device without a query,
and a key revoked by another worker is refused after at most DEVICE_CACHE_SECONDS."""
from __future__ import annotations

import sqlalchemy as sa

from backend.devices.models import Device
from backend.extensions import db
from tests.helpers import create_op, register, sync


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _device_selects(app, client, key) -> tuple[int, int]:
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        status = sync(client, key).status_code
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return status, sum("FROM devices" in s for s in seen)


def test_a_warm_sync_resolves_its_device_without_a_query(app, client, monkeypatch):
    monkeypatch.setattr(app.extensions["siaga.device_cache"], "clock", Clock())
    key = register(client)
    assert _device_selects(app, client, key) == (200, 1)  # the first one loads it
    assert _device_selects(app, client, key) == (200, 0)
    assert sync(client, key, [create_op()]).get_json()["results"][0]["status"] == "applied"


def test_a_key_revoked_by_another_worker_is_refused_after_at_most_the_cache_time(
        app, client, monkeypatch):
    clock = Clock()
    cache = app.extensions["siaga.device_cache"]
    monkeypatch.setattr(cache, "clock", clock)
    ttl = app.config["DEVICE_CACHE_SECONDS"]
    assert 0 < ttl <= 10  # the bound PROTOCOL.md and the README state
    key = register(client)
    assert sync(client, key).status_code == 200  # cached now
    # Another worker revokes the key: a plain UPDATE this process's ORM never sees.
    with db.engine.begin() as conn:
        conn.execute(sa.update(Device).values(revoked_at=sa.func.now()))
    clock.now += ttl - 0.5
    assert sync(client, key).status_code == 200  # within the bound: the copy still serves
    clock.now += 0.5
    response = sync(client, key, [create_op()])
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "revoked_device_key"


def test_a_revocation_in_this_worker_is_honoured_at_once(app, client, monkeypatch):
    monkeypatch.setattr(app.extensions["siaga.device_cache"], "clock", Clock())
    key = register(client)
    assert sync(client, key).status_code == 200
    device = db.session.scalars(sa.select(Device)).one()
    device.revoked_at = sa.func.now()
    db.session.commit()
    assert sync(client, key).status_code == 401


def test_a_copy_read_while_the_revocation_commits_does_not_outlive_the_commit(
        app, client, monkeypatch):
    cache = app.extensions["siaga.device_cache"]
    monkeypatch.setattr(cache, "clock", Clock())
    key = register(client)
    assert sync(client, key).status_code == 200
    device = db.session.scalars(sa.select(Device)).one()
    before = {c.key: getattr(device, c.key) for c in Device.__mapper__.column_attrs}
    device.revoked_at = sa.func.now()
    db.session.flush()                    # the cache drops it here...
    cache.put(Device(**before))           # ...and a request of this worker reads the old row
    assert cache.get(device.key_hash) is not None
    db.session.commit()                   # the commit drops it again
    assert cache.get(before["key_hash"]) is None
    assert sync(client, key).status_code == 401
