"""The mobile network operator's AML endpoint posts here (Advanced Mobile Location over
HTTPS, ETSI TS 103 625 / EENA): the location a phone sends by itself while it calls 112.

No session, no device key: the delivery is the operator's if its HMAC signature is right
(X-Signature = hex HMAC-SHA256(AML_HTTPS_SECRET, raw body + X-Timestamp), as the SMS webhook)
and/or it comes from an address in AML_HTTPS_ALLOW — every configured check must pass; with
neither configured, nothing passes (401, nothing written).

Once authenticated and readable (a form-encoded UTF-8 body of at most MAX_BODY bytes), the
answer is ALWAYS 200: the sender does not retry meaningfully, so a malformed AML is stored
refused (visible to operators, counted) and answered `accepted: false` — never a 4xx/5xx
that would only lose it. With the database away it is spooled to disk and answered 202
(backend/sms/aml_spool.py). It takes the AML-by-SMS path (backend/sms/service.py
receive_aml_https → handle_inbound → aml_match): attached to the voice-call report of the
same number within AML_MATCH_WINDOW_MIN, or held until the operator creates it.
"""
from __future__ import annotations

import ipaddress
import logging

from flask import current_app, request
from sqlalchemy.exc import SQLAlchemyError

from backend.errors import ApiError, PayloadTooLarge, Unauthorized
from backend.extensions import Blueprint, db
from backend.sms.aml_spool import spool
from backend.sms.gateways.webhook import verify_signature
from backend.sms.schemas import AmlHttpsForm, AmlHttpsResult
from backend.sms.service import MAX_TEXT, receive_aml_https

MAX_BODY = MAX_TEXT
log = logging.getLogger(__name__)

blp = Blueprint("aml", __name__, url_prefix="/v1/aml",
                description="Advanced Mobile Location over HTTPS (the mobile network "
                            "operator's AML endpoint; HMAC-signed and/or address allow-list)")


def _allowed(address: str | None, allow: str) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    for item in filter(None, (a.strip() for a in allow.split(","))):
        try:
            if ip in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:  # a typo in the setting admits nobody, never everybody
            continue
    return False


@blp.before_request
def sent_by_the_network_operator():
    config = current_app.config
    secret, allow = config["AML_HTTPS_SECRET"], config["AML_HTTPS_ALLOW"]
    if not secret and not allow:
        raise Unauthorized("The AML endpoint is not configured (AML_HTTPS_SECRET / "
                           "AML_HTTPS_ALLOW).", code="bad_signature")
    if allow and not _allowed(request.remote_addr, allow):
        raise Unauthorized("This address may not post AML.", code="bad_signature")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise PayloadTooLarge(f"An AML body is at most {MAX_BODY} bytes.")
    body = request.get_data(cache=True)
    if secret and not verify_signature(secret, body, request.headers.get("X-Timestamp"),
                                       request.headers.get("X-Signature"),
                                       config["AML_HTTPS_MAX_SKEW_S"]):
        raise Unauthorized("Missing, wrong or stale AML signature.", code="bad_signature")


@blp.route("/https", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": AmlHttpsForm}}}, parameters=[
    {"in": "header", "name": "X-Signature", "required": False, "schema": {"type": "string"},
     "description": "hex HMAC-SHA256(AML_HTTPS_SECRET, raw body + X-Timestamp); required "
                    "when AML_HTTPS_SECRET is set"},
    {"in": "header", "name": "X-Timestamp", "required": False, "schema": {"type": "string"},
     "description": "Unix seconds; within AML_HTTPS_MAX_SKEW_S of the server's clock"}])
@blp.response(200, AmlHttpsResult)
@blp.alt_response(202, schema=AmlHttpsResult, description=(
    "The database is unavailable: the AML is kept on disk (result `spooled`) and stored, "
    "matched or held, when it returns."))
@blp.errors({400: "bad_request", 401: "bad_signature", 413: "payload_too_large"})
def aml_https():
    """One AML location: stored once (a redelivery of the same AML is `duplicate`), matched
    to the caller's call report or held; a malformed one is stored refused. 200 whenever the
    body can be read, whatever the AML says."""
    body = request.get_data(cache=True)
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(f"An AML body is at most {MAX_BODY} bytes.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("The body is not UTF-8 form data.", code="bad_request") from None
    if not text.strip():
        raise ApiError("The body is empty: an AML delivery is form-encoded key=value pairs.",
                       code="bad_request")
    try:
        row, result = receive_aml_https(text)
        db.session.commit()
    except SQLAlchemyError as exc:
        # The database is away: keep it on disk, answer 202, store it when it returns.
        db.session.rollback()
        log.warning("AML spooled, database unavailable: %s", exc)
        spool(text)
        return {"accepted": True, "result": "spooled", "sms_id": None, "error": None}, 202
    error = (row.parse or {}).get("error") if row is not None and row.error_code else None
    return {"accepted": result in ("attached", "held", "duplicate"), "result": result,
            "sms_id": row.id if row is not None else None,
            "error": {"code": error["code"], "field": (error.get("details") or {}).get("field")}
            if error else None}
