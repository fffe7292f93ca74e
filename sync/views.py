"""POST /v1/sync: push queued ops, pull changes, in one round trip and one transaction."""
from __future__ import annotations

from flask import current_app, request
from marshmallow import ValidationError

from backend.auth import DEVICE_SECURITY, current_device
from backend.db import utcnow
from backend.errors import ApiError, PayloadTooLarge, ValidationFailed
from backend.extensions import AUTH_ERRORS, SHED_ERRORS, Blueprint, db
from backend.feed.service import Cursor, changes_query, page_of_changes
from backend.jsonio import loads_strict
from backend.metrics.instruments import count_sync_results
from backend.responders.service import device_responder
from sync.apply import Pull, apply_ops
from sync.clock import make_clock
from sync.ops import OPS
from sync.protocol import (
    PROTOCOL_VERSION,
    SUPPORTED_PROTOCOLS,
    SyncRequest,
    SyncResponse,
)

blp = Blueprint("sync", __name__, url_prefix="/v1", description="Offline sync protocol v1")
_REQUEST = SyncRequest()


def _parse(max_ops: int) -> dict:
    if request.mimetype != "application/json":
        raise ApiError("Send the body as application/json (gzip it with Content-Encoding).",
                       code="unsupported_media_type", status=415,
                       details={"accepted": ["application/json"]})
    payload = loads_strict(request.get_data())
    if not isinstance(payload, dict):
        raise ValidationFailed("The body must be a JSON object.")
    protocol = payload.get("protocol")
    if type(protocol) is not int or protocol not in SUPPORTED_PROTOCOLS:
        raise ApiError(f"Protocol {protocol!r} is not served here.",
                       code="unsupported_protocol", status=400,
                       details={"supported": list(SUPPORTED_PROTOCOLS)})
    ops = payload.get("ops")
    if isinstance(ops, list) and len(ops) > max_ops:
        raise PayloadTooLarge(f"At most {max_ops} ops per request; send the rest next.",
                              code="too_many_ops", details={"max_ops": max_ops})
    try:
        return _REQUEST.load(payload)
    except ValidationError as exc:
        raise ValidationFailed("The sync envelope did not pass validation.",
                               details=exc.normalized_messages()) from None


@blp.route("/sync", methods=["POST"])
@blp.doc(security=DEVICE_SECURITY, requestBody={
    "required": True, "content": {"application/json": {"schema": SyncRequest}}})
@blp.response(200, SyncResponse)
@blp.errors({**AUTH_ERRORS,
             400: "malformed_json, malformed_gzip or unsupported_protocol",
             413: "payload_too_large or too_many_ops",
             415: "unsupported_content_encoding or unsupported_media_type",
             422: "validation_error or invalid_cursor",
             **SHED_ERRORS})
def sync():
    """Apply queued ops and return the changes since the cursor."""
    received_at = utcnow()
    config = current_app.config
    device = current_device()
    # A responder phone must have its crew member signed in (401 keeps the ops queued).
    responder = device_responder(device) if device.kind == "responder" else None
    body = _parse(config["SYNC_MAX_OPS"])
    cursor = Cursor.decode(body["cursor"])
    clock = make_clock(received_at=received_at, device_time=body["device_time"],
                       flag_after_s=config["CLOCK_SKEW_FLAG_SECONDS"])
    # Pull before push: the changes this request itself makes arrive with the next pull, on
    # both dialects alike (on PostgreSQL our own transaction is not yet below the horizon).
    # The pull is read in the statement that reads the ops' receipts, before any write.
    limit = config["SYNC_PAGE_SIZE"]
    pull = Pull(changes_query(device_id=device.id, regency_id=device.regency_id,
                              cursor=cursor, limit=limit))
    results = apply_ops(device=device, ops=body["ops"], clock=clock, responder=responder,
                        pull=pull)
    changes, cursor, has_more = page_of_changes(pull.rows, cursor=cursor, limit=limit)
    reply = {
        "protocol": PROTOCOL_VERSION, "server_time": utcnow().isoformat(),
        "clock": {"offset_ms": clock.offset_ms, "flagged": clock.flagged},
        "results": results,
        "changes": [{"id": c.seq, "type": c.type, "at": c.created_at.isoformat(),
                     "data": c.data} for c in changes],
        "cursor": cursor.encode(), "has_more": has_more,
    }
    db.session.commit()
    count_sync_results(body["ops"], results, OPS)  # after the commit: what stuck
    # Built by hand, not dumped through SyncResponse: this is the hottest path and the
    # contract tests validate its shape against the published schema.
    return current_app.json.response(reply)
