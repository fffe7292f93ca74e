"""The operator console API: sign-in, triage, incidents, dispatch, feed — on both databases."""
from __future__ import annotations

import json
import threading

import sqlalchemy as sa

from backend.dispatches.models import Dispatch
from backend.incidents.models import Incident
from backend.reports.models import Report
from tests.helpers import Console, count, fetch, register, sos, sync

SEKAYU = (-2.9128, 103.8282)  # Kel. Serasan Jaya, Kec. Sekayu (its label point)
SUNGAI_LILIN = (-2.5891, 104.1098)  # Kel. Sungai Lilin


def test_sign_in_needs_csrf_and_the_right_password(client, staff):
    anonymous = client.get("/v1/operator/session").get_json()
    assert anonymous["user"] is None and anonymous["csrf_token"]
    no_csrf = client.post("/v1/operator/session",
                          json={"username": "operator1", "password": "siaga112-demo"})
    assert no_csrf.status_code == 403 and no_csrf.get_json()["error"]["code"] == "csrf_failed"
    wrong = client.post("/v1/operator/session", json={"username": "operator1", "password": "x"},
                        headers={"X-CSRF-Token": anonymous["csrf_token"]})
    assert wrong.status_code == 401
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"
    console = Console(client, "operator1")
    me = client.get("/v1/operator/session").get_json()
    assert me["user"]["username"] == "operator1" and me["user"]["role"] == "operator"
    assert console.csrf != anonymous["csrf_token"]  # fresh session on sign-in
    assert client.delete("/v1/operator/session",
                         headers={"X-CSRF-Token": console.csrf}).status_code == 204
    assert client.get("/v1/operator/inbox").status_code == 401


