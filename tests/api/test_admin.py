"""Administration: agencies, units, console accounts and crew — on both databases.

Every change is audited with before/after (never a password); bad input is a 4xx that writes
nothing; disabling, demoting or resetting a user ends every session they hold.
"""
from __future__ import annotations

import json

import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.units.models import Unit
from tests.helpers import Console, fetch, register, row_counts, sos

PASSWORD = "siaga112-demo"


def _events(action: str) -> list[AuditEvent]:
    return fetch(sa.select(AuditEvent).where(AuditEvent.action == action)
                 .order_by(AuditEvent.id))


def _admin(app) -> Console:
    return Console(app.test_client(), "admin")


def _user_id(admin: Console, username: str) -> int:
    users = admin.get("/v1/admin/users").get_json()["users"]
    return next(u["id"] for u in users if u["username"] == username)


def test_admin_edits_an_agency(app, staff):
    admin = _admin(app)
    agency = admin.get("/v1/admin/agencies").get_json()["agencies"][0]
    edited = admin.patch(f"/v1/admin/agencies/{agency['id']}",
                         json={"name": "Damkar Muba", "phone": "0714-000"})
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["name"] == "Damkar Muba" and edited.get_json()["phone"] == "0714-000"
    cleared = admin.patch(f"/v1/admin/agencies/{agency['id']}", json={"phone": None})
    assert cleared.get_json()["phone"] is None
    first, second = _events("agency.update")
    assert first.before == {"name": agency["name"], "phone": agency["phone"]}
    assert first.after == {"name": "Damkar Muba", "phone": "0714-000"}
    assert second.before == {"phone": "0714-000"} and second.after == {"phone": None}
    other = Console(app.test_client(), "admin-1607")
    assert other.patch(f"/v1/admin/agencies/{agency['id']}",
                       json={"name": "Bukan milikmu"}).status_code == 404


def test_admin_moves_a_post_retires_and_reactivates_a_unit(app, staff):
    admin = _admin(app)
    unit = admin.get("/v1/admin/units").get_json()["units"][0]
    moved = admin.patch(f"/v1/admin/units/{unit['id']}",
                        json={"post_name": "Pos Baru", "lat": -2.9, "lon": 103.9,
                              "call_sign": "BARU-1"})
    assert moved.status_code == 200, moved.get_json()
    body = moved.get_json()
    assert (body["post_name"], body["lat"], body["lon"], body["call_sign"]) == \
        ("Pos Baru", -2.9, 103.9, "BARU-1")
    event, = _events("unit.update")
    assert event.before == {"post_name": unit["post_name"], "lat": unit["lat"],
                            "lon": unit["lon"], "call_sign": unit["call_sign"]}
    assert event.after["lat"] == -2.9
    operator = Console(app.test_client(), "operator1")
    retired = admin.patch(f"/v1/admin/units/{unit['id']}", json={"active": False})
    assert retired.status_code == 200 and retired.get_json()["active"] is False
    assert unit["id"] not in {u["id"] for u in operator.get("/v1/operator/units")
                              .get_json()["units"]}
    assert unit["id"] in {u["id"] for u in admin.get("/v1/admin/units").get_json()["units"]}
    key = register(app.test_client())
    ref = sos(app.test_client(), key, category="fire", lat=-2.9, lon=103.9)
    number = operator.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]
    detail = operator.get(f"/v1/operator/incidents/{number}").get_json()
    assert unit["id"] not in {r["unit"]["id"] for r in detail["recommendations"]}
    back = admin.patch(f"/v1/admin/units/{unit['id']}", json={"active": True})
    assert back.get_json()["active"] is True
    assert [e.action for e in fetch(sa.select(AuditEvent).where(
        AuditEvent.entity_type == "unit", AuditEvent.entity_id == str(unit["id"]),
        AuditEvent.action != "unit.create").order_by(AuditEvent.id))] == \
        ["unit.update", "unit.retire", "unit.reactivate"]


