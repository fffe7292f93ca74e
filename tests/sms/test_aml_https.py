"""AML over HTTPS (POST /v1/aml/https): the mobile network operator's endpoint posts the
form; it is authenticated (HMAC and/or allow-list), always answered 200 once readable, stored
once however often it is delivered, and matched or held through the AML-by-SMS path."""
from __future__ import annotations

import os
import time
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from backend.metrics.instruments import SMS_INBOUND
from backend.reports.models import Report
from backend.sms.gateways.webhook import signature
from backend.sms.models import AmlFix, SmsMessage
from tests.helpers import Console, fetch

SECRET = "aml-shared-secret"
CALLER = "+6281298765432"


@pytest.fixture(autouse=True)
def _aml_secret(app, monkeypatch):
    monkeypatch.setitem(app.config, "AML_HTTPS_SECRET", SECRET)
    monkeypatch.setitem(app.config, "AML_HTTPS_ALLOW", "")


def form(**overrides) -> dict:
    values = {"v": "3", "device_number": CALLER, "location_latitude": "-2.912340",
              "location_longitude": "103.876540", "location_accuracy": "18.5",
              "location_confidence": "68", "location_time": str(int(time.time() * 1000)),
              "location_source": "gps", "device_imei": "356938035643809",
              "device_imsi": "510100000000000", "cell_network_mcc": "510",
              "cell_network_mnc": "10", "device_model": "Pixel 7", "thunderbird_version": "2"}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def post(client, body, *, secret=SECRET, timestamp=None):
    body = body if isinstance(body, bytes) else urlencode(body).encode()
    ts = timestamp or str(int(time.time()))
    return client.post("/v1/aml/https", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Timestamp": ts,
        "X-Signature": signature(secret, body, ts)})


def _fixes() -> list[AmlFix]:
    return fetch(sa.select(AmlFix).order_by(AmlFix.id))


def _rows() -> list[SmsMessage]:
    return fetch(sa.select(SmsMessage).order_by(SmsMessage.id))


