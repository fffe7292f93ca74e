"""The audit log (supervisors and admins)."""
from __future__ import annotations

from api.operator import STAFF_ERRORS, blp, requires
from backend.audit.schemas import AuditList
from backend.audit.service import audit_log
from backend.auth import SESSION_SECURITY, current_user


@blp.route("/audit")
@requires("audit")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, AuditList)
@blp.errors(STAFF_ERRORS)
def audit():
    """The regency's audit log, newest first (supervisors and admins)."""
    return {"events": audit_log(actor=current_user())}
