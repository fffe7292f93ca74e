"""Incidents: list, page data with the WhatsApp share text, status, priority, notes, dispatch."""
from __future__ import annotations

from api.operator import STAFF_ERRORS, blp, commit, requires
from backend.auth import SESSION_SECURITY, current_user
from backend.dispatches import service as dispatches
from backend.dispatches.schemas import DispatchArgs, DispatchRead
from backend.incidents import service as incidents
from backend.incidents.schemas import (
    IncidentDetail,
    IncidentList,
    IncidentListArgs,
    IncidentRead,
    NoteArgs,
    PriorityArgs,
    StatusArgs,
)


@blp.route("/incidents")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(IncidentListArgs, location="query")
@blp.response(200, IncidentList)
@blp.errors(STAFF_ERRORS)
def list_incidents(args):
    """Incidents of the regency, most urgent first or newest first; search and page."""
    rows, next_cursor = incidents.list_incidents(
        actor=current_user(), statuses=args.pop("status"), categories=args.pop("category"),
        **args)
    return {"incidents": rows, "next_cursor": next_cursor}


@blp.route("/incidents/<number>")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, IncidentDetail)
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found"})
def incident_detail(number):
    """An incident with reports, dispatches, timeline, recommended units and a share text."""
    user = current_user()
    detail = incidents.incident_detail(actor=user, number=number)
    text = incidents.whatsapp_text(detail)
    return {**detail, "share_text": text, "share_url": incidents.share_url(text)}


@blp.route("/incidents/<number>/status", methods=["POST"])
@requires("dispatch")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(StatusArgs)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found", 409: "invalid_transition"})
def incident_status(args, number):
    """Move an incident along its state machine."""
    return commit(incidents.transition_incident(actor=current_user(), number=number,
                                                 to=args["status"]))


@blp.route("/incidents/<number>/priority", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(PriorityArgs)
@blp.response(200, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found"})
def incident_priority(args, number):
    """Set an incident's priority (1 = life-threatening)."""
    return commit(incidents.set_priority(actor=current_user(), number=number, **args))


@blp.route("/incidents/<number>/notes", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(NoteArgs)
@blp.response(201, IncidentRead)
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found"})
def incident_note(args, number):
    """Add a note to an incident's timeline."""
    return commit(incidents.add_note(actor=current_user(), number=number, text=args["text"]))


@blp.route("/incidents/<number>/dispatch", methods=["POST"])
@requires("dispatch")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(DispatchArgs)
@blp.response(201, DispatchRead(many=True))
@blp.errors({**STAFF_ERRORS, 404: "incident_not_found, unit_not_found",
             409: "invalid_transition, already_dispatched, unit_busy (details: unit, "
                  "incident, state, dispatch), unit_retired"})
def dispatch(args, number):
    """Dispatch units to an incident (a busy unit only with reassign and a reason)."""
    return commit(dispatches.dispatch_units(actor=current_user(), number=number,
                                            unit_ids=args["units"], reassign=args["reassign"],
                                            reason=args["reason"]))
