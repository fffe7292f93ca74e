"""Places through the API: assigned at ingest, named wherever a person reads a location."""
from __future__ import annotations

import json
import time

import sqlalchemy as sa

from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.incidents.models import Incident
from backend.places.service import DEMO_SET, read_geojson
from backend.reports.models import Report
from backend.units.models import Unit
from push.delivery import alert_message
from tests.helpers import Console, count, create_op, fetch, register, sos, sync

SEKAYU_TOWN = (-2.8851, 103.8467)  # Kel. Serasan Jaya, Kec. Sekayu
SUKARAMI = "16.06.01.2001"         # a desa (not a kelurahan) of Kec. Sekayu
PALEMBANG = (-2.9761, 104.7754)    # outside the regency, far beyond the tolerance
SERASAN = {"desa_code": "16.06.01.1010", "desa": "Serasan Jaya", "kecamatan_code": "16.06.01",
           "kecamatan": "Sekayu", "label": "Kel. Serasan Jaya, Kec. Sekayu", "distance_m": 0.0,
           "outside": False}


def _report(ref: str) -> Report:
    return fetch(sa.select(Report).where(Report.id == int(ref[2:])))[0]


def test_app_reports_get_their_desa_at_ingest_and_the_inbox_names_it(client, staff):
    key = register(client)
    body = sync(client, key, [create_op(lat=SEKAYU_TOWN[0], lon=SEKAYU_TOWN[1]),
                              create_op(lat=PALEMBANG[0], lon=PALEMBANG[1]),
                              create_op(lat=None, lon=None) | {"data": {"category": "fire"}}]
                ).get_json()
    refs = [r["ref"]["report"] for r in body["results"]]
    stored = [_report(ref) for ref in refs]
    assert [(r.desa_code, r.kecamatan_code, r.place_distance_m) for r in stored] == [
        ("16.06.01.1010", "16.06.01", 0.0), (None, None, None), (None, None, None)]
    console = Console(client, "operator1")
    rows = {r["ref"]: r["place"] for r in console.get("/v1/operator/inbox").get_json()["reports"]}
    assert rows[refs[0]] == SERASAN
    assert rows[refs[1]] == {"desa_code": None, "desa": None, "kecamatan_code": None,
                             "kecamatan": None, "label": "Di luar wilayah kabupaten",
                             "distance_m": None, "outside": True}  # shown, never dropped
    assert rows[refs[2]]["label"] is None and rows[refs[2]]["outside"] is False


def test_a_point_just_outside_every_desa_takes_the_nearest_within_the_tolerance(client, staff):
    key = register(client)
    # ~250 m south of the regency's southern tip (Kec. Jirak Jaya).
    ref = sos(client, key, lat=-3.26822, lon=103.65502)
    place = Console(client, "operator1").get(f"/v1/operator/reports/{ref}").get_json()[
        "report"]["place"]
    assert place["kecamatan_code"] == "16.06.15" and place["desa_code"].startswith("16.06.15.")
    assert 0 < place["distance_m"] <= 1000 and not place["outside"]


def test_inbox_names_places_without_a_query_per_row(app, client, staff):
    key = register(client)
    console = Console(client, "operator1")

    def inbox_statements():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert console.get("/v1/operator/inbox").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    sync(client, key, [create_op(lat=SEKAYU_TOWN[0], lon=SEKAYU_TOWN[1])])
    few = inbox_statements()
    for phone in range(3):  # five reports from each of three phones: no flood row
        sync(client, register(client), [create_op(lat=-2.5 + (phone * 5 + i) * 0.03, lon=103.9)
                                        for i in range(5)])
    assert inbox_statements() <= few  # the first read may also load the names once