def _call(console, phone="081298765432") -> str:
    response = console.post("/v1/operator/reports", json={
        "category": "health", "note": "ibu pingsan", "caller_phone": phone,
        "desa_code": "16.06.01.1009"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["ref"]


def test_valid_aml_is_held_then_attached_to_the_call_report_and_not_applied(client, staff):
    held = SMS_INBOUND.labels("aml", "held")._value.get()
    response = post(client, form())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {"accepted": True, "result": "held", "sms_id": body["sms_id"],
                    "error": None}
    (fix,) = _fixes()
    assert (fix.lat, fix.lon, fix.radius_m, fix.confidence) == (-2.91234, 103.87654, 18.5, 68)
    assert fix.transport == "https" and fix.method == "gnss" and fix.number == CALLER
    assert fix.report_id is None and fix.sms_id == body["sms_id"]
    (row,) = _rows()
    assert (row.gateway, row.kind, row.status, row.error_code) == (
        "aml_https", "aml", "processed", None)
    assert SMS_INBOUND.labels("aml", "held")._value.get() == held + 1

    console = Console(client, "operator1")
    ref = _call(console)                                  # the operator types the call in
    detail = console.get(f"/v1/operator/reports/{ref}").get_json()
    assert detail["aml"]["transport"] == "https" and detail["aml"]["radius_m"] == 18.5
    assert detail["aml"]["accepted_at"] is None
    # Supplemental: the report keeps what the caller said.
    assert detail["report"]["location_source"] == "desa"
    assert detail["report"]["lat"] != -2.91234


def test_valid_aml_after_the_call_report_is_attached_at_once(client, staff):
    console = Console(client, "operator1")
    ref = _call(console)
    body = post(client, form(device_number="6281298765432")).get_json()  # no "+": normalised
    assert (body["accepted"], body["result"]) == (True, "attached")
    (fix,) = _fixes()
    assert Report(id=fix.report_id).ref == ref
    report = fetch(sa.select(Report))[0]
    assert report.location_source == "desa"                 # never applied by itself
    accepted = console.post(f"/v1/operator/reports/{ref}/aml/accept")
    assert accepted.status_code == 200
    assert accepted.get_json()["report"]["location_source"] == "aml"


def test_same_aml_delivered_twice_is_one_fix(client, staff):
    aml = form()
    first = post(client, aml).get_json()
    # A redelivery: re-signed with a later timestamp, keys in another order.
    again = post(client, dict(reversed(list(aml.items()))),
                 timestamp=str(int(time.time()) + 1))
    assert again.status_code == 200
    assert again.get_json() == {"accepted": True, "result": "duplicate", "sms_id": None,
                                "error": None}
    assert len(_fixes()) == 1 and len(_rows()) == 1 and first["result"] == "held"
    # A new fix of the same call (another time) is another AML.
    assert post(client, form(location_time=str(int(time.time() * 1000) + 5000))
                ).get_json()["result"] == "held"
    assert len(_fixes()) == 2


@pytest.mark.parametrize("overrides, code, field", [
    ({"location_latitude": "95.0"}, "out_of_range", "location_latitude"),
    ({"location_longitude": "east"}, "invalid_format", "location_longitude"),
    ({"v": None}, "missing_field", "v"),
    ({"v": "9"}, "unsupported_version", "v"),
    ({"location_source": "telepathy"}, "invalid_format", "location_source"),
    ({"location_time": "yesterday"}, "invalid_format", "location_time"),
    ({"device_number": None}, "missing_field", "device_number"),
    ({"device_number": "call me"}, "invalid_format", "device_number"),
])
def test_malformed_aml_is_answered_200_stored_refused_and_creates_nothing(
        client, staff, overrides, code, field):
    console = Console(client, "operator1")
    _call(console)
    before = SMS_INBOUND.labels("aml", f"aml_{code}")._value.get()
    response = post(client, form(**overrides))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"accepted": False, "result": "refused",
                                   "sms_id": response.get_json()["sms_id"],
                                   "error": {"code": code, "field": field}}
    assert _fixes() == []
    (row,) = _rows()[-1:]
    assert row.error_code == f"aml_{code}" and row.report_id is None and row.kind == "aml"
    assert SMS_INBOUND.labels("aml", f"aml_{code}")._value.get() == before + 1


def test_a_key_given_twice_is_refused_not_guessed(client, staff):
    body = urlencode(form()) + "&location_latitude=-3.0"
    response = post(client, body.encode())
    assert response.status_code == 200
    assert response.get_json()["error"] == {"code": "duplicate_field",
                                            "field": "location_latitude"}
    assert _fixes() == []


@pytest.mark.parametrize("body", [b"", b"   ", b"\xff\xfe\x00garbage"])
def test_an_unreadable_body_is_a_400_and_writes_nothing(client, staff, body):
    response = post(client, body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert _rows() == []


def test_a_too_large_body_is_refused(client, staff):
    response = post(client, form(device_model="x" * 5000))
    assert response.status_code == 413 and _rows() == []


def test_wrong_secret_stale_or_missing_signature_is_401_and_writes_nothing(client, staff):
    assert post(client, form(), secret="not-the-secret").status_code == 401
    assert post(client, form(), timestamp=str(int(time.time()) - 3600)).status_code == 401
    unsigned = client.post("/v1/aml/https", data=form())
    assert unsigned.status_code == 401
    assert unsigned.get_json()["error"]["code"] == "bad_signature"
    assert _rows() == [] and _fixes() == []


def test_allow_list_and_nothing_configured(app, client, staff, monkeypatch):
    monkeypatch.setitem(app.config, "AML_HTTPS_SECRET", "")
    monkeypatch.setitem(app.config, "AML_HTTPS_ALLOW", "")
    assert client.post("/v1/aml/https", data=form()).status_code == 401   # refuses all
    monkeypatch.setitem(app.config, "AML_HTTPS_ALLOW", "10.20.0.0/16, bogus")
    assert client.post("/v1/aml/https", data=form(),
                       environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 401
    ok = client.post("/v1/aml/https", data=form(), environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert ok.status_code == 200 and ok.get_json()["result"] == "held"
    # Both configured: both must pass.
    monkeypatch.setitem(app.config, "AML_HTTPS_SECRET", SECRET)
    assert client.post("/v1/aml/https", data=form(v="2"),
                       environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 401
    assert len(_fixes()) == 1


def test_no_location_aml_is_stored_without_a_point(client, staff):
    body = post(client, form(location_source="unknown", location_latitude=None,
                             location_longitude=None, location_accuracy=None)).get_json()
    assert body["accepted"] and body["result"] == "held"
    (fix,) = _fixes()
    assert fix.lat is None and fix.method == "none"


def test_database_down_the_aml_is_spooled_answered_202_and_stored_when_it_returns(
        app, client, staff, monkeypatch, tmp_path):
    import api.aml
    from backend.sms import aml_spool
    from backend.sms.service import receive_aml_https

    monkeypatch.setitem(app.config, "AML_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setitem(app.config, "AML_SPOOL_RETRY_S", 3600)   # drained by hand below
    monkeypatch.setattr(aml_spool, "_THREADS", {})

    def database_down(body, received_at=None):
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(api.aml, "receive_aml_https", database_down)
    console = Console(client, "operator1")
    aml = form()
    response = post(client, aml)
    assert response.status_code == 202, response.get_json()
    assert response.get_json() == {"accepted": True, "result": "spooled", "sms_id": None,
                                   "error": None}
    assert post(client, aml).status_code == 202               # a redelivery: one file
    assert len(aml_spool.spooled(app)) == 1 and _rows() == []

    monkeypatch.setattr(api.aml, "receive_aml_https", receive_aml_https)  # back
    ref = _call(console)
    with app.app_context():
        assert aml_spool.drain() == 1
    assert aml_spool.spooled(app) == []
    (fix,) = _fixes()
    assert Report(id=fix.report_id).ref == ref and fix.transport == "https"
    with app.app_context():
        assert aml_spool.drain() == 0
    # Delivered again once the database is back: the same AML, stored once.
    assert post(client, aml).get_json()["result"] == "duplicate" and len(_fixes()) == 1


def test_the_spool_drainer_thread_stores_what_waits(app, client, staff, monkeypatch, tmp_path):
    from backend.sms import aml_spool

    monkeypatch.setitem(app.config, "AML_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setitem(app.config, "AML_SPOOL_RETRY_S", 0.05)
    monkeypatch.setattr(aml_spool, "_THREADS", {})
    with app.test_request_context():
        aml_spool.spool(urlencode(form()))
    deadline = time.monotonic() + 10
    while aml_spool.spooled(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert aml_spool.spooled(app) == []
    (fix,) = _fixes()
    assert fix.report_id is None and fix.number == CALLER       # held, as any AML


def _spool_by_hand(app, monkeypatch, tmp_path, retry_s):
    from backend.sms import aml_spool

    monkeypatch.setitem(app.config, "AML_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setitem(app.config, "AML_SPOOL_RETRY_S", retry_s)
    monkeypatch.setattr(aml_spool, "_THREADS", {})
    return aml_spool


def test_a_spool_left_by_an_earlier_process_is_drained_when_a_process_starts(
        app, client, staff, monkeypatch, tmp_path):
    aml_spool = _spool_by_hand(app, monkeypatch, tmp_path, 3600)
    with app.test_request_context():
        aml_spool.spool(urlencode(form()))
    aml_spool._THREADS.clear()      # the process that spooled it is gone, its thread with it
    app.config["AML_SPOOL_RETRY_S"] = 0.05
    aml_spool.resume(app)           # what create_app does in every new process
    deadline = time.monotonic() + 10
    while aml_spool.spooled(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert aml_spool.spooled(app) == [] and len(_fixes()) == 1


def test_a_file_the_database_refuses_is_set_aside_and_blocks_nothing(
        app, client, staff, monkeypatch, tmp_path):
    import backend.sms.service as service

    aml_spool = _spool_by_hand(app, monkeypatch, tmp_path, 3600)
    bad, good = urlencode(form(device_number="+6281200000001")), urlencode(form())
    with app.test_request_context():
        for body in (bad, good):
            aml_spool.spool(body)
    real = service.receive_aml_https

    def refuses_one(body, received_at=None):
        if body == bad:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("a constraint says no"))
        return real(body, received_at=received_at)

    monkeypatch.setattr(service, "receive_aml_https", refuses_one)
    with app.app_context():
        assert aml_spool.drain() == 1
    assert aml_spool.spooled(app) == []
    aside = [n for n in os.listdir(tmp_path / "spool") if n.endswith(".bad")]
    assert len(aside) == 1                                   # kept on disk for a person
    (fix,) = _fixes()
    assert fix.number == CALLER
    # A database that is away stops the pass instead: the file waits for the next one.
    with app.test_request_context():
        aml_spool.spool(urlencode(form(device_number="+6281200000002")))

    def away(body, received_at=None):
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(service, "receive_aml_https", away)
    with app.app_context():
        assert aml_spool.drain() == 0
    assert len(aml_spool.spooled(app)) == 1
