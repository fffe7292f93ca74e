"""Sessions that end, and sign-in limits nobody can turn against an operator."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.audit.models import AuditEvent
from tests.helpers import Console, fetch


def _cookie(client):
    return client.get_cookie("siaga_session").value


def test_sign_out_ends_the_session_and_every_copy_of_its_cookie(app, client, staff):
    console = Console(client, "operator1")
    stolen = _cookie(client)
    assert console.get("/v1/operator/inbox").status_code == 200
    assert client.delete("/v1/operator/session",
                         headers={"X-CSRF-Token": console.csrf}).status_code == 204
    thief = app.test_client()
    thief.set_cookie("siaga_session", stolen)
    assert thief.get("/v1/operator/inbox").status_code == 401


def test_a_session_ends_after_a_shift_and_after_idling(app, client, staff, monkeypatch):
    import backend.auth

    Console(client, "operator1")
    real = backend.auth.time.time
    monkeypatch.setattr(backend.auth.time, "time", lambda: real() + 50 * 60)
    assert client.get("/v1/operator/inbox").status_code == 200        # 50 min idle: fine
    monkeypatch.setattr(backend.auth.time, "time", lambda: real() + 50 * 60 + 61 * 60)
    assert client.get("/v1/operator/inbox").status_code == 401        # then an hour idle
    signed_in = 111 * 60                                              # (time only goes on)
    Console(client, "operator1")
    for step in range(1, 14):                                         # busy all shift long
        monkeypatch.setattr(backend.auth.time, "time",
                            lambda s=step: real() + signed_in + s * 50 * 60)
        assert client.get("/v1/operator/inbox").status_code == 200, step
    monkeypatch.setattr(backend.auth.time, "time", lambda: real() + signed_in + 12 * 3600 + 60)
    assert client.get("/v1/operator/inbox").status_code == 401        # a shift is over


def _attempt(client, username, password="salah-sekali", address="10.0.0.1"):
    token = client.get("/v1/operator/session",
                       environ_base={"REMOTE_ADDR": address}).get_json()["csrf_token"]
    return client.post("/v1/operator/session", json={"username": username,
                                                     "password": password},
                       headers={"X-CSRF-Token": token}, environ_base={"REMOTE_ADDR": address})


def test_one_address_cannot_spray_accounts(app, client, staff, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_LIMIT_PER_ADDRESS", "4/minute")
    statuses = [_attempt(client, f"random-{i}").status_code for i in range(6)]
    assert statuses == [401] * 4 + [429] * 2
    assert _attempt(client, "operator1", "siaga112-demo", "10.0.0.2").status_code == 200


def test_nobody_can_lock_an_operator_out_from_elsewhere(app, client, staff):
    attacker = [_attempt(client, "operator1", address="10.6.6.6").status_code for _ in range(7)]
    assert attacker[:5] == [401] * 5 and attacker[5:] == [429, 429]
    at_work = app.test_client()
    assert _attempt(at_work, "operator1", "siaga112-demo", "10.1.1.1").status_code == 200
    # Wrong passwords are audited with the address; refusals by the limit are not (they cost
    # an attacker nothing and would bury the audit log).
    failures = fetch(sa.select(AuditEvent).where(AuditEvent.action == "user.login_failed"))
    assert len(failures) == 5 and {e.after["client"] for e in failures} == {"10.6.6.6"}


def test_a_parallel_burst_never_gets_more_password_checks_than_the_limit(app, client, staff,
                                                                         monkeypatch):
    import backend.accounts.service as accounts

    checks = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda *a: checks.append(1) or real(*a))
    results = []

    def burst():
        results.append(_attempt(app.test_client(), "supervisor", address="10.9.9.9").status_code)
    threads = [threading.Thread(target=burst) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) <= 5 and results.count(429) >= 19     # counted before the hash


def test_the_session_cookie_holds_nothing_of_the_password(app, client, staff):
    import base64
    import json
    import zlib

    Console(client, "operator1")
    payload = _cookie(client).split(".")[0 if not _cookie(client).startswith(".") else 1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    data = json.loads(zlib.decompress(raw) if _cookie(client).startswith(".") else raw)
    user = fetch(sa.select(backend_user()).where(backend_user().username == "operator1"))[0]
    assert set(data) <= {"uid", "rid", "ver", "csrf", "since", "seen", "lang", "_permanent"}
    assert not any(str(v) in user.password_hash for v in data.values() if len(str(v)) > 4)


def backend_user():
    from backend.accounts.models import User
    return User


def test_sign_in_limits_are_shared_by_every_web_process_through_redis(db_backend, staff):
    """With REDIS_URL (production) the counts are one for all gunicorn workers: two apps
    taking turns in a burst still get at most 5 password checks for an account."""
    from redis import Redis

    from backend import create_app
    from tests.conftest import IsolatedClient

    url = "redis://127.0.0.1:6379/13"
    Redis.from_url(url).flushdb()
    apps = []
    for _ in range(2):
        worker = create_app({"DATABASE_URL": db_backend[1], "TESTING": True, "REDIS_URL": url,
                             "PUSH_THREAD": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        worker.test_client_class = IsolatedClient
        apps.append(worker)
    try:
        statuses = [_attempt(apps[i % 2].test_client(), "supervisor", address="10.7.7.7")
                    .status_code for i in range(8)]
        assert statuses == [401] * 5 + [429] * 3
    finally:
        Redis.from_url(url).flushdb()