def test_citizen_status_changes_say_where(client, staff):
    key = register(client)
    ref = sos(client, key, lat=SEKAYU_TOWN[0], lon=SEKAYU_TOWN[1])
    outside = sos(client, key, lat=PALEMBANG[0], lon=PALEMBANG[1])
    confirmed = Console(client, "operator1").post(f"/v1/operator/reports/{ref}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.get_json()
    changes, cursor = [], None
    for _ in range(50):  # the feed shows a change once no older transaction is open
        body = sync(client, key, cursor=cursor).get_json()
        changes += [c["data"] for c in body["changes"] if c["type"] == "report.status"]
        cursor = body["cursor"]
        if len(changes) >= 3:
            break
        time.sleep(0.1)
    assert {"report": ref, "status": "received",
            "place": "Kel. Serasan Jaya, Kec. Sekayu"} in changes
    assert {"report": ref, "status": "confirmed",
            "place": "Kel. Serasan Jaya, Kec. Sekayu"} in changes
    assert {"report": outside, "status": "received",
            "place": "Di luar wilayah kabupaten"} in changes


def test_voice_call_by_desa_or_by_point(client, staff):
    console = Console(client, "operator1")
    by_desa = console.post("/v1/operator/reports", json={
        "category": "health", "note": "ibu hamil pendarahan", "desa_code": SUKARAMI})
    assert by_desa.status_code == 201, by_desa.get_json()
    report = by_desa.get_json()
    assert report["location_source"] == "desa" and report["lat"] is not None
    assert report["place"]["label"] == "Desa Sukarami, Kec. Sekayu"
    assert report["place"]["distance_m"] == 0.0
    by_point = console.post("/v1/operator/reports", json={
        "category": "fire", "lat": SEKAYU_TOWN[0], "lon": SEKAYU_TOWN[1]}).get_json()
    assert by_point["place"] == SERASAN and by_point["location_source"] == "manual"
    unknown = console.post("/v1/operator/reports", json={"category": "fire",
                                                         "desa_code": "16.07.01.2001"})
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["code"] == "desa_not_found"
    assert console.post("/v1/operator/reports", json={
        "category": "fire", "desa_code": "Sukarami"}).status_code == 422
    stored = fetch(sa.select(Report).where(Report.source == "call").order_by(Report.id))
    assert [(r.desa_code, r.kecamatan_code) for r in stored] == [
        (SUKARAMI, "16.06.01"), ("16.06.01.1010", "16.06.01")]


def _incident_with_unit(client, note: str) -> tuple[Console, str]:
    key = register(client)
    ref = sos(client, key, lat=SEKAYU_TOWN[0], lon=SEKAYU_TOWN[1], note=note)
    console = Console(client, "operator1")
    number = console.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]
    unit = next(u for u in console.get("/v1/operator/units").get_json()["units"]
                if u["call_sign"] == "DMK-SKY-1")
    sent = console.post(f"/v1/operator/incidents/{number}/dispatch", json={"units": [unit["id"]]})
    assert sent.status_code == 201, sent.get_json()
    return console, number


# Line breaks and a bidi override are free text the phone may send (C0 controls such as BEL
# are refused at input, tests/sync/test_views.py); the output must still flatten them.
FORGED = "rumah terbakar\nLokasi: Desa Palsu\r\nUnit: palsu\u202e tolong"


