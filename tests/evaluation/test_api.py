"""Evaluation reports over the API and the CLI: who may, bad periods, downloads, the written
evaluation; `flask report monthly`."""
from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from backend.evaluation.models import EvaluationReport
from backend.extensions import db
from tests.evaluation.month import build_month
from tests.helpers import Console


def test_operator_is_refused_and_a_stranger_must_sign_in(client, staff):
    assert client.get("/v1/operator/evaluations").status_code == 401
    operator = Console(client, "operator1")
    assert operator.get("/v1/operator/evaluations").status_code == 403
    refused = operator.post("/v1/operator/evaluations", json={"month": "2026-11"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvaluationReport)) == 0


@pytest.mark.parametrize("body", [
    {"month": "2026-13"}, {"month": "november"}, {"month": 202611}, {},
    {"month": "2026-11", "start": "2026-11-01", "end": "2026-11-02"},
    {"start": "2026-11-01"}, {"start": "2026-11-05", "end": "2026-11-01"},
    {"start": "2025-01-01", "end": "2026-11-01"}, {"month": "2999-01"},
])
def test_a_bad_period_is_a_structured_422_and_writes_nothing(client, staff, body):
    supervisor = Console(client, "supervisor")
    response = supervisor.post("/v1/operator/evaluations", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["message"] and error["details"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvaluationReport)) == 0


def test_supervisor_generates_lists_downloads_and_writes_the_evaluation(client, staff):
    build_month(staff)
    supervisor = Console(client, "supervisor")
    created = supervisor.post("/v1/operator/evaluations", json={"month": "2026-11"})
    assert created.status_code == 201, created.get_json()
    report = created.get_json()
    assert report["period"] == "2026-11" and report["reports"] == 10
    assert report["generated_via"] == "user" and report["keep"] is None

    listed = supervisor.get("/v1/operator/evaluations").get_json()["reports"]
    assert [r["id"] for r in listed] == [report["id"]]
    pdf = supervisor.get(f"/v1/operator/evaluations/{report['id']}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and len(pdf.data) == report["pdf_size"]
    assert 'filename="evaluasi-112-2026-11.pdf"' in pdf.headers["Content-Disposition"]
    html = supervisor.get(f"/v1/operator/evaluations/{report['id']}/report.html")
    assert html.status_code == 200 and "Laporan Evaluasi Layanan 112" in html.text

    written = supervisor.client.put(
        f"/v1/operator/evaluations/{report['id']}/evaluation",
        headers={"X-CSRF-Token": supervisor.csrf},
        json={"keep": "Triase cepat.", "improve": "Kru harus menjawab dalam 60 detik."})
    assert written.status_code == 200, written.get_json()
    assert written.get_json()["keep"] == "Triase cepat."
    me = supervisor.get("/v1/operator/session").get_json()["user"]["id"]
    assert written.get_json()["evaluation_by"] == me
    shown = supervisor.get(f"/v1/operator/evaluations/{report['id']}/report.html").text
    assert "Kru harus menjawab dalam 60 detik." in shown

    # The same month again replaces the rendering in place and keeps the evaluation.
    again = supervisor.post("/v1/operator/evaluations", json={"month": "2026-11"}).get_json()
    assert again["id"] == report["id"] and again["keep"] == "Triase cepat."
    # A range is its own report.
    half = supervisor.post("/v1/operator/evaluations",
                           json={"start": "2026-11-01", "end": "2026-11-15"})
    assert half.status_code == 201 and half.get_json()["period"] == "2026-11-01..2026-11-15"
    assert half.get_json()["reports"] == 10


def test_another_regency_cannot_read_the_report(client, staff):
    build_month(staff)
    supervisor = Console(client, "supervisor")
    report = supervisor.post("/v1/operator/evaluations", json={"month": "2026-11"}).get_json()
    other = Console(client.application.test_client(), "supervisor-1607")
    assert other.get(f"/v1/operator/evaluations/{report['id']}").status_code == 404
    assert other.get(f"/v1/operator/evaluations/{report['id']}/report.pdf").status_code == 404
    assert other.get("/v1/operator/evaluations").get_json()["reports"] == []
    admin = Console(client.application.test_client(), "admin")
    assert admin.get(f"/v1/operator/evaluations/{report['id']}").status_code == 200


def test_written_evaluation_input_is_checked(client, staff):
    build_month(staff)
    supervisor = Console(client, "supervisor")
    report = supervisor.post("/v1/operator/evaluations", json={"month": "2026-11"}).get_json()
    for body in ({"keep": "x"}, {"keep": "x" * 5001, "improve": ""}, {"keep": 1, "improve": ""}):
        response = supervisor.client.put(
            f"/v1/operator/evaluations/{report['id']}/evaluation",
            headers={"X-CSRF-Token": supervisor.csrf}, json=body)
        assert response.status_code == 422
    assert supervisor.get(f"/v1/operator/evaluations/{report['id']}").get_json()["keep"] is None
    missing = supervisor.client.put("/v1/operator/evaluations/999999/evaluation",
                                    headers={"X-CSRF-Token": supervisor.csrf},
                                    json={"keep": "a", "improve": "b"})
    assert missing.status_code == 404


def test_cli_generates_a_month_and_writes_the_pdf(app, staff, tmp_path):
    build_month(staff)
    runner = app.test_cli_runner()
    out = tmp_path / "nov.pdf"
    result = runner.invoke(args=["report", "monthly", "--month", "2026-11", "--pdf", str(out)])
    assert result.exit_code == 0, result.output
    assert "evaluation report 2026-11 created" in result.output
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "November 2026" in text and "baris perintah" in text
    again = runner.invoke(args=["report", "monthly", "--month", "2026-11"])
    assert again.exit_code == 0 and "replaced" in again.output
    bad = runner.invoke(args=["report", "monthly", "--month", "2026-13"])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output
    both = runner.invoke(args=["report", "monthly", "--month", "2026-11", "--start",
                               "2026-11-01"])
    assert both.exit_code != 0
    ranged = runner.invoke(args=["report", "monthly", "--start", "2026-11-01", "--end",
                                 "2026-11-10"])
    assert ranged.exit_code == 0 and "2026-11-01..2026-11-10 created" in ranged.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvaluationReport)) == 2
