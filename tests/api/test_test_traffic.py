"""Invariant 9: test traffic never appears as a real emergency and never enters a statistic.
Also: the operator can call back — an app report carries the number its phone registered."""
from __future__ import annotations

import sqlalchemy as sa

from backend.incidents.models import Incident
from backend.reports.models import Report
from tests.helpers import Console, fetch, register, sos


def test_a_test_devices_sos_is_flagged_and_kept_out_of_the_inbox(client, staff):
    real_key, test_key = register(client), register(client, test=True)
    test_ref = sos(client, test_key, category="fire", note="uji konformitas")
    real_ref = sos(client, real_key, category="health")
    console = Console(client, "operator1")

    default = console.get("/v1/operator/inbox").get_json()["reports"]
    assert [r["ref"] for r in default] == [real_ref]          # only the real emergency
    everything = console.get("/v1/operator/inbox?include_test=true").get_json()["reports"]
    flags = {r["ref"]: r["test"] for r in everything}
    assert flags == {test_ref: True, real_ref: False}

    incident = console.post(f"/v1/operator/reports/{test_ref}/confirm", json={}).get_json()
    assert incident["test"] is True                             # shown as test everywhere
    assert fetch(sa.select(Incident.test)) == [True]
    assert {r.ref: r.test for r in fetch(sa.select(Report))} == {test_ref: True,
                                                                 real_ref: False}


def test_the_test_flag_is_strict_and_echoed(client):
    refused = client.post("/v1/devices", json={"platform": "android", "app_version": "1",
                                               "test": 1})
    assert refused.status_code == 422                           # a JSON boolean, not 1
    body = client.post("/v1/devices", json={"platform": "android", "app_version": "1",
                                            "test": True}).get_json()
    assert body["test"] is True


def test_a_training_call_is_test_traffic(client, staff):
    console = Console(client, "operator1")
    made = console.post("/v1/operator/reports", json={"category": "fire", "test": True,
                                                      "lat": -2.88, "lon": 103.84})
    assert made.status_code == 201 and made.get_json()["test"] is True
    assert console.get("/v1/operator/inbox").get_json()["reports"] == []


def test_the_inbox_shows_the_number_the_phone_registered(client, staff):
    key = register(client, phone="+6281234567890")
    ref = sos(client, key, category="fire", silent=True, location=None)
    console = Console(client, "operator1")
    row, = console.get("/v1/operator/inbox").get_json()["reports"]
    assert row["ref"] == ref and row["caller_phone"] == "+6281234567890"
    assert row["lat"] is None                                   # the number is the only lead