def test_incident_page_and_whatsapp_text_name_the_place_in_bahasa(client, staff):
    console, number = _incident_with_unit(client, FORGED)
    detail = console.get(f"/v1/operator/incidents/{number}").get_json()
    assert detail["incident"]["place"]["label"] == "Kel. Serasan Jaya, Kec. Sekayu"
    assert fetch(sa.select(Incident))[0].desa_code == "16.06.01.1010"
    text = detail["share_text"]
    lines = text.split("\n")
    assert "Lokasi: Kel. Serasan Jaya, Kec. Sekayu" in lines
    assert any(line.startswith("Peta: https://maps.google.com/?q=-2.88510,103.84670")
               for line in lines)
    # The citizen's note is one labelled line; it cannot forge the Lokasi/Unit lines.
    assert [line for line in lines if line.startswith("Lokasi:")] == [
        "Lokasi: Kel. Serasan Jaya, Kec. Sekayu"]
    assert [line for line in lines if line.startswith("Unit:")] == [
        "Unit: [DEMO] Damkar Sekayu 1 (DMK-SKY-1) — menunggu"]
    assert 'Keterangan pelapor: "rumah terbakar Lokasi: Desa Palsu Unit: palsu tolong"' in lines
    assert not any(ord(c) < 32 and c != "\n" or c == "\u202e" for c in text)
    assert "Status: unit dikirim" in text
    words = {w.strip("*:·—().,\"").lower() for w in text.split()}
    assert not words & {"status:", "open", "dispatched", "pending", "location", "reports",
                        "unit(s)", "priority", "time", "notified"}


def test_push_alert_names_the_place(app, client, staff):
    _, number = _incident_with_unit(client, FORGED)
    dispatch, = fetch(sa.select(Dispatch))
    incident = db.session.get(Incident, dispatch.incident_id)
    unit = db.session.get(Unit, dispatch.unit_id)
    message = alert_message(token="t", dispatch=dispatch, incident=incident, unit=unit,
                            ttl_s=60)
    db.session.rollback()
    assert message.notification.body.startswith("Kel. Serasan Jaya, Kec. Sekayu · ")
    assert "\n" not in message.notification.body and "\u202e" not in message.notification.body
    assert message.data["desa"] == "Serasan Jaya" and message.data["kecamatan"] == "Sekayu"
    assert message.data["place"] == "Kel. Serasan Jaya, Kec. Sekayu"
    assert "\n" not in message.data["summary"]


def test_search_tolerates_typos(client, staff):
    console = Console(client, "operator2")

    def first(q, **kw):
        hits = console.get("/v1/operator/places/search", query_string={"q": q, **kw}).get_json()[
            "places"]
        return hits

    kayu = first("kayuara")[0]
    assert (kayu["code"], kayu["label"], kayu["kecamatan"]) == (
        "16.06.01.1009", "Kel. Kayu Ara, Kec. Sekayu", "Sekayu")
    assert kayu["label_lat"] is not None and kayu["score"] > 90
    sekayu = first("sekayu")[0]
    assert (sekayu["code"], sekayu["level"], sekayu["label"]) == (
        "16.06.01", "kecamatan", "Kec. Sekayu")
    for typo in ("sungai lilin", "sungei lilin", "sungaililn", "Sungai Lilim", "sngai lilin"):
        codes = [h["code"] for h in first(typo)[:3]]
        assert {"16.06.07", "16.06.07.1020"} & set(codes), (typo, codes)
    assert first("desa sukarami")[0]["code"] == SUKARAMI
    assert len(first("a", limit=3)) <= 3
    assert first("zzzzqqqq") == []
    assert console.get("/v1/operator/places/search").status_code == 422


