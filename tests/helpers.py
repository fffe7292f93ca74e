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


class Console:
    """A signed-in console user: a test client that sends the session's CSRF token."""

    def __init__(self, client, username: str, password: str = "siaga112-demo"):
        self.client = client
        self.csrf = client.get("/v1/operator/session").get_json()["csrf_token"]
        response = self.post("/v1/operator/session",
                             json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        self.csrf = response.get_json()["csrf_token"]

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, **kwargs):
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.post(path, headers=headers, **kwargs)

    def patch(self, path, **kwargs):
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.patch(path, headers=headers, **kwargs)


def sos(client, key, **data) -> str:
    """Sync one SOS from a device; return its report ref."""
    result = sync(client, key, [create_op(**data)]).get_json()["results"][0]
    assert result["status"] == "applied", result
    return result["ref"]["report"]
