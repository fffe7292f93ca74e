import pytest
import sqlalchemy as sa

from backend.devices.models import Device
from backend.devices.service import hash_key
from tests.helpers import count, fetch, register, row_counts


def test_register_returns_a_key_stored_only_as_hash(client):
    response = client.post("/v1/devices", json={"platform": "android", "app_version": "1.2.0",
                                                "locale": "id", "phone": "+6281234567890"})
    assert response.status_code == 201
    body = response.get_json()
    key = body["device_key"]
    assert key.startswith("sk1_") and len(key) > 40
    assert body["regency"] == {"code": "1606", "name": "Musi Banyuasin"}
    device, = fetch(sa.select(Device))
    assert device.key_hash == hash_key(key) and key not in device.key_hash
    assert device.phone == "+6281234567890" and device.kind == "citizen"


def test_me_and_revoke(client):
    key = register(client)
    auth = {"Authorization": f"Bearer {key}"}
    me = client.get("/v1/devices/me", headers=auth)
    assert me.status_code == 200 and me.get_json()["platform"] == "android"
    assert client.delete("/v1/devices/me", headers=auth).status_code == 204
    after = client.get("/v1/devices/me", headers=auth)
    assert after.status_code == 401 and after.get_json()["error"]["code"] == "revoked_device_key"


@pytest.mark.parametrize("body,field", [
    ({"platform": "nokia3310", "app_version": "1"}, "platform"),
    ({"platform": "android"}, "app_version"),
    ({"platform": "android", "app_version": 12}, "app_version"),
    ({"platform": "android", "app_version": "1", "locale": "fr"}, "locale"),
    ({"platform": "android", "app_version": "1", "phone": "call me"}, "phone"),
    ({"platform": "android", "app_version": "1.0\u0000"}, "app_version"),
])
def test_register_validation_errors_are_structured(client, body, field):
    before = row_counts()
    response = client.post("/v1/devices", json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]
    assert row_counts() == before


def test_register_malformed_json_and_wrong_media_type(client):
    bad = client.post("/v1/devices", data=b'{"platform": NaN}',
                      headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "malformed_json"
    form = client.post("/v1/devices", data={"platform": "android"})
    assert form.status_code == 415
    assert form.get_json()["error"]["code"] == "unsupported_media_type"
    assert count("devices") == 0
