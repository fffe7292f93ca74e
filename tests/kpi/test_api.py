"""KPI API and the admin's targets over HTTP: who may, JSON, CSV and XLSX, refusals."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from backend.audit.models import AuditEvent
from backend.extensions import db
from tests.helpers import Console, count, fetch
from tests.kpi.factory import known_month, make_cast
from tests.kpi.test_service import START, regency_id

MONTH = "start=2026-11-01&end=2026-12-01"


@pytest.fixture
def month(app, staff):
    rid = regency_id()
    cast = make_cast(rid)
    known_month(rid, START, cast)
    db.session.commit()
    return cast


def test_operators_may_not_supervisors_may(client, month):
    assert Console(client, "operator1").get(f"/v1/operator/kpi?{MONTH}").status_code == 403
    supervisor = Console(client, "supervisor")
    response = supervisor.get(f"/v1/operator/kpi?{MONTH}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    rows = {r["measure"]: r for r in body["rows"]}
    assert (rows["triage"]["count"], rows["triage"]["p50_s"], rows["triage"]["p90_s"],
            rows["triage"]["compliance"]) == (100, 100, 180, 0.3)
    assert rows["triage"]["previous"] == {"count": 0, "open": 0, "p50_s": None,
                                          "p90_s": None, "compliance": None}
    assert body["start"] == "2026-11-01T00:00:00+07:00"  # local midnight, WIB
    assert body["timezone"] == "Asia/Jakarta" and body["counts"]["reports"] == 100
    assert body["counts"]["rejections"] == {"prank": 10, "test": 10, "invalid": 20}


def test_grouped(client, month):
    admin = Console(client, "admin")
    body = admin.get(f"/v1/operator/kpi?{MONTH}&group_by=unit").get_json()
    ack = {r["label"]: r["count"] for r in body["rows"] if r["measure"] == "acknowledgement"}
    assert ack == {"DMK-UJI-KPI": 25, "AMB-UJI-KPI": 25}
    body = admin.get(f"/v1/operator/kpi?{MONTH}&group_by=hour").get_json()
    assert {r["group"] for r in body["rows"]} <= set(range(24))


def test_csv(client, month):
    response = Console(client, "supervisor").get(f"/v1/operator/kpi?{MONTH}&format=csv"
                                                 "&group_by=category")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="kinerja-2026-11-01-2026-12-01-category.csv"' in \
        response.headers["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    fire = next(r for r in lines if r["Kode kelompok"] == "fire" and r["Kode ukuran"] == "triage")
    assert (fire["Kelompok"], fire["Ukuran"], fire["Jumlah"], fire["p50 (detik)"],
            fire["p90 (detik)"], fire["Target (detik)"], fire["Memenuhi target"]) == \
        ("Kebakaran", "Waktu triase", "25", "104.0", "184.0", "60", "tidak")
    ack = next(r for r in lines if r["Kode kelompok"] == "fire"
               and r["Kode ukuran"] == "acknowledgement")
    assert (ack["Target (detik)"], ack["Sumber target"]) == ("80", "NFPA 1710 turnout (fire)")
    assert float(ack["Kepatuhan"]) == pytest.approx(10 / 12)


def test_xlsx(client, month):
    response = Console(client, "supervisor").get(f"/v1/operator/kpi?{MONTH}&format=xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Kinerja", "Hitungan"]
    sheet = book["Kinerja"]
    assert sheet["A1"].value.startswith("Kinerja layanan 2026-11-01T00:00:00+07:00")
    header = [c.value for c in sheet[2]]
    rows = [dict(zip(header, [c.value for c in line])) for line in sheet.iter_rows(min_row=3)]
    by_code = {r["Kode ukuran"]: r for r in rows}
    assert list(by_code) == ["offline_delay", "answer", "triage", "dispatch", "processing",
                             "acknowledgement", "travel", "on_scene", "total"]
    processing = by_code["processing"]
    assert (processing["Ukuran"], processing["Jumlah"], processing["p50 (detik)"],
            processing["p90 (detik)"], processing["Target (detik)"],
            processing["Porsi target"]) == ("Waktu proses", 50, 75, 135, 64, 0.9)
    assert processing["Kepatuhan"] == pytest.approx(0.42)
    assert by_code["offline_delay"]["Target (detik)"] is None
    counts = {(a.value, b.value): c.value for a, b, c in book["Hitungan"].iter_rows(min_row=2)}
    assert counts[("Ringkasan", "Laporan")] == 100
    assert counts[("Ringkasan", "Laporan digabung (duplikat)")] == 10
    assert counts[("Rincian", "Ditolak: iseng")] == 10
    assert counts[("Saluran", "Telepon")] == 20


@pytest.mark.parametrize("query", [
    "start=2026-12-01&end=2026-11-01",             # backwards
    "start=2026-11-01&end=2026-11-01",             # empty
    "start=2025-01-01&end=2026-12-01",             # over 400 days
    f"{MONTH}&group_by=weekday",
    f"{MONTH}&format=pdf",
    "start=2026-11-31&end=2026-12-01",             # no such day
    "start=yesterday&end=2026-12-01",
    "end=2026-12-01",
    "start=2026-11-01T00:00:00&end=2026-12-01",    # a time without an offset
])
def test_bad_ranges_are_422(client, staff, query):
    response = Console(client, "supervisor").get(f"/v1/operator/kpi?{query}")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_error"


def test_rfc3339_range(client, month):
    response = Console(client, "supervisor").get(
        "/v1/operator/kpi?start=2026-10-31T17:00:00Z&end=2026-11-01T00:00:00%2B07:00")
    assert response.status_code == 422  # the same instant: empty
    response = Console(client, "supervisor").get(
        "/v1/operator/kpi?start=2026-10-31T17:00:00Z&end=2026-10-31T17:31:00Z")
    assert {r["measure"]: r["count"] for r in response.get_json()["rows"]}["triage"] == 1


def test_targets(client, month):
    admin = Console(client, "admin")
    listed = admin.get("/v1/admin/kpi-targets").get_json()["targets"]
    rows = {(t["measure"], t["category"]): t for t in listed}
    assert rows[("answer", "*")] == {"measure": "answer", "category": "*", "seconds": 15,
                                     "share": 0.9, "source": "NENA call answering",
                                     "default": {"seconds": 15, "share": 0.9,
                                                 "source": "NENA call answering"},
                                     "updated_at": None, "updated_by": None}
    assert rows[("travel", "*")]["seconds"] is None  # settable, no default
    assert rows[("acknowledgement", "fire")]["seconds"] == 80

    put = admin.client.put("/v1/admin/kpi-targets/triage", json={"seconds": 100, "share": 0.5},
                           headers={"X-CSRF-Token": admin.csrf})
    assert put.status_code == 200, put.get_json()
    assert (put.get_json()["source"], put.get_json()["default"]["seconds"]) == ("regency", 60)
    put = admin.client.put("/v1/admin/kpi-targets/travel", headers={"X-CSRF-Token": admin.csrf},
                           json={"seconds": 600, "share": 0.8, "category": "health"})
    assert put.status_code == 200
    rows = {(t["measure"], t["category"]): t for t in
            admin.get("/v1/admin/kpi-targets").get_json()["targets"]}
    assert (rows[("triage", "*")]["seconds"], rows[("triage", "*")]["source"]) == (100, "regency")
    assert rows[("travel", "health")]["default"] is None
    # The figures follow at once.
    figures = {r["measure"]: r for r in Console(client.application.test_client(), "supervisor").get(
        f"/v1/operator/kpi?{MONTH}").get_json()["rows"]}
    assert (figures["triage"]["compliance"], figures["triage"]["met"],
            figures["triage"]["target_source"]) == (0.5, True, "regency")

    deleted = admin.client.delete("/v1/admin/kpi-targets/triage",
                                  headers={"X-CSRF-Token": admin.csrf})
    assert deleted.status_code == 204
    again = admin.client.delete("/v1/admin/kpi-targets/triage",
                                headers={"X-CSRF-Token": admin.csrf})
    assert again.status_code == 404
    rows = {(t["measure"], t["category"]): t for t in
            admin.get("/v1/admin/kpi-targets").get_json()["targets"]}
    assert (rows[("triage", "*")]["seconds"], rows[("triage", "*")]["source"]) == \
        (60, "Siaga112 default")
    events = fetch(sa.select(AuditEvent).where(
        AuditEvent.action.like("kpi_target.%")).order_by(AuditEvent.id))
    assert [(e.action, e.entity_id) for e in events] == [
        ("kpi_target.set", "triage:*"), ("kpi_target.set", "travel:health"),
        ("kpi_target.delete", "triage:*")]
    assert events[0].after == {"measure": "triage", "category": "*", "seconds": 100,
                               "share": 0.5}
    log = admin.get("/v1/operator/audit?action=kpi_target.").get_json()["events"]
    assert log[0]["description"].endswith("menghapus target layanan triage:* (kembali ke bawaan)")


@pytest.mark.parametrize("measure,body", [
    ("speed", {"seconds": 60, "share": 0.9}),
    ("triage", {"seconds": 60, "share": 0.9, "category": "alien"}),
    ("triage", {"seconds": 0, "share": 0.9}),
    ("triage", {"seconds": 60, "share": 0}),
    ("triage", {"seconds": 60, "share": 1.5}),
    ("triage", {"seconds": "60", "share": 0.9}),
    ("triage", {"seconds": 60.5, "share": 0.9}),
    ("triage", {"share": 0.9}),
])
def test_bad_targets_are_422_and_write_nothing(client, staff, measure, body):
    admin = Console(client, "admin")
    response = admin.client.put(f"/v1/admin/kpi-targets/{measure}", json=body,
                                headers={"X-CSRF-Token": admin.csrf})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_error"
    assert count("kpi_targets") == 0


def test_share_of_one_is_allowed_and_delete_unknown_is_422(client, staff):
    admin = Console(client, "admin")
    ok = admin.client.put("/v1/admin/kpi-targets/dispatch", json={"seconds": 30, "share": 1},
                          headers={"X-CSRF-Token": admin.csrf})
    assert ok.status_code == 200 and ok.get_json()["share"] == 1.0
    bad = admin.client.delete("/v1/admin/kpi-targets/speed", headers={"X-CSRF-Token": admin.csrf})
    assert bad.status_code == 422
    supervisor = Console(client, "supervisor")
    assert supervisor.client.put("/v1/admin/kpi-targets/dispatch", json={"seconds": 1, "share": 1},
                                 headers={"X-CSRF-Token": supervisor.csrf}).status_code == 403