def test_password_guessing_is_throttled(client, staff):
    token = client.get("/v1/operator/session").get_json()["csrf_token"]
    statuses = [client.post("/v1/operator/session",
                            json={"username": "supervisor", "password": f"guess{i}"},
                            headers={"X-CSRF-Token": token}).status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    right = client.post("/v1/operator/session",
                        json={"username": "supervisor", "password": "siaga112-demo"},
                        headers={"X-CSRF-Token": token})
    assert right.status_code == 429 and right.headers["Retry-After"]


def test_report_to_incident_to_dispatch_and_the_phone_hears_of_it(client, staff):
    key = register(client)
    ref = sos(client, key, category="fire", silent=True)
    cursor = sync(client, key).get_json()["cursor"]
    console = Console(client, "operator1")

    inbox = console.get("/v1/operator/inbox").get_json()
    item, = inbox["reports"]
    assert item["ref"] == ref and item["silent"] is True and item["waited_s"] >= 0
    assert item["source"] == "app" and item["incident"] is None

    confirmed = console.post(f"/v1/operator/reports/{ref}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.get_json()
    incident = confirmed.get_json()
    assert incident["number"].startswith("112-") and incident["priority"] == 1
    assert incident["status"] == "open"
    assert console.get("/v1/operator/inbox").get_json()["reports"] == []

    detail = console.get(f"/v1/operator/incidents/{incident['number']}").get_json()
    nearest = detail["recommendations"][0]["unit"]
    assert nearest["agency_type"] == "fire_brigade" and "Sekayu" in nearest["name"]
    assert detail["share_url"].startswith("https://wa.me/?text=")
    assert incident["number"] in detail["share_text"]

    sent = console.post(f"/v1/operator/incidents/{incident['number']}/dispatch",
                        json={"units": [nearest["id"]]})
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()[0]["unit"]["id"] == nearest["id"]
    assert fetch(sa.select(Incident))[0].status == "dispatched"
    again = console.post(f"/v1/operator/incidents/{incident['number']}/dispatch",
                         json={"units": [nearest["id"]]})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_dispatched"
    assert count("dispatches") == 1

    changes = sync(client, key, cursor=cursor).get_json()["changes"]
    seen = [(c["type"], c["data"]["status"]) for c in changes]
    assert ("report.status", "confirmed") in seen
    assert ("incident.status", "dispatched") in seen
    after = console.get(f"/v1/operator/incidents/{incident['number']}").get_json()
    actions = [e["action"] for e in after["timeline"]]
    assert actions[:1] == ["report.create"] and "dispatch.create" in actions
    assert "incident.dispatched" in actions


def test_reject_merge_split(client, staff):
    key, other = register(client), register(client)
    first = sos(client, key, category="fire", lat=SEKAYU[0], lon=SEKAYU[1])
    second = sos(client, other, category="fire", lat=SEKAYU[0] + 0.002, lon=SEKAYU[1])
    far = sos(client, other, category="fire", lat=SUNGAI_LILIN[0], lon=SUNGAI_LILIN[1])
    prank = sos(client, key, category="riot")
    console = Console(client, "operator2")

    bad = console.post(f"/v1/operator/reports/{prank}/reject", json={"reason": "boredom"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["error"]["details"]
    rejected = console.post(f"/v1/operator/reports/{prank}/reject",
                            json={"reason": "prank", "note": "anak-anak"})
    assert rejected.get_json()["status"] == "rejected"
    twice = console.post(f"/v1/operator/reports/{prank}/reject", json={"reason": "prank"})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "invalid_transition"

    number = console.post(f"/v1/operator/reports/{first}/confirm", json={}).get_json()["number"]
    detail = console.get(f"/v1/operator/reports/{second}").get_json()
    assert [d["report"]["ref"] for d in detail["duplicates"]] == [first]
    assert 150 < detail["duplicates"][0]["distance_m"] < 300
    assert far not in [d["report"]["ref"] for d in detail["duplicates"]]
    assert [r["ref"] for r in detail["reporter_history"]] == [far]

    merged = console.post(f"/v1/operator/reports/{second}/merge", json={"incident": number})
    assert merged.status_code == 200 and merged.get_json()["number"] == number
    assert {r.ref: r.status for r in fetch(sa.select(Report))}[second] == "merged"
    split = console.post(f"/v1/operator/reports/{second}/split")
    assert split.status_code == 200 and split.get_json()["number"] != number
    alone = console.post(f"/v1/operator/reports/{second}/split")
    assert alone.status_code == 409 and alone.get_json()["error"]["code"] == "nothing_to_split"
    assert count("incidents") == 2


def test_voice_call_report_joins_the_inbox(client, staff):
    console = Console(client, "operator1")
    made = console.post("/v1/operator/reports", json={
        "category": "health", "note": "ibu hamil pendarahan", "lat": -2.05, "lon": 103.68,
        "caller_phone": "+6281200001111"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["source"] == "call" and body["caller_phone"] == "+6281200001111"
    assert [r["ref"] for r in console.get("/v1/operator/inbox").get_json()["reports"]] == [
        body["ref"]]
    bad = console.post("/v1/operator/reports", json={"category": "ufo", "lat": 200})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]) == {"category", "lat"}


def test_inbox_puts_silent_and_urgent_first(client, staff):
    key = register(client)
    order = [sos(client, key, category="public_order"), sos(client, key, category="fire"),
             sos(client, key, category="other", silent=True), sos(client, key, category="health")]
    console = Console(client, "operator1")
    refs = [r["ref"] for r in console.get("/v1/operator/inbox").get_json()["reports"]]
    assert refs == [order[2], order[3], order[1], order[0]]


def test_incident_state_machine_refuses_impossible_moves(client, staff):
    key = register(client)
    console = Console(client, "operator1")
    number = console.post(f"/v1/operator/reports/{sos(client, key)}/confirm",
                          json={}).get_json()["number"]
    path = f"/v1/operator/incidents/{number}/status"
    assert console.post(path, json={"status": "en_route"}).status_code == 409
    assert console.post(path, json={"status": "resolved"}).get_json()["status"] == "resolved"
    refused = console.post(path, json={"status": "en_route"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["details"] == {"from": "resolved", "to": "en_route"}
    assert console.post(path, json={"status": "closed"}).get_json()["status"] == "closed"
    assert console.post(path, json={"status": "teleported"}).status_code == 422


def test_recommendation_follows_routing_and_duty(client, staff):
    key = register(client)
    console = Console(client, "operator1")
    ref = sos(client, key, category="health", lat=SEKAYU[0], lon=SEKAYU[1])
    number = console.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]
    units = console.get(f"/v1/operator/incidents/{number}").get_json()["recommendations"]
    assert {u["unit"]["agency_type"] for u in units} == {"health"}
    distances = [u["distance_m"] for u in units]
    assert distances == sorted(distances) and distances[0] < 1000
    nearest = units[0]["unit"]["id"]
    off = console.post(f"/v1/operator/units/{nearest}/duty", json={"on_duty": False})
    assert off.status_code == 200 and off.get_json()["on_duty"] is False
    again = console.get(f"/v1/operator/incidents/{number}").get_json()["recommendations"]
    assert nearest not in [u["unit"]["id"] for u in again]


def test_concurrent_confirmations_make_one_incident(app, staff):
    clients = [app.test_client() for _ in range(2)]
    key = register(clients[0])
    refs = [sos(clients[0], key) for _ in range(5)]
    consoles = [Console(clients[0], "operator1"), Console(clients[1], "operator2")]
    for ref in refs:
        barrier, statuses = threading.Barrier(2), []

        def act(console, ref=ref, barrier=barrier, statuses=statuses):
            barrier.wait()
            statuses.append(console.post(f"/v1/operator/reports/{ref}/confirm",
                                         json={}).status_code)

        threads = [threading.Thread(target=act, args=(c,)) for c in consoles]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert sorted(statuses) == [200, 409]
    assert count("incidents") == 5
    assert all(r.incident_id is not None for r in fetch(sa.select(Report)))


def test_concurrent_merge_and_confirm_leave_one_consistent_result(app, staff):
    clients = [app.test_client() for _ in range(2)]
    key = register(clients[0])
    anchor, dup = sos(clients[0], key), sos(clients[0], key)
    consoles = [Console(clients[0], "operator1"), Console(clients[1], "operator2")]
    number = consoles[0].post(f"/v1/operator/reports/{anchor}/confirm", json={}).get_json()[
        "number"]
    barrier, statuses = threading.Barrier(2), {}

    def act(name, console, path, body):
        barrier.wait()
        statuses[name] = console.post(path, json=body).status_code

    threads = [threading.Thread(target=act, args=(
        "merge", consoles[0], f"/v1/operator/reports/{dup}/merge", {"incident": number})),
        threading.Thread(target=act, args=(
            "confirm", consoles[1], f"/v1/operator/reports/{dup}/confirm", {}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    # Either order is legal: merge first (then confirm is refused), or confirm first (then
    # the merge folds the new incident into the anchor and closes it as a duplicate).
    report = {r.ref: r for r in fetch(sa.select(Report))}[dup]
    incidents = {i.id: i for i in fetch(sa.select(Incident))}
    assert report.status == "merged" and incidents[report.incident_id].number == number
    if statuses["confirm"] == 409:
        assert len(incidents) == 1
    else:
        assert statuses == {"merge": 200, "confirm": 200}
        assert sorted(i.status for i in incidents.values()) == ["closed", "open"]


def test_live_feed_streams_a_new_report_as_it_arrives(client, staff):
    console = Console(client, "operator1")
    cursor = console.get("/v1/operator/inbox").get_json()["cursor"]
    stream = client.get(f"/v1/operator/feed?cursor={cursor}", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    chunks = iter(stream.response)
    assert next(chunks).startswith(b"retry:")
    key = register(client)
    ref = sos(client, key)
    event = next(chunk for chunk in chunks if chunk.startswith(b"id:"))
    lines = dict(line.split(": ", 1) for line in event.decode().strip().split("\n"))
    assert lines["event"] == "change"
    assert json.loads(lines["data"])["data"] == {"report": ref, "status": "received",
                                                 "place": "Kel. Serasan Jaya, Kec. Sekayu"}
    stream.close()
    resumed = client.get("/v1/operator/feed", headers={"Last-Event-ID": lines["id"]},
                         buffered=False)
    assert next(iter(resumed.response)).startswith(b"retry:")
    resumed.close()


def test_dispatch_validation_and_unknown_units(client, staff):
    key = register(client)
    console = Console(client, "operator1")
    number = console.post(f"/v1/operator/reports/{sos(client, key)}/confirm",
                          json={}).get_json()["number"]
    path = f"/v1/operator/incidents/{number}/dispatch"
    assert console.post(path, json={"units": []}).status_code == 422
    assert console.post(path, json={"units": ["1"]}).status_code == 422
    missing = console.post(path, json={"units": [999999]})
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unit_not_found"
    assert count("dispatches") == 0
    assert fetch(sa.select(Dispatch)) == []


def test_notes_join_the_incident_timeline(client, staff):
    key = register(client)
    console = Console(client, "operator1")
    number = console.post(f"/v1/operator/reports/{sos(client, key)}/confirm",
                          json={}).get_json()["number"]
    added = console.post(f"/v1/operator/incidents/{number}/notes",
                         json={"text": "Pelapor dihubungi, api membesar"})
    assert added.status_code == 201
    assert console.post(f"/v1/operator/incidents/{number}/notes", json={"text": ""}
                        ).status_code == 422
    timeline = console.get(f"/v1/operator/incidents/{number}").get_json()["timeline"]
    notes = [e for e in timeline if e["action"] == "incident.note"]
    assert [n["after"]["text"] for n in notes] == ["Pelapor dihubungi, api membesar"]


def test_admin_enrols_a_responder_on_a_unit(client, staff):
    admin = Console(client, "admin")
    units = admin.get("/v1/operator/units").get_json()["units"]
    body = {"username": "kru-baru", "name": "Kru Baru", "password": "panjang-sekali-1"}
    missing = admin.post("/v1/admin/responders", json=body)
    assert missing.status_code == 422 and "unit_id" in missing.get_json()["error"]["details"]
    made = admin.post("/v1/admin/responders", json={**body, "unit_id": units[0]["id"]})
    assert made.status_code == 201 and made.get_json()["unit_id"] == units[0]["id"]
    assert made.get_json()["role"] == "responder"
    stranger = admin.post("/v1/admin/responders", json={**body, "username": "kru-x",
                                                        "unit_id": 999999})
    assert stranger.status_code == 404
    huge = admin.post("/v1/admin/responders", json={**body, "username": "kru-y",
                                                    "unit_id": 2**40})
    assert huge.status_code == 422
    as_user = admin.post("/v1/admin/users", json={**body, "role": "responder"})
    assert as_user.status_code == 422