def test_areas_geojson_for_the_map_with_etag(client, staff):
    console = Console(client, "operator1")
    response = console.get("/v1/operator/places/areas.geojson?level=kecamatan")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    etag = response.headers["ETag"]
    collection = json.loads(response.data)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 15
    sekayu = collection["features"][0]
    assert sekayu["properties"] == {"code": "16.06.01", "name": "Sekayu", "level": "kecamatan",
                                    "parent_code": "16.06",
                                    "label_lat": sekayu["properties"]["label_lat"],
                                    "label_lon": sekayu["properties"]["label_lon"]}
    assert sekayu["geometry"]["type"] in ("Polygon", "MultiPolygon")
    again = console.get("/v1/operator/places/areas.geojson?level=kecamatan",
                        headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    desa = console.get("/v1/operator/places/areas.geojson?level=desa")
    assert len(json.loads(desa.data)["features"]) == 240 and desa.headers["ETag"] != etag
    assert console.get("/v1/operator/places/areas.geojson?level=provinsi").status_code == 422
    other = Console(client.application.test_client(), "operator1-1607")  # no areas imported
    assert json.loads(other.get("/v1/operator/places/areas.geojson").data)["features"] == []


def _kecamatan_features():
    return read_geojson(DEMO_SET / "kecamatan.geojson")["features"]


def test_admin_lists_areas_with_counts(client, staff):
    key = register(client)
    sos(client, key, lat=SEKAYU_TOWN[0], lon=SEKAYU_TOWN[1])
    admin = Console(client, "admin")
    body = admin.get("/v1/admin/areas").get_json()
    assert body["counts"] == {"regency": 1, "kecamatan": 15, "desa": 240}
    by_code = {a["code"]: a for a in body["areas"]}
    assert by_code["16.06.01"]["desa_count"] == 14 and by_code["16.06.01"]["reports"] == 1
    assert by_code["16.06.01.1010"]["reports"] == 1 and by_code["16.06.01.1010"]["has_polygon"]


def test_admin_import_is_idempotent_and_validated(client, staff):
    admin = Console(client, "admin")
    features = _kecamatan_features()
    same = admin.post("/v1/admin/areas", json={"type": "FeatureCollection",
                                                "features": features})
    assert same.status_code == 200, same.get_json()
    assert same.get_json() == {"regency": "1606", "inserted": 0, "updated": 0, "unchanged": 15}
    before = count("areas")
    new = dict(features[0], properties=dict(features[0]["properties"], code="16.06.16",
                                            name="Kecamatan Baru"))
    bowtie = dict(new, properties=dict(new["properties"], code="16.06.17"), geometry={
        "type": "Polygon", "coordinates": [[[103, -3], [104, -2], [104, -3], [103, -2],
                                            [103, -3]]]})
    foreign = dict(new, properties=dict(new["properties"], code="16.07.01"))
    bad_code = dict(new, properties=dict(new["properties"], code="16-06-18", level="provinsi"))
    refused = admin.post("/v1/admin/areas", json={"type": "FeatureCollection", "features": [
        new, bowtie, foreign, bad_code, {"type": "Feature"}]})
    assert refused.status_code == 422
    details = refused.get_json()["error"]["details"]["features"]
    assert set(details) == {"1", "2", "3", "4"}
    assert "geometry" in details["1"] and "code" in details["2"]
    assert {"code", "level"} <= set(details["3"]) and "properties" in details["4"]
    assert count("areas") == before  # nothing written, not even the valid feature
    added = admin.post("/v1/admin/areas", json={"type": "FeatureCollection", "features": [new]})
    assert added.get_json()["inserted"] == 1 and count("areas") == before + 1
    assert admin.post("/v1/admin/areas", json={"type": "FeatureCollection",
                                               "features": []}).status_code == 422
    operator = Console(client.application.test_client(), "operator1")
    assert operator.post("/v1/admin/areas", json={"type": "FeatureCollection",
                                                  "features": [new]}).status_code == 403


def test_assigning_a_batch_costs_one_statement(app, client, staff):
    """The hot path: a sync batch of 20 SOS pays one extra round trip for all its places."""
    key = register(client)
    sync(client, key, [create_op(lat=SEKAYU_TOWN[0], lon=SEKAYU_TOWN[1])])  # warm caches

    def statements(assign: bool) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        app.config["PLACE_ASSIGN"] = assign
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            body = sync(client, key, [create_op(lat=-2.5 + i * 0.03, lon=103.9)
                                      for i in range(20)]).get_json()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
            app.config["PLACE_ASSIGN"] = True
        assert [r["status"] for r in body["results"]] == ["applied"] * 20
        return len(seen)

    assert statements(True) - statements(False) == 1
    placed = fetch(sa.select(Report).order_by(Report.id))
    assert all(r.desa_code for r in placed[1:21]) and not any(r.desa_code for r in placed[21:])
