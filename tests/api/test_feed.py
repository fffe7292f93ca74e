"""The live feed is for those who triage or supervise, and it can never take every thread."""
from __future__ import annotations

import pytest

from tests.helpers import Console


def _open(client):
    return client.get("/v1/operator/feed", buffered=False)


@pytest.mark.parametrize("username,status", [("operator1", 200), ("supervisor", 200),
                                             ("admin", 403)])
def test_only_triage_and_supervision_open_the_feed(client, staff, username, status):
    Console(client, username)
    stream = _open(client)
    assert stream.status_code == status
    stream.close()


def test_a_crew_account_never_reads_the_regencys_feed(client, staff):
    token = client.get("/v1/operator/session").get_json()["csrf_token"]
    signed = client.post("/v1/operator/session", headers={"X-CSRF-Token": token},
                         json={"username": "dmk-sky-1", "password": "siaga112-demo"})
    stream = _open(client)
    assert signed.status_code == 403 or stream.status_code == 403
    assert stream.status_code in (401, 403)
    stream.close()


def test_feeds_per_user_and_per_process_are_capped_and_freed_on_close(app, client, staff,
                                                                         monkeypatch):
    slots = app.extensions["siaga.feed_slots"]
    monkeypatch.setattr(slots, "per_user", 1)
    monkeypatch.setattr(slots, "per_process", 2)
    Console(client, "operator1")
    first = _open(client)
    assert first.status_code == 200
    second = _open(client)                                   # the same user, a second tab
    assert second.status_code == 429
    assert second.get_json()["error"] == {"code": "too_many_feeds", "details": {"limit": "user"},
                                          "message": second.get_json()["error"]["message"]}
    assert second.headers["Retry-After"] == "30"
    other = app.test_client()
    Console(other, "operator2")
    held = _open(other)
    assert held.status_code == 200 and slots.in_use() == 2
    third = app.test_client()
    Console(third, "supervisor")
    refused = _open(third)
    assert refused.status_code == 429 and refused.get_json()["error"]["details"] == {
        "limit": "server"}
    first.close()
    held.close()
    assert slots.in_use() == 0                               # closing frees the slots
    again = _open(client)
    assert again.status_code == 200
    again.close()
