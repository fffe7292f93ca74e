"""SMS as operators see them (what came in, what failed to go out) and the block list."""
from __future__ import annotations

from api.operator import STAFF_ERRORS, blp, commit, requires
from backend.auth import SESSION_SECURITY, current_user
from backend.sms import service
from backend.sms.report_sms import reply_to_report
from backend.sms.schemas import (BlockArgs, BlockedList, BlockedRead, SmsList, SmsListArgs,
                                 SmsRead, SmsReplyArgs, UnblockArgs)


@blp.route("/sms/messages")
@requires("view")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(SmsListArgs, location="query")
@blp.response(200, SmsList)
@blp.errors(STAFF_ERRORS)
def sms_messages(args):
    """The regency's SMS, newest first (filter by direction and status, e.g. failed)."""
    return {"messages": service.list_messages(actor=current_user(), **args)}


@blp.route("/sms/blocked")
@requires("view")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, BlockedList)
@blp.errors(STAFF_ERRORS)
def sms_blocked():
    """Blocked numbers: their SMS are stored, marked blocked, never forwarded."""
    return {"blocked": service.blocked_numbers(actor=current_user())}


@blp.route("/sms/blocked", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(BlockArgs)
@blp.response(201, BlockedRead)
@blp.errors(STAFF_ERRORS)
def sms_block(args):
    """Block an abusive number (audited; blocking it again changes nothing)."""
    return commit(service.block_number(actor=current_user(), **args))


@blp.route("/sms/unblock", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(UnblockArgs)
@blp.response(204)
@blp.errors({**STAFF_ERRORS, 404: "not_blocked"})
def sms_unblock(args):
    """Lift a block (audited)."""
    commit(service.unblock_number(actor=current_user(), **args))


@blp.route("/reports/<ref>/sms", methods=["POST"])
@requires("triage")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(SmsReplyArgs)
@blp.response(201, SmsRead)
@blp.errors({**STAFF_ERRORS, 404: "report_not_found", 409: "no_number"})
def sms_reply(args, ref):
    """Answer a report by SMS to its number (audited); sent after commit, with retries."""
    return commit(reply_to_report(actor=current_user(), ref=ref, **args))