def test_a_unit_on_an_open_dispatch_cannot_be_retired(app, staff):
    admin, operator = _admin(app), Console(app.test_client(), "operator1")
    key = register(app.test_client())
    ref = sos(app.test_client(), key, category="fire")
    number = operator.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]
    unit = operator.get(f"/v1/operator/incidents/{number}").get_json()[
        "recommendations"][0]["unit"]["id"]
    assert operator.post(f"/v1/operator/incidents/{number}/dispatch",
                         json={"units": [unit]}).status_code == 201
    before = row_counts()
    refused = admin.patch(f"/v1/admin/units/{unit}", json={"active": False, "name": "Baru"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "unit_on_dispatch"
    assert row_counts() == before
    assert fetch(sa.select(Unit).where(Unit.id == unit))[0].active is True


def test_bad_admin_input_is_a_structured_4xx_that_writes_nothing(app, staff):
    admin = _admin(app)
    unit = admin.get("/v1/admin/units").get_json()["units"][0]["id"]
    operator = _user_id(admin, "operator1")
    before = row_counts()
    for method, path, body, status in [
        ("patch", f"/v1/admin/units/{unit}", {"lon": "103.9"}, 422),       # not a number
        ("patch", f"/v1/admin/units/{unit}", {"lat": 91, "lon": 0}, 422),
        ("patch", f"/v1/admin/units/{unit}", {"active": "no"}, 422),
        ("patch", "/v1/admin/units/999999", {"name": "Tidak ada"}, 404),
        ("patch", f"/v1/admin/users/{operator}", {"role": "responder"}, 422),
        ("patch", f"/v1/admin/users/{operator}", {"role": "root"}, 422),
        ("post", f"/v1/admin/users/{operator}/password", {"password": "pendek"}, 422),
        ("post", "/v1/admin/users/999999/disable", None, 404),
        ("post", "/v1/admin/users", {"username": "operator1", "name": "Dobel",
                                     "role": "operator", "password": "panjang-sekali"}, 409),
        ("post", "/v1/admin/responders", {"username": "kru-baru", "name": "Kru",
                                          "password": "panjang-sekali", "unit_id": 999999}, 404),
        ("patch", "/v1/admin/agencies/1", {"phone": "<script>"}, 422),
    ]:
        response = getattr(admin, method)(path, json=body)
        assert response.status_code == status, (path, body, response.get_json())
        assert set(response.get_json()["error"]) == {"code", "message", "details"}
    assert row_counts() == before


def test_admin_creates_edits_disables_and_resets_users_and_sessions_end(app, staff):
    admin = _admin(app)
    created = admin.post("/v1/admin/users", json={
        "username": "op-baru", "name": "Operator Baru", "role": "operator",
        "password": "rahasia-baru-1", "locale": "en"})
    assert created.status_code == 201, created.get_json()
    new_id = created.get_json()["id"]
    assert created.get_json()["active"] is True
    event, = _events("user.create")
    assert event.after["username"] == "op-baru" and "password" not in json.dumps(event.after)

    # an open session of the new user ends when an admin changes the role
    session = Console(app.test_client(), "op-baru", "rahasia-baru-1")
    assert session.get("/v1/operator/inbox").status_code == 200
    promoted = admin.patch(f"/v1/admin/users/{new_id}", json={"role": "supervisor",
                                                              "name": "Supervisor Baru"})
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "supervisor"
    assert session.get("/v1/operator/inbox").status_code == 401
    assert _events("user.update")[0].before == {"name": "Operator Baru", "role": "operator"}

    # a name-only edit keeps sessions
    session = Console(app.test_client(), "op-baru", "rahasia-baru-1")
    admin.patch(f"/v1/admin/users/{new_id}", json={"name": "Supervisor Satu"})
    assert session.get("/v1/operator/inbox").status_code == 200

    # disabling ends the session and refuses sign-in; enabling lets them back in
    disabled = admin.post(f"/v1/admin/users/{new_id}/disable")
    assert disabled.status_code == 200 and disabled.get_json()["active"] is False
    assert session.get("/v1/operator/inbox").status_code == 401
    client = app.test_client()
    token = client.get("/v1/operator/session").get_json()["csrf_token"]
    refused = client.post("/v1/operator/session", headers={"X-CSRF-Token": token},
                          json={"username": "op-baru", "password": "rahasia-baru-1"})
    assert refused.status_code == 401
    assert admin.post(f"/v1/admin/users/{new_id}/enable").get_json()["active"] is True
    session = Console(app.test_client(), "op-baru", "rahasia-baru-1")

    # a password reset ends the session; the old password stops working, the new one works
    reset = admin.post(f"/v1/admin/users/{new_id}/password",
                       json={"password": "sandi-baru-sekali"})
    assert reset.status_code == 200
    assert session.get("/v1/operator/inbox").status_code == 401
    old = client.post("/v1/operator/session", headers={"X-CSRF-Token": token},
                      json={"username": "op-baru", "password": "rahasia-baru-1"})
    assert old.status_code == 401
    Console(app.test_client(), "op-baru", "sandi-baru-sekali")
    assert [e.action for e in fetch(sa.select(AuditEvent).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == str(new_id),
        AuditEvent.action.not_in(("user.login", "user.login_failed")))
        .order_by(AuditEvent.id))] == ["user.create", "user.update", "user.update",
                                       "user.disable", "user.enable", "user.password_reset"]
    everything = json.dumps([[e.before, e.after] for e in fetch(sa.select(AuditEvent))])
    for secret in ("rahasia-baru-1", "sandi-baru-sekali", PASSWORD):
        assert secret not in everything


def test_the_last_admin_cannot_disable_or_demote_themselves(app, staff):
    admin = _admin(app)
    me = _user_id(admin, "admin")
    before = row_counts()
    for response in (admin.post(f"/v1/admin/users/{me}/disable"),
                     admin.patch(f"/v1/admin/users/{me}", json={"role": "operator"})):
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["error"]["code"] == "last_admin"
    assert row_counts() == before
    assert admin.get("/v1/admin/users").status_code == 200
    second = admin.post("/v1/admin/users", json={"username": "admin2", "name": "Admin Dua",
                                                 "role": "admin", "password": "admin-dua-123"})
    assert second.status_code == 201
    demoted = admin.patch(f"/v1/admin/users/{me}", json={"role": "supervisor"})
    assert demoted.status_code == 200
    assert admin.get("/v1/admin/users").status_code == 401  # the role change ended the session
    other = Console(app.test_client(), "admin2", "admin-dua-123")
    assert other.post(f"/v1/admin/users/{second.get_json()['id']}/disable").status_code == 409


def test_admin_manages_crew(app, staff):
    admin = _admin(app)
    client = app.test_client()
    phone = register(client, kind="responder")
    signed = client.post("/v1/responder/session", headers={"Authorization": f"Bearer {phone}"},
                         json={"username": "dmk-sky-1", "password": PASSWORD})
    assert signed.status_code == 200, signed.get_json()
    crew = admin.get("/v1/admin/responders").get_json()["responders"]
    assert "dmk-sky-1" not in {u["username"] for u in admin.get("/v1/admin/users")
                               .get_json()["users"]}
    member = next(c for c in crew if c["username"] == "dmk-sky-1")
    assert member["devices_signed_in"] == 1 and member["on_duty"] is True
    assert member["unit_name"] == "[DEMO] Damkar Sekayu 1" and member["unit_call_sign"] == "DMK-SKY-1"
    assert all(c["devices_signed_in"] == 0 for c in crew if c["username"] != "dmk-sky-1")

    units = admin.get("/v1/admin/units").get_json()["units"]
    other_unit = next(u for u in units if u["call_sign"] == "AMB-SKY-1")
    created = admin.post("/v1/admin/responders", json={
        "username": "kru-baru", "name": "Kru Baru", "password": "kru-baru-123",
        "unit_id": units[0]["id"]})
    assert created.status_code == 201
    assert _events("responder.create")[0].after["unit_id"] == units[0]["id"]
    moved = admin.patch(f"/v1/admin/responders/{member['id']}",
                        json={"unit_id": other_unit["id"]})
    assert moved.status_code == 200 and moved.get_json()["unit_id"] == other_unit["id"]
    event, = _events("responder.update")
    assert event.after == {"unit_id": other_unit["id"]}
    operator = _user_id(admin, "operator1")
    assert admin.patch(f"/v1/admin/responders/{operator}",
                       json={"unit_id": other_unit["id"]}).status_code == 404

    assert client.get("/v1/responder/dispatches",
                      headers={"Authorization": f"Bearer {phone}"}).status_code == 200
    assert admin.post(f"/v1/admin/users/{member['id']}/disable").status_code == 200
    cut = client.get("/v1/responder/dispatches", headers={"Authorization": f"Bearer {phone}"})
    assert cut.status_code == 401
    assert _events("responder.disable")[0].entity_id == str(member["id"])


def test_crew_accounts_cannot_sign_in_to_the_console(app, staff):
    client = app.test_client()
    token = client.get("/v1/operator/session").get_json()["csrf_token"]
    refused = client.post("/v1/operator/session", headers={"X-CSRF-Token": token},
                          json={"username": "dmk-sky-1", "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "not_staff"
    assert client.get("/v1/operator/inbox").status_code == 401
    page = client.post("/console/login", data={"username": "dmk-sky-1", "password": PASSWORD,
                                               "csrf_token": token})
    assert page.status_code == 403
    assert client.get("/console/", follow_redirects=False).status_code == 302
    events = _events("user.login_failed")
    assert [e.after["reason"] for e in events] == ["not_staff", "not_staff"]
    assert not _events("user.login")


def test_failed_console_sign_ins_are_audited_with_the_client_address(app, staff):
    client = app.test_client()
    token = client.get("/v1/operator/session").get_json()["csrf_token"]
    for username in ("operator1", "nobody-here"):
        response = client.post("/v1/operator/session", headers={"X-CSRF-Token": token},
                               json={"username": username, "password": "tebakan-salah"},
                               environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert response.status_code == 401
    client.post("/console/login", data={"username": "operator1", "password": "salah-lagi",
                                        "csrf_token": token})
    known, unknown, form = _events("user.login_failed")
    assert (known.actor_type, known.actor_id) == ("client", "10.1.2.3")
    assert known.entity_type == "user" and known.after == {
        "username": "operator1", "client": "10.1.2.3", "reason": "invalid_credentials"}
    assert (unknown.entity_type, unknown.entity_id) == ("username", "nobody-here")
    assert form.after["client"] == "127.0.0.1"
    stored = json.dumps([[e.before, e.after] for e in (known, unknown, form)])
    assert "tebakan-salah" not in stored and "salah-lagi" not in stored
