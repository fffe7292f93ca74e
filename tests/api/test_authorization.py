"""Every staff endpoint against every kind of caller, and one regency against another."""
from __future__ import annotations

import pytest

from backend.guide.content import SECTION_KEYS
from backend.places.service import DEMO_SET, read_geojson
from tests.helpers import Console, register, sos

KECAMATAN = read_geojson(DEMO_SET / "kecamatan.geojson")["features"][0]

ANYONE_STAFF = {"operator": 200, "supervisor": 200, "admin": 200}
TRIAGE = {"operator": 200, "supervisor": 200, "admin": 403}
ADMIN_ONLY = {"operator": 403, "supervisor": 403, "admin": 200}
AUDIT = {"operator": 403, "supervisor": 200, "admin": 200}
MONITOR = {"operator": 403, "supervisor": 200, "admin": 200}
# No report exists in this world: who may read one is told 404, who may not 403.
MONITOR_MISSING = {"operator": 403, "supervisor": 404, "admin": 404}

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
    ("get", "/v1/operator/board", None, MONITOR),
    ("get", "/v1/operator/signal", None, MONITOR),
    ("get", "/v1/operator/coverage?k=1", None, MONITOR),
    ("get", "/v1/operator/places/areas.geojson?level=kecamatan", None, ANYONE_STAFF),
    ("get", "/v1/operator/places/search?q=sekayu", None, ANYONE_STAFF),
    ("get", "/v1/admin/areas", None, ADMIN_ONLY),
    ("get", "/v1/operator/evaluations", None, MONITOR),
    ("post", "/v1/operator/evaluations", {"month": "2026-10"},
     {**MONITOR, "supervisor": 201, "admin": 201}),
    ("get", "/v1/operator/evaluations/{evaluation}", None, MONITOR_MISSING),
    ("get", "/v1/operator/evaluations/{evaluation}/report.pdf", None, MONITOR_MISSING),
    ("put", "/v1/operator/evaluations/{evaluation}/evaluation", {"keep": "a", "improve": "b"},
     MONITOR_MISSING),
    ("post", "/v1/admin/areas", {"type": "FeatureCollection", "features": [KECAMATAN]},
     ADMIN_ONLY),
    ("get", "/v1/admin/agencies", None, ADMIN_ONLY),
    ("post", "/v1/admin/agencies", {"type": "police", "name": "Polsek Baru"},
     {**ADMIN_ONLY, "admin": 201}),
    ("get", "/v1/admin/routing", None, ADMIN_ONLY),
    ("put", "/v1/admin/routing/fire", {"agency_types": ["fire_brigade", "police"]}, ADMIN_ONLY),
    ("patch", "/v1/admin/agencies/{agency}", {"name": "Damkar Baru"}, ADMIN_ONLY),
    ("get", "/v1/admin/units", None, ADMIN_ONLY),
    ("post", "/v1/admin/units", {"agency_id": "{agency}", "name": "Unit Baru", "call_sign": "B1",
                                 "post_name": "Pos", "lat": -2.9, "lon": 103.8},
     {**ADMIN_ONLY, "admin": 201}),
    ("patch", "/v1/admin/units/{unit}", {"post_name": "Pos Lama"}, ADMIN_ONLY),
    ("get", "/v1/admin/users", None, ADMIN_ONLY),
    ("post", "/v1/admin/users", {"username": "op-new", "name": "Baru", "role": "operator",
                                 "password": "panjang-sekali-1"}, {**ADMIN_ONLY, "admin": 201}),
    ("patch", "/v1/admin/users/{operator2}", {"name": "Operator Dua Baru"}, ADMIN_ONLY),
    ("post", "/v1/admin/users/{operator2}/disable", None, ADMIN_ONLY),
    ("post", "/v1/admin/users/{operator2}/enable", None, ADMIN_ONLY),
    ("post", "/v1/admin/users/{operator2}/password", {"password": "sandi-baru-123"}, ADMIN_ONLY),
    ("get", "/v1/admin/guide", None, ADMIN_ONLY),
    ("put", "/v1/admin/guide", {"base_version": 0, "sms_example_desa": "Kayu Ara",
                                "sections": {k: {"title": {"id": "Judul"},
                                                 "text": {"id": "Teks."}}
                                             for k in SECTION_KEYS}}, ADMIN_ONLY),
    ("get", "/v1/admin/responders", None, ADMIN_ONLY),
    ("post", "/v1/admin/responders", {"username": "kru-new", "name": "Kru", "unit_id": "{unit}",
                                      "password": "panjang-sekali-1"},
     {**ADMIN_ONLY, "admin": 201}),
    ("patch", "/v1/admin/responders/{crew}", {"unit_id": "{unit}"}, ADMIN_ONLY),
    ("post", "/v1/operator/devices/{device}/mute", {"muted": True}, TRIAGE),
    ("post", "/v1/operator/devices/{device}/revoke", None, TRIAGE),
    ("get", "/v1/operator/sms/messages", None, ANYONE_STAFF),
    ("get", "/v1/operator/sms/blocked", None, ANYONE_STAFF),
    ("post", "/v1/operator/sms/blocked", {"number": "+6281234567890", "reason": "abuse"},
     {**TRIAGE, "operator": 201, "supervisor": 201}),
    ("post", "/v1/operator/sms/unblock", {"number": "+6281234567890"},
     {**TRIAGE, "operator": 404, "supervisor": 404}),  # nothing blocked in this world
    ("post", "/v1/operator/reports/{ref}/sms", {"text": "Bantuan menuju lokasi."},
     {**TRIAGE, "operator": 409, "supervisor": 409}),  # an app SOS from a phone with no number
    ("post", "/v1/operator/reports/{ref}/aml/accept", None,
     {**TRIAGE, "operator": 409, "supervisor": 409}),  # an app SOS: no AML to accept
    ("get", "/v1/operator/places/areas.geojson?level=kecamatan", None, ANYONE_STAFF),
    ("get", "/v1/operator/places/search?q=kayu", None, ANYONE_STAFF),
    ("get", "/v1/admin/areas", None, ADMIN_ONLY),
    ("get", "/v1/operator/evaluations", None, MONITOR),
    ("post", "/v1/operator/evaluations", {"month": "2026-10"},
     {**MONITOR, "supervisor": 201, "admin": 201}),
    ("get", "/v1/operator/evaluations/{evaluation}", None, MONITOR_MISSING),
    ("get", "/v1/operator/evaluations/{evaluation}/report.pdf", None, MONITOR_MISSING),
    ("put", "/v1/operator/evaluations/{evaluation}/evaluation", {"keep": "a", "improve": "b"},
     MONITOR_MISSING),
    ("post", "/v1/admin/areas", {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"code": "16.06.01.2999", "name": "Desa Uji",
                                          "level": "desa", "parent_code": "16.06.01"},
        "geometry": {"type": "Polygon", "coordinates": [[[103.80, -2.90], [103.81, -2.90],
                                                         [103.81, -2.89], [103.80, -2.90]]]}}]},
     ADMIN_ONLY),
    ("get", "/v1/operator/kpi?start=2026-11-01&end=2026-12-01", None, AUDIT),
    ("get", "/v1/admin/kpi-targets", None, ADMIN_ONLY),
    ("put", "/v1/admin/kpi-targets/{measure}", {"seconds": 90, "share": 0.9}, ADMIN_ONLY),
    ("delete", "/v1/admin/kpi-targets/{measure}", None, {**ADMIN_ONLY, "admin": 404}),
]

