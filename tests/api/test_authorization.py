"""Every staff endpoint against every kind of caller, and one regency against another."""
from __future__ import annotations

import pytest

from backend.places.service import DEMO_SET, read_geojson
from tests.helpers import Console, register, sos

KECAMATAN = read_geojson(DEMO_SET / "kecamatan.geojson")["features"][0]

ANYONE_STAFF = {"operator": 200, "supervisor": 200, "admin": 200}
TRIAGE = {"operator": 200, "supervisor": 200, "admin": 403}
ADMIN_ONLY = {"operator": 403, "supervisor": 403, "admin": 200}
AUDIT = {"operator": 403, "supervisor": 200, "admin": 200}

# (method, path template, body, expected status by role); {ref}/{number}/{unit} are filled in.
ENDPOINTS = [
    ("get", "/v1/operator/inbox", None, ANYONE_STAFF),
    ("get", "/v1/operator/reports/{ref}", None, ANYONE_STAFF),
    ("post", "/v1/operator/reports", {"category": "fire", "note": "x"},
     {**TRIAGE, "operator": 201, "supervisor": 201}),
    ("post", "/v1/operator/reports/{ref}/reject", {"reason": "test"}, TRIAGE),
    ("post", "/v1/operator/reports/{ref}/confirm", {}, TRIAGE),
    ("post", "/v1/operator/reports/{ref}/merge", {"incident": "{number}"}, TRIAGE),
    ("post", "/v1/operator/reports/{ref}/split", None, {**TRIAGE, "operator": 409,
                                                        "supervisor": 409}),
    ("get", "/v1/operator/incidents", None, ANYONE_STAFF),
    ("get", "/v1/operator/incidents/{number}", None, ANYONE_STAFF),
    ("post", "/v1/operator/incidents/{number}/priority", {"priority": 2}, TRIAGE),
    ("post", "/v1/operator/incidents/{number}/notes", {"text": "catatan"},
     {**TRIAGE, "operator": 201, "supervisor": 201}),
    ("post", "/v1/operator/incidents/{number}/dispatch", {"units": ["{unit}"]},
     {**TRIAGE, "operator": 201, "supervisor": 201}),
    ("post", "/v1/operator/incidents/{number}/dispatch",           # reassigning: same rights
     {"units": ["{unit}"], "reassign": True, "reason": "lebih dekat"},
     {**TRIAGE, "operator": 201, "supervisor": 201}),
    ("post", "/v1/operator/incidents/{number}/status", {"status": "resolved"}, TRIAGE),
    ("get", "/v1/operator/units", None, ANYONE_STAFF),
    ("post", "/v1/operator/units/{unit}/duty", {"on_duty": True}, ANYONE_STAFF),
    ("get", "/v1/operator/audit", None, AUDIT),
    ("get", "/v1/operator/places/areas.geojson?level=kecamatan", None, ANYONE_STAFF),
    ("get", "/v1/operator/places/search?q=sekayu", None, ANYONE_STAFF),
    ("get", "/v1/admin/areas", None, ADMIN_ONLY),
    ("post", "/v1/admin/areas", {"type": "FeatureCollection", "features": [KECAMATAN]},
     ADMIN_ONLY),
    ("get", "/v1/admin/agencies", None, ADMIN_ONLY),
    ("post", "/v1/admin/agencies", {"type": "police", "name": "Polsek Baru"},
     {**ADMIN_ONLY, "admin": 201}),
    ("get", "/v1/admin/routing", None, ADMIN_ONLY),
    ("put", "/v1/admin/routing/fire", {"agency_types": ["fire_brigade", "police"]}, ADMIN_ONLY),
    ("get", "/v1/admin/users", None, ADMIN_ONLY),
    ("post", "/v1/admin/users", {"username": "op-new", "name": "Baru", "role": "operator",
                                 "password": "panjang-sekali-1"}, {**ADMIN_ONLY, "admin": 201}),
]


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value == "{unit}" else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _world(client):
    """One confirmed incident with a unit, one fresh report, ids to fill the paths."""
    key = register(client)
    first, fresh = sos(client, key), sos(client, key)
    setup = Console(client, "supervisor")
    number = setup.post(f"/v1/operator/reports/{first}/confirm", json={}).get_json()["number"]
    unit = setup.get("/v1/operator/units").get_json()["units"][0]["id"]
    client.delete("/v1/operator/session", headers={"X-CSRF-Token": setup.csrf})
    return key, {"ref": fresh, "number": number, "unit": unit}


def _call(client, method, path, body, csrf):
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return getattr(client, method)(path, json=body, headers=headers)


@pytest.mark.parametrize("method,path,body,expected", ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
@pytest.mark.parametrize("role", ["operator", "supervisor", "admin"])
def test_each_role_gets_what_it_may(app, staff, method, path, body, expected, role):
    client = app.test_client()
    _, ids = _world(client)
    console = Console(client, {"operator": "operator1"}.get(role, role))
    response = _call(client, method, _fill(path, ids), _fill(body, ids), console.csrf)
    assert response.status_code == expected[role], response.get_json()


@pytest.mark.parametrize("method,path,body,expected", ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_strangers_and_phones_are_refused(app, staff, method, path, body, expected):
    client = app.test_client()
    key, ids = _world(client)
    anonymous = _call(client, method, _fill(path, ids), _fill(body, ids), None)
    assert anonymous.status_code in (401, 403)
    if method != "get":  # unsafe without a CSRF token is refused before anything else
        assert anonymous.get_json()["error"]["code"] == "csrf_failed"
    else:
        assert anonymous.get_json()["error"]["code"] == "not_signed_in"
    phone = getattr(client, method)(_fill(path, ids), json=_fill(body, ids),
                                    headers={"Authorization": f"Bearer {key}"})
    assert phone.status_code in (401, 403)


def test_signed_in_without_csrf_cannot_change_anything(app, staff):
    client = app.test_client()
    key, ids = _world(client)
    Console(client, "operator1")
    response = client.post(f"/v1/operator/reports/{ids['ref']}/confirm", json={})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_one_regency_cannot_see_or_touch_another(app, staff):
    client = app.test_client()
    key, ids = _world(client)                              # all of it in Musi Banyuasin (1606)
    other = Console(client, "operator1-1607")              # Banyuasin's operator
    assert other.get("/v1/operator/inbox").get_json()["reports"] == []
    assert other.get("/v1/operator/incidents").get_json()["incidents"] == []
    assert other.get(f"/v1/operator/reports/{ids['ref']}").status_code == 404
    assert other.get(f"/v1/operator/incidents/{ids['number']}").status_code == 404
    for path, body in [(f"/v1/operator/reports/{ids['ref']}/confirm", {}),
                       (f"/v1/operator/reports/{ids['ref']}/reject", {"reason": "prank"}),
                       (f"/v1/operator/incidents/{ids['number']}/dispatch",
                        {"units": [ids["unit"]]}),
                       (f"/v1/operator/units/{ids['unit']}/duty", {"on_duty": False})]:
        response = other.post(path, json=body)
        assert response.status_code == 404, (path, response.get_json())
    own_units = {u["id"] for u in other.get("/v1/operator/units").get_json()["units"]}
    assert ids["unit"] not in own_units
    supervisor = Console(app.test_client(), "supervisor-1607")
    events = supervisor.get("/v1/operator/audit").get_json()["events"]
    assert all(e["entity_id"] != ids["ref"] for e in events)
