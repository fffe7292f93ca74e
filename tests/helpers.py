"""Plain helpers for tests: talk to the API like a phone does, and count rows."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa

from backend.extensions import db


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def register(client, **overrides) -> str:
    body = {"platform": "android", "app_version": "1.0.0", "locale": "id", **overrides}
    response = client.post("/v1/devices", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["device_key"]


def create_op(category="fire", lat=-2.8851, lon=103.8467, **data) -> dict:
    return {"id": str(uuid.uuid4()), "type": "report.create", "at": now_iso(),
            "data": {"category": category,
                     "location": {"lat": lat, "lon": lon, "accuracy_m": 12, "source": "gps"},
                     "note": "rumah terbakar dekat masjid", **data}}


def sync(client, key, ops=(), cursor=None, device_time=None, **kwargs):
    body = {"protocol": 1, "device_time": device_time or now_iso(), "cursor": cursor,
            "ops": list(ops)}
    return client.post("/v1/sync", json=body, headers={"Authorization": f"Bearer {key}"},
                       **kwargs)


# The helpers below end their transaction before returning: on SQLite every transaction
# takes the write lock (BEGIN IMMEDIATE), so a test must not sit on one while it sends requests.

def fetch(stmt) -> list:
    """Run an ORM select in the test's session; return detached results."""
    try:
        rows = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return rows
    finally:
        db.session.rollback()


def count(table: str) -> int:
    try:
        return db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        db.session.rollback()


def row_counts() -> dict[str, int]:
    return {t.name: count(t.name) for t in db.metadata.sorted_tables}
