"""Push fixtures: the FCM stand-in, real Redis, and an app wired to both."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from redis import Redis

from backend import create_app
from backend.extensions import db
from push.standin import FcmStandIn
from tests.conftest import IsolatedClient
from tests.helpers import Console, register

# Parallel runs (several worktrees on one machine) pick their own database number.
REDIS_TEST_URL = f"redis://127.0.0.1:6379/{os.environ.get('SIAGA_TEST_REDIS_DB', '15')}"


@pytest.fixture
def standin():
    server = FcmStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url():
    Redis.from_url(REDIS_TEST_URL).flushdb()
    yield REDIS_TEST_URL
    Redis.from_url(REDIS_TEST_URL).flushdb()


def make_push_app(db_backend, **overrides):
    push_app = create_app({"DATABASE_URL": db_backend[1], "TESTING": True, "PUSH_THREAD": False,
                           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **overrides})
    push_app.test_client_class = IsolatedClient
    return push_app


@pytest.fixture
def push_app(app, staff, db_backend, standin, redis_url):
    """An app on the test database that delivers through RQ (Redis db 15) to the stand-in."""
    push_app = make_push_app(db_backend, REDIS_URL=redis_url, FCM_ENDPOINT=standin.url,
                             ESCALATION_SECONDS="default=120")
    with push_app.app_context():
        yield push_app
        db.session.remove()
        runtime = push_app.extensions["siaga.push"]
        if runtime._sender is not None:
            runtime._sender.close()


def responder_phone(client, username: str, token: str | None = None) -> str:
    """A responder device signed in as `username` with push token `token`; returns its key."""
    key = register(client, kind="responder")
    auth = {"Authorization": f"Bearer {key}"}
    signed = client.post("/v1/responder/session", json={"username": username,
                                                        "password": "siaga112-demo"},
                         headers=auth)
    assert signed.status_code == 200, signed.get_json()
    if token:
        assert client.put("/v1/responder/push-token", json={"token": token},
                          headers=auth).status_code == 204
    return key


def unit_id(call_sign: str) -> int:
    from backend.units.models import Unit
    try:
        return db.session.scalar(sa.select(Unit.id).where(Unit.call_sign == call_sign))
    finally:
        db.session.rollback()  # never sit on SQLite's write lock while requests run


def incident_for_sos(client, console: Console, key: str, **data) -> str:
    from tests.helpers import sos
    ref = sos(client, key, **data)
    return console.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]


