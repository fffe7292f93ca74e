"""Units as resources through the operator API, on both databases: availability derived from
dispatches and duty, crew phones, GPS fixes, recommendation without busy units, the 409
unit_busy refusal, reassignment with a reason, and invariant 8 under concurrency."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.dispatches.models import ACTIVE_DISPATCH, Dispatch
from backend.extensions import db
from backend.feed.models import Change
from backend.regencies.models import Regency
from backend.units.models import Unit
from tests.helpers import Console, count, fetch, register, sos, sync

SEKAYU = (-2.9128, 103.8282)  # Kel. Serasan Jaya, Kec. Sekayu (its label point)
SUNGAI_LILIN = (-2.6380, 104.1530)


def unit_id(call_sign: str) -> int:
    """Musi Banyuasin's unit (Banyuasin's demo units have the same call signs)."""
    try:
        return db.session.scalar(sa.select(Unit.id).join(Regency, Regency.id == Unit.regency_id)
                                 .where(Unit.call_sign == call_sign, Regency.code == "1606"))
    finally:
        db.session.rollback()


def mine(call_sign: str):
    return Unit.id == unit_id(call_sign)


def units_by_call_sign(console) -> dict:
    return {u["call_sign"]: u for u in console.get("/v1/operator/units").get_json()["units"]}


def incident(client, console, key, category="fire", at=SEKAYU) -> str:
    ref = sos(client, key, category=category, lat=at[0], lon=at[1])
    return console.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]


def responder(client, username: str, token: str | None = None) -> str:
    key = register(client, kind="responder")
    auth = {"Authorization": f"Bearer {key}"}
    assert client.post("/v1/responder/session", json={"username": username,
                                                      "password": "siaga112-demo"},
                       headers=auth).status_code == 200
    if token:
        assert client.put("/v1/responder/push-token", json={"token": token},
                          headers=auth).status_code == 204
    return key


def op(type_, at=None, **data) -> dict:
    at = at or datetime.now(timezone.utc)
    return {"id": str(uuid.uuid4()), "type": type_,
            "at": at.isoformat().replace("+00:00", "Z"), "data": data}


def open_dispatches_per_unit() -> dict[int, int]:
    try:
        return dict(db.session.execute(
            sa.select(Dispatch.unit_id, sa.func.count()).where(
                Dispatch.status.in_(ACTIVE_DISPATCH)).group_by(Dispatch.unit_id)).all())
    finally:
        db.session.rollback()


def test_availability_follows_dispatches_and_duty(client, staff):
    console, key = Console(client, "operator1"), register(client)
    phone = responder(client, "dmk-sky-1")
    dmk = unit_id("DMK-SKY-1")
    before = units_by_call_sign(console)["DMK-SKY-1"]
    assert before["availability"]["state"] == "available"
    assert before["availability"]["incident"] is None
    number = incident(client, console, key)
    sent = console.post(f"/v1/operator/incidents/{number}/dispatch", json={"units": [dmk]})
    assert sent.status_code == 201
    dispatch_id = sent.get_json()[0]["dispatch"]
    assert "id" not in sent.get_json()[0]             # the operator API names it "dispatch"

    def state():
        a = units_by_call_sign(console)["DMK-SKY-1"]["availability"]
        return a["state"], a["incident"], a["dispatch"], a["since"]

    assigned = state()
    assert assigned[:3] == ("assigned", number, dispatch_id)
    steps = [("dispatch.ack", {}, "assigned"), ("dispatch.status", {"status": "en_route"},
                                                "en_route"),
             ("dispatch.status", {"status": "on_scene"}, "on_scene")]
    since = assigned[3]
    for type_, data, expected in steps:
        result = sync(client, phone, [op(type_, dispatch=dispatch_id, **data)]).get_json()
        assert result["results"][0]["status"] == "applied", result
        now = state()
        assert now[:3] == (expected, number, dispatch_id) and now[3] >= since
        since = now[3]
    done = sync(client, phone, [op("dispatch.status", dispatch=dispatch_id,
                                   status="completed")]).get_json()
    assert done["results"][0]["status"] == "applied"
    free = units_by_call_sign(console)["DMK-SKY-1"]["availability"]
    assert (free["state"], free["incident"]) == ("available", None)
    assert free["since"] >= since                      # available since the job ended
    off = console.post(f"/v1/operator/units/{dmk}/duty", json={"on_duty": False})
    assert off.status_code == 200
    out = units_by_call_sign(console)["DMK-SKY-1"]["availability"]
    assert out["state"] == "out_of_service" and out["since"] >= free["since"]
    console.post(f"/v1/operator/units/{dmk}/duty", json={"on_duty": True})
    assert units_by_call_sign(console)["DMK-SKY-1"]["availability"]["state"] == "available"
    db.session.execute(sa.update(Unit).where(Unit.id == dmk).values(active=False))
    db.session.commit()
    # A retired unit leaves the operators' list; the admins' list shows it out of service.
    assert "DMK-SKY-1" not in units_by_call_sign(console)
    admin = Console(client.application.test_client(), "admin")
    retired_units = {u["call_sign"]: u for u in admin.get("/v1/admin/units").get_json()["units"]}
    assert retired_units["DMK-SKY-1"]["availability"]["state"] == "out_of_service"
    other = incident(client, console, key)
    retired = console.post(f"/v1/operator/incidents/{other}/dispatch", json={"units": [dmk]})
    assert retired.status_code == 409 and retired.get_json()["error"]["code"] == "unit_retired"


def test_units_page_data_crew_phones_and_last_fix(client, staff):
    console = Console(client, "operator1")
    crew = units_by_call_sign(console)["AMB-SKY-1"]
    assert crew["crew"] == {"signed_in": 0, "reachable": 0}
    assert crew["position"]["source"] == "post" and crew["position"]["fix_at"] is None
    with_token = responder(client, "amb-sky-1", "tok-amb-1")
    responder(client, "amb-sky-1")                       # a second phone, no FCM token yet
    assert units_by_call_sign(console)["AMB-SKY-1"]["crew"] == {"signed_in": 2,
                                                                "reachable": 1}
    auth = {"Authorization": f"Bearer {with_token}"}
    assert client.put("/v1/responder/duty", json={"on_duty": False},
                      headers=auth).status_code in (200, 204)
    assert units_by_call_sign(console)["AMB-SKY-1"]["crew"] == {"signed_in": 2,
                                                                "reachable": 0}
    client.put("/v1/responder/duty", json={"on_duty": True}, headers=auth)

    fix_at = datetime.now(timezone.utc) - timedelta(minutes=2)
    moved = sync(client, with_token, [op("responder.location", at=fix_at, lat=-2.70,
                                         lon=104.00, accuracy_m=8)]).get_json()
    assert moved["results"][0]["status"] == "applied"
    position = units_by_call_sign(console)["AMB-SKY-1"]["position"]
    assert position["source"] == "gps" and (position["lat"], position["lon"]) == (-2.70, 104.00)
    assert 100 <= position["age_s"] < 200
    late = sync(client, with_token, [op("responder.location", at=fix_at - timedelta(minutes=1),
                                        lat=-2.0, lon=103.0, accuracy_m=8)]).get_json()
    assert late["results"][0]["status"] == "applied"
    assert units_by_call_sign(console)["AMB-SKY-1"]["position"]["lat"] == -2.70  # older: no
    stale = datetime.now(timezone.utc) - timedelta(minutes=30)
    db.session.execute(sa.update(Unit).where(mine("AMB-SKY-1")).values(
        fix_at=stale))
    db.session.commit()
    unit = units_by_call_sign(console)["AMB-SKY-1"]
    position = unit["position"]
    assert position["source"] == "post" and (position["lat"], position["lon"]) == (
        unit["lat"], unit["lon"])
    assert position["age_s"] > 1700                     # the last fix and its age still shown


def test_busy_unit_is_refused_unless_reassigned_with_a_reason(client, staff):
    console, key = Console(client, "operator1"), register(client)
    phone = responder(client, "dmk-sky-1", "tok-dmk-sky-1")
    dmk = unit_id("DMK-SKY-1")
    first, second = incident(client, console, key), incident(client, console, key)
    old = console.post(f"/v1/operator/incidents/{first}/dispatch",
                       json={"units": [dmk]}).get_json()[0]["dispatch"]
    sync(client, phone, [op("dispatch.ack", dispatch=old)])
    assert console.get(f"/v1/operator/incidents/{first}").get_json()["incident"][
        "needs_attention"] is False
    path = f"/v1/operator/incidents/{second}/dispatch"

    refused = console.post(path, json={"units": [dmk]})
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "unit_busy"
    assert {k: error["details"][k] for k in ("unit", "incident", "state", "dispatch")} == {
        "unit": dmk, "incident": first, "state": "assigned", "dispatch": old}
    for body in ({"units": [dmk], "reassign": True},
                 {"units": [dmk], "reassign": True, "reason": "ok"},
                 {"units": [dmk], "reassign": True, "reason": "   "},
                 {"units": [dmk], "reassign": True, "reason": "x" * 201},
                 {"units": [dmk], "reassign": "yes", "reason": "lebih dekat"}):
        bad = console.post(path, json=body)
        assert bad.status_code == 422, (body, bad.get_json())
    assert count("dispatches") == 1 and open_dispatches_per_unit() == {dmk: 1}

    moved = console.post(path, json={"units": [dmk], "reassign": True,
                                     "reason": "Kebakaran lebih besar"})
    assert moved.status_code == 201, moved.get_json()
    new = moved.get_json()[0]["dispatch"]
    rows = {d.id: d for d in fetch(sa.select(Dispatch))}
    assert (rows[old].status, rows[old].status_reason) == ("cancelled", "Kebakaran lebih besar")
    assert rows[new].status == "pending" and open_dispatches_per_unit() == {dmk: 1}
    event, = fetch(sa.select(AuditEvent).where(AuditEvent.action == "dispatch.reassigned"))
    assert (event.actor_type, event.entity_id) == ("user", str(old))
    assert event.after == {"status": "cancelled", "reason": "Kebakaran lebih besar",
                           "from": first, "to": second, "unit": "DMK-SKY-1"}
    assert event.before == {"status": "acknowledged", "incident": first}
    change, = fetch(sa.select(Change).where(Change.type == "dispatch.reassigned"))
    assert change.data["incident"] == first and change.data["to"] == second
    old_page = console.get(f"/v1/operator/incidents/{first}").get_json()
    assert old_page["incident"]["needs_attention"] is True   # left without a unit
    assert old_page["dispatches"][0]["status_reason"] == "Kebakaran lebih besar"
    assert units_by_call_sign(console)["DMK-SKY-1"]["availability"]["incident"] == second
    pulled = []
    for _ in range(50):  # the pull waits out other transactions still running (feed horizon)
        pulled = [c for c in sync(client, phone).get_json()["changes"]
                  if c["type"] == "dispatch.cancelled"]
        if pulled:
            break
        time.sleep(0.1)
    assert [c["data"]["dispatch"] for c in pulled] == [old]  # the crew hears the job is off
    late = sync(client, phone, [op("dispatch.status", dispatch=old, status="en_route")])
    assert late.get_json()["results"][0]["code"] == "invalid_transition"


def test_a_unit_can_be_taken_off_a_scene(client, staff):
    console, key = Console(client, "operator2"), register(client)
    phone = responder(client, "pol-sky", "tok-pol-sky")
    pol = unit_id("POL-SKY")
    riot = incident(client, console, key, category="riot")
    other = incident(client, console, key, category="riot")
    old = console.post(f"/v1/operator/incidents/{riot}/dispatch",
                       json={"units": [pol]}).get_json()[0]["dispatch"]
    assert sync(client, phone, [op("dispatch.status", dispatch=old, status="on_scene")]
                ).get_json()["results"][0]["status"] == "applied"
    assert units_by_call_sign(console)["POL-SKY"]["availability"]["state"] == "on_scene"
    assert console.get(f"/v1/operator/incidents/{riot}").get_json()["incident"][
        "needs_attention"] is False
    moved = console.post(f"/v1/operator/incidents/{other}/dispatch",
                         json={"units": [pol], "reassign": True, "reason": "Massa bergerak"})
    assert moved.status_code == 201
    page = console.get(f"/v1/operator/incidents/{riot}").get_json()
    assert page["incident"]["status"] == "on_scene" and page["incident"]["needs_attention"]
    assert page["dispatches"][0]["status"] == "cancelled"


def test_reassigning_leaves_the_old_incident_alone_when_another_unit_stays(client, staff):
    console, key = Console(client, "operator1"), register(client)
    responder(client, "dmk-sky-1", "tok-dmk-sky-1")
    responder(client, "dmk-sky-2", "tok-dmk-sky-2")          # alerts can reach both crews
    a, b = unit_id("DMK-SKY-1"), unit_id("DMK-SKY-2")
    first, second = incident(client, console, key), incident(client, console, key)
    assert console.post(f"/v1/operator/incidents/{first}/dispatch",
                        json={"units": [a, b]}).status_code == 201
    assert console.post(f"/v1/operator/incidents/{second}/dispatch",
                        json={"units": [a], "reassign": True,
                              "reason": "Sekayu 2 cukup"}).status_code == 201
    page = console.get(f"/v1/operator/incidents/{first}").get_json()
    assert page["incident"]["needs_attention"] is False
    assert sorted(d["status"] for d in page["dispatches"]) == ["cancelled", "pending"]


def test_recommendation_leaves_out_busy_and_just_timed_out_units(app, client, staff):
    from backend.dispatches.service import escalate_overdue

    console, key = Console(client, "operator1"), register(client)
    first, second = incident(client, console, key), incident(client, console, key)
    page = console.get(f"/v1/operator/incidents/{second}").get_json()
    nearest = [r["unit"]["call_sign"] for r in page["recommendations"]]
    assert nearest[:2] in (["DMK-SKY-1", "DMK-SKY-2"], ["DMK-SKY-2", "DMK-SKY-1"])
    assert page["busy_units"] == []
    top = page["recommendations"][0]
    assert top["position"]["source"] == "post" and top["unit"]["availability"]["state"] == \
        "available" and top["unit"]["crew"] == {"signed_in": 0, "reachable": 0}
    dmk1, dmk2 = unit_id("DMK-SKY-1"), unit_id("DMK-SKY-2")
    console.post(f"/v1/operator/incidents/{first}/dispatch", json={"units": [dmk1]})

    page = console.get(f"/v1/operator/incidents/{second}").get_json()
    assert "DMK-SKY-1" not in [r["unit"]["call_sign"] for r in page["recommendations"]]
    busy, = page["busy_units"]
    assert busy["unit"]["call_sign"] == "DMK-SKY-1" and busy["reason"] == "busy"
    assert busy["availability"]["state"] == "assigned"
    assert busy["availability"]["incident"] == first and busy["distance_m"] < 1000
    own = console.get(f"/v1/operator/incidents/{first}").get_json()   # its own incident:
    assert own["busy_units"] == []                     # listed under dispatches, not busy

    db.session.execute(sa.update(Dispatch).values(
        ack_deadline=datetime.now(timezone.utc) - timedelta(seconds=1)))
    db.session.commit()
    assert len(escalate_overdue()) == 1                # DMK-SKY-1 never answered
    db.session.commit()
    page = console.get(f"/v1/operator/incidents/{second}").get_json()
    assert "DMK-SKY-1" not in [r["unit"]["call_sign"] for r in page["recommendations"]]
    busy, = page["busy_units"]
    assert (busy["unit"]["call_sign"], busy["reason"]) == ("DMK-SKY-1", "timed_out")
    assert busy["availability"]["state"] == "available"
    assert busy["availability"]["recent"] == "timed_out"
    app.config["RECENT_TIMEOUT_MINUTES"] = 0           # long ago: recommended again
    try:
        page = console.get(f"/v1/operator/incidents/{second}").get_json()
    finally:
        app.config["RECENT_TIMEOUT_MINUTES"] = 10
    assert "DMK-SKY-1" in [r["unit"]["call_sign"] for r in page["recommendations"]]
    assert page["busy_units"] == [] and dmk2


def test_escalation_never_dispatches_a_busy_unit(app, client, staff):
    from backend.dispatches.service import escalate_overdue

    console, key = Console(client, "operator1"), register(client)
    first, second = incident(client, console, key), incident(client, console, key)
    dmk1, dmk2 = unit_id("DMK-SKY-1"), unit_id("DMK-SKY-2")
    console.post(f"/v1/operator/incidents/{second}/dispatch", json={"units": [dmk2]})
    console.post(f"/v1/operator/incidents/{first}/dispatch", json={"units": [dmk1]})
    db.session.execute(sa.update(Dispatch).where(Dispatch.unit_id == dmk1).values(
        ack_deadline=datetime.now(timezone.utc) - timedelta(seconds=1)))
    db.session.commit()
    app.config["ESCALATION_MODE"] = "dispatch"
    try:
        escalate_overdue()
        db.session.commit()
    finally:
        app.config["ESCALATION_MODE"] = "propose"
    rows = fetch(sa.select(Dispatch).order_by(Dispatch.id))
    by_unit = {}
    for d in rows:
        by_unit.setdefault(d.unit_id, []).append(d.status)
    assert by_unit[dmk2] == ["pending"]                # still only on its own incident
    assert by_unit[dmk1] == ["timed_out"]
    third, = [d for d in rows if d.unit_id not in (dmk1, dmk2)]
    assert third.status == "pending" and third.incident_id == rows[1].incident_id
    assert max(open_dispatches_per_unit().values()) == 1
    change, = fetch(sa.select(Change).where(Change.type == "dispatch.escalated"))
    assert change.data["next"]["unit"] == third.unit_id


def test_the_unique_index_is_the_last_guard_and_answers_409(client, staff, monkeypatch):
    """A writer that skipped the lock-and-check still cannot double-book: 409, never 5xx."""
    from backend.dispatches import service

    console, key = Console(client, "operator1"), register(client)
    dmk = unit_id("DMK-SKY-1")
    first, second = incident(client, console, key), incident(client, console, key)
    console.post(f"/v1/operator/incidents/{first}/dispatch", json={"units": [dmk]})
    monkeypatch.setattr(service, "open_dispatches_of", lambda unit_ids: {})
    raced = console.post(f"/v1/operator/incidents/{second}/dispatch", json={"units": [dmk]})
    assert raced.status_code == 409, raced.get_json()
    assert raced.get_json()["error"]["code"] == "unit_busy"
    assert raced.get_json()["error"]["details"]["incident"] == first
    assert open_dispatches_per_unit() == {dmk: 1} and count("dispatches") == 1
    detail = console.get(f"/v1/operator/incidents/{second}").get_json()
    assert detail["incident"]["status"] == "open"       # nothing of the refused one was kept


@pytest.mark.parametrize("round_", range(3))
def test_two_operators_dispatching_one_unit_at_once_one_wins(app, staff, round_):
    """Invariant 8 under concurrency: same unit, two incidents, two operators, one instant."""
    clients = [app.test_client() for _ in range(2)]
    key = register(clients[0])
    consoles = [Console(clients[0], "operator1"), Console(clients[1], "operator2")]
    numbers = [incident(clients[0], consoles[0], key) for _ in range(2)]
    unit = unit_id(("DMK-SKY-1", "DMK-SKY-2", "DMK-SLL-1")[round_])
    barrier, answers = threading.Barrier(2), []

    def act(console, number):
        barrier.wait()
        response = console.post(f"/v1/operator/incidents/{number}/dispatch",
                                json={"units": [unit]})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=act, args=(c, n)) for c, n in zip(consoles, numbers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(status for status, _ in answers) == [201, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert refused["error"]["code"] == "unit_busy"
    assert open_dispatches_per_unit() == {unit: 1} and count("dispatches") == 1


def test_gps_fix_moves_a_unit_up_the_recommendation(client, staff):
    console, key = Console(client, "operator1"), register(client)
    scene = (SUNGAI_LILIN[0] + 0.01, SUNGAI_LILIN[1])   # about 1.1 km from the post
    number = incident(client, console, key, category="fire", at=scene)
    before = [r["unit"]["call_sign"] for r in
              console.get(f"/v1/operator/incidents/{number}").get_json()["recommendations"]]
    assert before[0] == "DMK-SLL-1"
    # Damkar Bayung Lencir's crew is driving past Sungai Lilin: its fresh fix wins.
    phone = responder(client, "dmk-byl-1")
    sync(client, phone, [op("responder.location", lat=scene[0] + 0.001, lon=scene[1],
                            accuracy_m=10)])
    page = console.get(f"/v1/operator/incidents/{number}").get_json()
    top = page["recommendations"][0]
    assert top["unit"]["call_sign"] == "DMK-BYL-1" and top["distance_m"] < 200
    assert top["position"]["source"] == "gps" and top["position"]["age_s"] < 60
    # The same fix, no longer fresh: back to its post, far away.
    db.session.execute(sa.update(Unit).where(mine("DMK-BYL-1")).values(
        fix_at=datetime.now(timezone.utc) - timedelta(minutes=11)))
    db.session.commit()
    after = console.get(f"/v1/operator/incidents/{number}").get_json()["recommendations"]
    assert [r["unit"]["call_sign"] for r in after] == before
