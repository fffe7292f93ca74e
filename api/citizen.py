"""A citizen device's own reports (a device never sees anyone else's)."""
from __future__ import annotations

from backend.auth import DEVICE_SECURITY, current_device
from backend.extensions import AUTH_ERRORS, SHED_ERRORS, Blueprint
from backend.reports.models import parse_ref
from backend.reports.schemas import ReportList, ReportListArgs, ReportRead
from backend.reports.service import get_device_report, list_device_reports

blp = Blueprint("citizen", __name__, url_prefix="/v1/reports", description="Citizen reports")


@blp.route("")
@blp.doc(security=DEVICE_SECURITY)
@blp.arguments(ReportListArgs, location="query")
@blp.response(200, ReportList)
@blp.errors({**AUTH_ERRORS, **SHED_ERRORS})
def list_reports(args):
    """List this device's reports, newest first."""
    reports = list_device_reports(device=current_device(), limit=args["limit"],
                                  before_id=parse_ref(args["before"]) if args["before"] else None)
    more = len(reports) == args["limit"]
    return {"reports": reports, "next_before": reports[-1].ref if more else None}


@blp.route("/<ref>")
@blp.doc(security=DEVICE_SECURITY)
@blp.response(200, ReportRead)
@blp.errors({**AUTH_ERRORS, **SHED_ERRORS,
             404: "report_not_found (also for other devices' reports)"})
def get_report(ref):
    """Show one of this device's reports."""
    return get_device_report(device=current_device(), ref=ref)
