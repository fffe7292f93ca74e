"""The SMS gateway phone's webhook (backend/sms/gateways/webhook.py): no session, no device
key — the request is the phone app's if its HMAC signature (X-Signature over the raw body +
X-Timestamp, key SMS_WEBHOOK_SECRET) is right. Checked before the body is parsed: a wrong
signature is a 401 and writes nothing; a bad body is a 422; 200 only once the SMS is committed.
"""
from __future__ import annotations

from flask import current_app, request

from backend.errors import Unauthorized
from backend.extensions import Blueprint, db
from backend.sms.gateways.webhook import verify_signature
from backend.sms.schemas import WebhookEvent, WebhookResult
from backend.sms.service import webhook_event

blp = Blueprint("sms", __name__, url_prefix="/v1/sms",
                description="SMS gateway phone webhook (HMAC-signed)")


@blp.before_request
def signed_by_the_gateway():
    config = current_app.config
    if not verify_signature(config["SMS_WEBHOOK_SECRET"], request.get_data(cache=True),
                            request.headers.get("X-Timestamp"),
                            request.headers.get("X-Signature"),
                            config["SMS_WEBHOOK_MAX_SKEW_S"]):
        raise Unauthorized("Missing, wrong or stale webhook signature.", code="bad_signature")


@blp.route("/webhook", methods=["POST"])
@blp.doc(parameters=[
    {"in": "header", "name": "X-Signature", "required": True, "schema": {"type": "string"},
     "description": "hex HMAC-SHA256(SMS_WEBHOOK_SECRET, raw body + X-Timestamp)"},
    {"in": "header", "name": "X-Timestamp", "required": True, "schema": {"type": "string"},
     "description": "Unix seconds; within SMS_WEBHOOK_MAX_SKEW_S of the server's clock"}])
@blp.arguments(WebhookEvent)
@blp.response(200, WebhookResult)
@blp.errors({401: "bad_signature", 422: "validation_error"})
def webhook(event):
    """An event of the gateway phone: an SMS received (stored exactly once, by event id),
    or the fate of an SMS we sent."""
    result = webhook_event(event)
    db.session.commit()
    return result
