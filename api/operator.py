"""Operator console JSON API: session login, triage, incidents, dispatch, live feed, audit.

Authentication is the console session cookie; every unsafe request carries the session's
CSRF token in X-CSRF-Token (get one from GET /v1/operator/session, even before login).
"""
from __future__ import annotations

import json
import time
import urllib.parse

from flask import Response, current_app, request, session, stream_with_context
from marshmallow import Schema, fields

from backend.accounts.schemas import Credentials, UserRead
from backend.accounts.service import authenticate_user
from backend.auth import (SESSION_SECURITY, check_csrf, client_address, csrf_token,
                          current_user, login_session, signed_in_user)
from backend.extensions import Blueprint, db
from backend.feed.service import Cursor, feed_head, read_changes
from backend.incidents import service as incidents
from backend.incidents.schemas import (AuditList, CallReportArgs, ConfirmArgs, DispatchArgs,
                                       DispatchRead, DutyArgs, IncidentDetail, IncidentList,
                                       IncidentRead, Inbox, InboxArgs, IncidentListArgs,
                                       MergeArgs, NoteArgs,
                                       PriorityArgs,
                                       RejectArgs, ReportDetail, StatusArgs, TriageReport,
                                       UnitList, UnitRead)
from backend.units.service import list_units, set_unit_duty

blp = Blueprint("operator", __name__, url_prefix="/v1/operator",
                description="Operator console API (session cookie + CSRF header)")
blp.before_request(check_csrf)

STAFF_ERRORS = {401: "not_signed_in", 403: "forbidden (role) or csrf_failed"}
FEED_SECONDS = 55     # a stream ends before proxies time out; EventSource reconnects itself
FEED_POLL_S = 0.5


class SessionRead(Schema):
    user = fields.Nested(UserRead, allow_none=True, required=True)
    csrf_token = fields.String(required=True)


@blp.route("/session")
@blp.response(200, SessionRead)
def get_session():
    """Show the signed-in user (or null) and the CSRF token for unsafe requests."""
    return {"user": signed_in_user(), "csrf_token": csrf_token()}


@blp.route("/session", methods=["POST"])
@blp.arguments(Credentials)
@blp.response(200, SessionRead)
@blp.errors({401: "invalid_credentials", 403: "csrf_failed",
             429: "rate_limited: 5 failures per username and client in 15 minutes"})
def login(args):
    """Sign in to the console."""
    user = authenticate_user(username=args["username"], password=args["password"],
                             client=client_address(),
                             counter=current_app.extensions["siaga.counter"])
    token = login_session(user)
    db.session.commit()
    return {"user": user, "csrf_token": token}


@blp.route("/session", methods=["DELETE"])
@blp.response(204)
@blp.errors({403: "csrf_failed"})
def logout():
    """Sign out."""
    session.clear()


@blp.route("/inbox")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(InboxArgs, location="query")
@blp.response(200, Inbox)
@blp.errors(STAFF_ERRORS)
def inbox(args):
    """Reports awaiting triage: silent SOS first, then urgent categories, newest first."""
    user = current_user()
    cursor = feed_head(regency_id=user.regency_id)
    reports = incidents.inbox(actor=user, statuses=tuple(args["status"] or ("received",)),
                              limit=args["limit"])
    return {"reports": reports, "cursor": cursor.encode()}


@blp.route("/reports", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(CallReportArgs)
@blp.response(201, TriageReport)
@blp.errors(STAFF_ERRORS)
def create_call_report(args):
    """Enter a report taken by a voice call."""
    report = incidents.create_call_report(actor=current_user(), **args)
    db.session.commit()
    return report


@blp.route("/reports/<ref>")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, ReportDetail)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found"})
def report_detail(ref):
    """A report with likely duplicates and the reporter's other reports."""
    user = current_user()
    report = incidents.get_report(actor=user, ref=ref)
    return {"report": report,
            "duplicates": incidents.likely_duplicates(actor=user, report=report),
            "reporter_history": incidents.reporter_history(actor=user, report=report)}


def _commit(result):
    db.session.commit()
    return result


@blp.route("/reports/<ref>/confirm", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(ConfirmArgs)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found, incident_not_found",
             409: "invalid_transition"})
def confirm(args, ref):
    """Confirm a report: open an incident, or join the given one."""
    return _commit(incidents.confirm_report(actor=current_user(), ref=ref, **args))


@blp.route("/reports/<ref>/reject", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(RejectArgs)
@blp.response(200, TriageReport)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found", 409: "invalid_transition"})
def reject(args, ref):
    """Reject a report (prank, test, invalid)."""
    return _commit(incidents.reject_report(actor=current_user(), ref=ref, **args))


@blp.route("/reports/<ref>/merge", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(MergeArgs)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found, incident_not_found",
             409: "invalid_transition, already_in_incident"})
