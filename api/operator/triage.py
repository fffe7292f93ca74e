"""Triage: the inbox, voice-call reports, confirm, reject, merge, split."""
from __future__ import annotations

from api.operator import STAFF_ERRORS, blp, commit, requires
from backend.auth import SESSION_SECURITY, current_user
from backend.feed.service import feed_head
from backend.incidents.schemas import IncidentRead
from backend.sms import aml_match
from backend.sms.aml_match import report_aml
from backend.sms.report_sms import report_messages
from backend.triage import service as triage
from backend.triage.schemas import (
    AmlAccepted,
    CallReportArgs,
    ConfirmArgs,
    Inbox,
    InboxArgs,
    MergeArgs,
    RejectArgs,
    ReportDetail,
    TriageReport,
)


@blp.route("/inbox")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(InboxArgs, location="query")
@blp.response(200, Inbox)
@blp.errors(STAFF_ERRORS)
def inbox(args):
    """Reports awaiting triage: silent SOS first, then urgent categories, newest first."""
    user = current_user()
    cursor = feed_head(regency_id=user.regency_id)
    reports = triage.inbox(actor=user, statuses=tuple(args["status"] or ("received",)),
                           limit=args["limit"], include_test=args["include_test"])
    return {"reports": reports, "floods": triage.floods(actor=user), "cursor": cursor.encode()}


@blp.route("/reports", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(CallReportArgs)
@blp.response(201, TriageReport)
@blp.errors({**STAFF_ERRORS, 404: "desa_not_found"})
def create_call_report(args):
    """Enter a report taken by a voice call."""
    return commit(triage.create_call_report(actor=current_user(), **args))


@blp.route("/reports/<ref>")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, ReportDetail)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found"})
def report_detail(ref):
    """A report with likely duplicates and the reporter's other reports."""
    user = current_user()
    report = triage.open_report(actor=user, ref=ref)
    return commit({"report": report,
                   "duplicates": triage.likely_duplicates(actor=user, report=report),
                   "reporter_history": triage.reporter_history(actor=user, report=report),
                   "sms": report_messages(report), "aml": report_aml(report)})


@blp.route("/reports/<ref>/aml/accept", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, AmlAccepted)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found", 409: "no_aml"})
def accept_aml(ref):
    """Apply the caller's AML location to the report ("Pakai lokasi AML"; audited)."""
    report = aml_match.accept_aml(actor=current_user(), ref=ref)
    return commit({"report": report, "aml": aml_match.report_aml(report)})


@blp.route("/reports/<ref>/confirm", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(ConfirmArgs)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found, incident_not_found",
             409: "invalid_transition"})
def confirm(args, ref):
    """Confirm a report: open an incident, or join the given one."""
    return commit(triage.confirm_report(actor=current_user(), ref=ref, **args))


@blp.route("/reports/<ref>/reject", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(RejectArgs)
@blp.response(200, TriageReport)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found", 409: "invalid_transition"})
def reject(args, ref):
    """Reject a report (prank, test, invalid)."""
    return commit(triage.reject_report(actor=current_user(), ref=ref, **args))


@blp.route("/reports/<ref>/merge", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(MergeArgs)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found, incident_not_found",
             409: "invalid_transition, already_in_incident"})
def merge(args, ref):
    """Merge a report into an incident as a duplicate."""
    return commit(triage.merge_report(actor=current_user(), ref=ref, **args))


@blp.route("/reports/<ref>/split", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found",
             409: "not_in_incident, nothing_to_split"})
def split(ref):
    """Take a report out of its incident into a new one."""
    return commit(triage.split_report(actor=current_user(), ref=ref))
