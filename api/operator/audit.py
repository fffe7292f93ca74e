"""The audit log (supervisors and admins)."""
from __future__ import annotations

from api.operator import STAFF_ERRORS, blp, requires
from backend.audit.describe import describe_events
from backend.audit.schemas import AuditArgs, AuditList
from backend.audit.service import audit_log
from backend.auth import SESSION_SECURITY, current_user


@blp.route("/audit")
@requires("audit")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditList)
@blp.errors(STAFF_ERRORS)
def audit(args):
    """The regency's audit log, newest first, with names and sentences; filter and page."""
    by = args.pop("actor", None)
    events, next_before_id = audit_log(actor=current_user(), by=by, **args)
    return {"events": describe_events(events), "next_before_id": next_before_id}