def merge(args, ref):
    """Merge a report into an incident as a duplicate."""
    return _commit(incidents.merge_report(actor=current_user(), ref=ref, **args))


@blp.route("/reports/<ref>/split", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found",
             409: "not_in_incident, nothing_to_split"})
def split(ref):
    """Take a report out of its incident into a new one."""
    return _commit(incidents.split_report(actor=current_user(), ref=ref))


@blp.route("/incidents")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(IncidentListArgs, location="query")
@blp.response(200, IncidentList)
@blp.errors(STAFF_ERRORS)
def list_incidents(args):
    """Incidents of the regency, most urgent first."""
    return {"incidents": incidents.list_incidents(actor=current_user(), statuses=args["status"],
                                                  limit=args["limit"])}


def share_url(text: str) -> str:
    return "https://wa.me/?text=" + urllib.parse.quote(text)


@blp.route("/incidents/<number>")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, IncidentDetail)
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found"})
def incident_detail(number):
    """An incident with reports, dispatches, timeline, recommended units and a share text."""
    user = current_user()
    detail = incidents.incident_detail(actor=user, number=number)
    text = incidents.whatsapp_text(detail)
    return {**detail, "share_text": text, "share_url": share_url(text)}


@blp.route("/incidents/<number>/status", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(StatusArgs)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found", 409: "invalid_transition"})
def incident_status(args, number):
    """Move an incident along its state machine."""
    return _commit(incidents.transition_incident(actor=current_user(), number=number,
                                                 to=args["status"]))


@blp.route("/incidents/<number>/priority", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(PriorityArgs)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found"})
def incident_priority(args, number):
    """Set an incident's priority (1 = life-threatening)."""
    return _commit(incidents.set_priority(actor=current_user(), number=number, **args))


@blp.route("/incidents/<number>/notes", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(NoteArgs)
@blp.response(201, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found"})
def incident_note(args, number):
    """Add a note to an incident's timeline."""
    return _commit(incidents.add_note(actor=current_user(), number=number, text=args["text"]))


@blp.route("/incidents/<number>/dispatch", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(DispatchArgs)
@blp.response(201, DispatchRead(many=True))
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found, unit_not_found",
             409: "invalid_transition, already_dispatched"})
def dispatch(args, number):
    """Dispatch units to an incident."""
    return _commit(incidents.dispatch_units(actor=current_user(), number=number,
                                            unit_ids=args["units"]))


@blp.route("/units")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, UnitList)
@blp.errors(STAFF_ERRORS)
def units():
    """All units of the regency with their duty state."""
    return {"units": list_units(actor=current_user())}


@blp.route("/units/<int:unit_id>/duty", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(DutyArgs)
@blp.response(200, UnitRead)
@blp.errors({**STAFF_ERRORS, 404: "unit_not_found"})
def unit_duty(args, unit_id):
    """Mark a unit on or off duty."""
    return _commit(set_unit_duty(actor=current_user(), unit_id=unit_id,
                                 on_duty=args["on_duty"]))


@blp.route("/audit")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, AuditList)
@blp.errors(STAFF_ERRORS)
def audit():
    """The regency's audit log, newest first (supervisors and admins)."""
    return {"events": incidents.audit_log(actor=current_user())}


@blp.route("/feed")
@blp.doc(security=SESSION_SECURITY, responses={"200": {
    "description": "text/event-stream of regency changes; each event's id is the cursor.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
@blp.errors({**STAFF_ERRORS, 422: "invalid_cursor"})
def feed():
    """Stream the regency's changes as server-sent events (resume with Last-Event-ID)."""
    user = current_user()
    cursor = Cursor.decode(request.headers.get("Last-Event-ID") or request.args.get("cursor"))
    regency_id = user.regency_id
    db.session.rollback()

    def events():
        nonlocal cursor
        deadline, last_sent = time.monotonic() + FEED_SECONDS, time.monotonic()
        yield "retry: 1000\n\n"
        while time.monotonic() < deadline:
            changes, cursor, _ = read_changes(regency_id=regency_id, cursor=cursor, limit=200)
            db.session.rollback()  # end the read: release SQLite's lock, PostgreSQL's snapshot
            for c in changes:
                data = json.dumps({"id": c.seq, "type": c.type, "data": c.data})
                yield f"id: {cursor.encode()}\nevent: change\ndata: {data}\n\n"
                last_sent = time.monotonic()
            if time.monotonic() - last_sent > 15:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            time.sleep(FEED_POLL_S)

    return Response(stream_with_context(events()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
