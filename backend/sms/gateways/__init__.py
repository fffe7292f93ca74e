"""SMS gateway drivers behind one interface, chosen by SMS_GATEWAY.

    gammu    a GSM modem driven by gammu-smsd (files backend): inbound is PULLED by scanning
             its inbox from the relay; replies are injected into its outbox.
    webhook  an Android SMS-gateway phone app: inbound is PUSHED to POST /v1/sms/webhook;
             replies are POSTed to the app's send API.
    standin  the local stand-in (./dev run): replies are POSTed to it; inbound arrives by
             `flask sms inject` (or its webhook, signed like the phone app's).

The service (backend/sms/service.py) owns durability; a driver only moves bytes:
`fetch()` lists what waits in a pull gateway's inbox (each with a stable id), `ack()` is
called only after that message's row is committed, `send()` hands one SMS to the gateway,
`reconcile()` tells what became of SMS handed over earlier (gammu's sent/error folders).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask


@dataclass(frozen=True)
class Inbound:
    """One SMS as a gateway hands it over."""

    gateway_id: str                 # stable across redeliveries: the dedup key
    number: str                     # as the gateway wrote it
    text: str
    received_at: datetime | None    # UTC, when the gateway received it
    error: str | None = None        # the gateway's copy could not be read (kept raw in text)
    handle: object = field(default=None, compare=False)  # what ack() needs (a file path)


@dataclass(frozen=True)
class SendResult:
    kind: str                       # sent | submitted | retry | failed
    gateway_id: str | None = None   # the gateway's id for the SMS (outbox file, message id)
    error: str | None = None
    retry_after_s: float | None = None


class Gateway:
    name = "none"

    def fetch(self, limit: int = 100) -> list[Inbound]:
        """Inbound SMS waiting in a pull gateway (push gateways: none)."""
        return []

    def ack(self, message: Inbound) -> None:
        """The message's row is committed: the gateway may forget its copy."""

    def send(self, number: str, text: str, ref: str) -> SendResult:
        """Hand one SMS to the gateway; `ref` is ours (idempotency key where supported)."""
        return SendResult("retry", error="no SMS gateway configured (SMS_GATEWAY)")

    def reconcile(self, gateway_ids: list[str]) -> dict[str, SendResult]:
        """Final state of SMS reported `submitted` earlier, for those that have one."""
        return {}


def make_gateway(app: Flask) -> Gateway:
    kind = app.config["SMS_GATEWAY"]
    if kind == "gammu":
        from backend.sms.gateways.gammu import GammuGateway

        return GammuGateway(app.config["SMS_GAMMU_CONFIG"], app.config["SMS_GAMMU_DONE_PATH"],
                            app.config["SMS_GAMMU_INJECT"])
    if kind in ("webhook", "standin"):
        from backend.sms.gateways.webhook import WebhookGateway

        if kind == "standin":
            return WebhookGateway(app.config["SMS_STANDIN_URL"].rstrip("/") + "/message",
                                  "", name="standin")
        return WebhookGateway(app.config["SMS_WEBHOOK_SEND_URL"],
                              app.config["SMS_WEBHOOK_SEND_AUTH"])
    if kind:
        raise RuntimeError(f"SMS_GATEWAY={kind!r}: use gammu, webhook, standin or nothing")
    return Gateway()


def gateway(app: Flask) -> Gateway:
    """The app's gateway, built once."""
    if "siaga.sms" not in app.extensions:
        app.extensions["siaga.sms"] = make_gateway(app)
    return app.extensions["siaga.sms"]
