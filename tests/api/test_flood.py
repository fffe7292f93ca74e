"""An SOS flood from one phone never buries other people's emergencies, and nothing is lost
(invariant 7): reports beyond a device's rate are stored, flagged and collapsed into one
inbox row; operators can mute or revoke the source (audited)."""
from __future__ import annotations

import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.reports.models import Report
from tests.helpers import Console, count, create_op, fetch, register, sos, sync


def _flood(client, key, n):
    for start in range(0, n, 20):
        results = sync(client, key, [create_op(category="fire", silent=True, note="flood")
                                     for _ in range(min(20, n - start))]).get_json()["results"]
        assert {r["status"] for r in results} == {"applied"}   # never refused


def test_a_flood_is_stored_whole_but_collapsed_behind_real_reports(client, staff):
    flooder, citizen = register(client, phone="+6281111111111"), register(client)
    _flood(client, flooder, 60)
    real = sos(client, citizen, category="health", note="ibu pingsan")
    assert count("reports") == 61                                 # nothing dropped
    flagged = fetch(sa.select(Report.flooded).order_by(Report.id))
    assert flagged[:10] == [False] * 10 and flagged[10:60] == [True] * 50   # beyond the rate
    console = Console(client, "operator1")
    inbox = console.get("/v1/operator/inbox").get_json()
    refs = [r["ref"] for r in inbox["reports"]]
    assert real in refs and len(refs) == 11                      # 10 within the rate + real
    flood, = inbox["floods"]
    assert flood["count"] == 50 and flood["caller_phone"] == "+6281111111111"
    assert flood["newest"]["note"] == "flood" and flood["muted"] is False


def test_operators_mute_and_revoke_a_flood_source_and_it_is_audited(client, staff):
    flooder = register(client)
    _flood(client, flooder, 12)
    console = Console(client, "operator1")
    device_id = console.get("/v1/operator/inbox").get_json()["floods"][0]["device_id"]
    muted = console.post(f"/v1/operator/devices/{device_id}/mute", json={"muted": True})
    assert muted.status_code == 200 and muted.get_json()["muted"] is True
    sos(client, flooder)                                          # stored, and collapsed
    assert console.get("/v1/operator/inbox").get_json()["floods"][0]["count"] == 3
    revoked = console.post(f"/v1/operator/devices/{device_id}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["revoked"] is True
    assert sync(client, flooder, [create_op()]).status_code == 401
    actions = fetch(sa.select(AuditEvent.action).where(AuditEvent.entity_type == "device",
                                                       AuditEvent.actor_type == "user"))
    assert sorted(actions) == ["device.mute", "device.revoke"]


def test_only_triage_roles_act_on_devices_and_only_in_their_regency(client, staff):
    key = register(client)
    sos(client, key)
    device_id = 1
    Console(client, "admin")
    assert client.post(f"/v1/operator/devices/{device_id}/mute", json={"muted": True},
                       headers={"X-CSRF-Token": client.get("/v1/operator/session")
                                .get_json()["csrf_token"]}).status_code == 403
    other = Console(client.application.test_client(), "operator1-1607")
    assert other.post(f"/v1/operator/devices/{device_id}/mute",
                      json={"muted": True}).status_code == 404
    assert other.post("/v1/operator/devices/99999999999/revoke").status_code == 404