# A body (or query) that fails validation: who may not call the endpoint must get 401/403,
# never a 422 that describes the schema.
INVALID = {"post": {"bogus": "\u0000", "units": "x", "status": 7, "priority": "x", "text": 5,
                    "password": 1, "username": 2, "agency_id": "x", "unit_id": "x",
                    "category": 9, "reason": 3, "incident": 4, "type": 5, "name": 6},
           "patch": {"name": 1, "lat": "x", "unit_id": "x", "phone": 2, "role": 3},
           "put": {"agency_types": "x", "seconds": "x"},
           "get": None, "delete": None}


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value in ("{unit}", "{agency}", "{device}") else filled
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
    admin = Console(client, "admin")
    agency = admin.get("/v1/admin/agencies").get_json()["agencies"][0]["id"]
    users = admin.get("/v1/admin/users").get_json()["users"]
    crew = admin.get("/v1/admin/responders").get_json()["responders"]
    client.delete("/v1/operator/session", headers={"X-CSRF-Token": admin.csrf})
    source = register(client)  # a phone for the mute/revoke endpoints
    device = client.get("/v1/devices/me",
                        headers={"Authorization": f"Bearer {source}"}).get_json()["device_id"]
    return key, {"ref": fresh, "number": number, "unit": unit, "agency": agency,
                 "evaluation": 4242, "measure": "triage",
                 "device": device,
                 "operator2": next(u["id"] for u in users if u["username"] == "operator2"),
                 "crew": crew[0]["id"]}


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


