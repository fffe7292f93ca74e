"""Service figures (supervisors and admins): JSON, or CSV / XLSX downloads."""
from __future__ import annotations

from flask import Response

from api.operator import STAFF_ERRORS, blp, requires
from backend.auth import SESSION_SECURITY, current_user
from backend.kpi.export import to_csv, to_xlsx
from backend.kpi.schemas import KpiArgs, KpiReport
from backend.kpi.service import kpi_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body, mimetype: str, report: dict, extension: str) -> Response:
    name = f"kinerja-{report['start'].date().isoformat()}-{report['end'].date().isoformat()}"
    if report["group_by"]:
        name += f"-{report['group_by']}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}.{extension}"'})


@blp.route("/kpi")
@requires("monitor")
@blp.doc(security=SESSION_SECURITY, responses={200: {"content": {
    "text/csv": {"schema": {"type": "string"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
@blp.arguments(KpiArgs, location="query")
@blp.response(200, KpiReport)
@blp.errors({**STAFF_ERRORS, 422: "validation_error (start < end, at most 400 days)"})
def kpi(args):
    """Service figures for a range: every measure's count, open items, p50/p90 seconds, target
    and compliance (by group), beside the previous period's; and the range's counts.
    `format=csv|xlsx` downloads the same (Bahasa Indonesia headers)."""
    fmt = args.pop("format")
    report = kpi_report(actor=current_user(), **args)
    if fmt == "csv":
        return _download(to_csv(report), "text/csv; charset=utf-8", report, "csv")
    if fmt == "xlsx":
        return _download(to_xlsx(report), XLSX, report, "xlsx")
    return report
