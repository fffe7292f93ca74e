"""Evaluation reports (supervisors and admins): generate on demand, list, download, and the
supervisor's written evaluation."""
from __future__ import annotations

from flask import Response

from api.operator import STAFF_ERRORS, blp, commit, requires
from backend.auth import SESSION_SECURITY, current_user
from backend.evaluation.schemas import (
    EvaluationGenerate,
    EvaluationList,
    EvaluationRead,
    EvaluationWrite,
)
from backend.evaluation.service import (
    generate_for,
    get_report,
    list_reports,
    report_file,
    save_evaluation,
)


@blp.route("/evaluations")
@requires("monitor")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, EvaluationList)
@blp.errors(STAFF_ERRORS)
def evaluations():
    """The regency's stored evaluation reports, newest period first."""
    return {"reports": list_reports(actor=current_user())}


@blp.route("/evaluations", methods=["POST"])
@requires("monitor")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(EvaluationGenerate)
@blp.response(201, EvaluationRead)
@blp.errors(STAFF_ERRORS)
def generate(args):
    """Generate a month's or a range's report now (regenerating keeps the written evaluation)."""
    report, _ = generate_for(actor=current_user(), **args)
    return commit(report)


@blp.route("/evaluations/<int:report_id>")
@requires("monitor")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, EvaluationRead)
@blp.errors(STAFF_ERRORS)
def evaluation(report_id):
    """One stored report and its written evaluation."""
    return get_report(actor=current_user(), report_id=report_id)


@blp.route("/evaluations/<int:report_id>/evaluation", methods=["PUT"])
@requires("monitor")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(EvaluationWrite)
@blp.response(200, EvaluationRead)
@blp.errors(STAFF_ERRORS)
def write_evaluation(args, report_id):
    """Write or edit the supervisor's evaluation (what to keep, what to improve); audited."""
    return commit(save_evaluation(actor=current_user(), report_id=report_id, **args))


@blp.route("/evaluations/<int:report_id>/report.<any(pdf, html):kind>")
@requires("monitor")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, content_type="application/pdf",
              description="The report as PDF (report.pdf) or HTML (report.html).")
@blp.errors(STAFF_ERRORS)
def download(report_id, kind):
    """Download a stored report."""
    content, name, mimetype = report_file(actor=current_user(), report_id=report_id, kind=kind)
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})