def _query_or_body(method, path, body):
    if method == "get":
        return path + ("&" if "?" in path else "?") + "limit=-1&bogus=1", None
    return path, INVALID[method]


@pytest.mark.parametrize("method,path,body,expected", ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
@pytest.mark.parametrize("role", ["operator", "supervisor", "admin", None])
def test_authorization_is_checked_before_input_validation(app, staff, method, path, body,
                                                          expected, role):
    client = app.test_client()
    _, ids = _world(client)
    if role:
        csrf = Console(client, {"operator": "operator1"}.get(role, role)).csrf
    else:  # a stranger with a CSRF token (anyone gets one from GET /v1/operator/session)
        csrf = client.get("/v1/operator/session").get_json()["csrf_token"]
    url, bad = _query_or_body(method, _fill(path, ids), body)
    response = _call(client, method, url, bad, csrf)
    if role is None:
        assert response.status_code == 401, response.get_json()
        assert response.get_json()["error"]["code"] == "not_signed_in"
    elif expected[role] == 403:
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"]["code"] == "forbidden"
    elif (body is not None or method == "get") and path not in DETAIL_PAGES:
        # allowed: the bad input is refused with a structured 422, nothing else
        assert response.status_code in (404, 422) if "{" in path else 422, (
            url, response.get_json())
        if response.status_code == 422:
            assert response.get_json()["error"]["code"] == "validation_error"


# GET endpoints without query arguments (an unknown parameter there is simply ignored).
DETAIL_PAGES = {"/v1/operator/reports/{ref}", "/v1/operator/incidents/{number}",
                "/v1/operator/evaluations", "/v1/operator/evaluations/{evaluation}",
                "/v1/operator/evaluations/{evaluation}/report.pdf"}

# Endpoints every caller may reach (signing in) or that stream (checked on their own below).
UNGUARDED = {("get", "/v1/operator/session"), ("post", "/v1/operator/session"),
             ("delete", "/v1/operator/session"), ("get", "/v1/operator/feed")}


def test_every_staff_endpoint_is_in_the_matrix(app):
    listed = {(m, p.split("?")[0]) for m, p, _, _ in ENDPOINTS}
    placeholders = {"<ref>": "{ref}", "<number>": "{number}", "<int:unit_id>": "{unit}",
                    "<int:agency_id>": "{agency}", "<int:user_id>": "{operator2}",
                    "<int:device_id>": "{device}", "<int:report_id>": "{evaluation}",
                    "<any(pdf, html):kind>": "pdf",
                    "<category>": "fire", "<measure>": "{measure}"}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/v1/operator", "/v1/admin")):
            continue
        path = rule.rule
        for name, value in placeholders.items():
            path = path.replace(name, value)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = (method.lower(), path)
            crew_path = path.replace("{operator2}", "{crew}")
            if key not in listed | UNGUARDED and (key[0], crew_path) not in listed:
                missing.append(key)
    assert not missing, f"add these endpoints to ENDPOINTS: {sorted(missing)}"


def test_the_live_feed_needs_a_signed_in_staff_user(client, staff):
    response = client.get("/v1/operator/feed")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_signed_in"


def test_an_operator_posting_to_an_admin_endpoint_learns_nothing_of_its_schema(app, staff):
    operator = Console(app.test_client(), "operator1")
    response = operator.post("/v1/admin/users", json={"username": 1})
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"]["code"] == "forbidden" and body["error"]["details"] == {}
    assert "username" not in response.get_data(as_text=True)


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
