"""The SMS channel's durable half: every SMS in and out is a row before anything else happens.

Inbound, exactly once: receive() inserts the gateway's message keyed by (gateway, its id)
with ON CONFLICT DO NOTHING, so a redelivery (webhook retry, an inbox file found again after
a crash) inserts nothing. The caller commits, and only then acknowledges the gateway's copy
(moves the gammu file, answers the webhook 2xx): with the database down the message waits
at the gateway and is taken on a later round. A number over SMS_LIMIT_PER_NUMBER is stored
flagged `rate_limited` (like the SOS flood: never refused); a blocked number's SMS is stored
`blocked` and not forwarded. Everything else goes through handle_inbound(), the one hook.

Outbound, at least once: queue_sms() writes a `queued` row in the caller's transaction;
after commit the relay (or the embedded thread) claims due rows with a lease, hands them to
the gateway, and records sent / submitted (gammu: in the modem's outbox, then sent or
failed from its folders) / a retry with backoff / a visible failure.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import asdict, is_dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urlencode

import phonenumbers
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.accounts.models import User
from backend.accounts.permissions import actor_ref, require
from backend.audit.service import record_event
from backend.db import insert_ignoring_conflicts, utcnow
from backend.errors import NotFound
from backend.extensions import db
from backend.regencies.service import get_regency_by_code
from backend.schemas import CONTROL_CHARACTERS
from backend.sms.gateways import Gateway, Inbound, SendResult, gateway
from backend.sms.models import BlockedNumber, SmsMessage

log = logging.getLogger(__name__)
PENDING = "siaga.sms.pending"   # outbound rows queued in this transaction: kick after commit
COUNTS = "siaga.sms.counts"    # inbound (kind, result) of this transaction: counted on commit
MAX_TEXT = 4000
# The pseudo-gateway of AML deliveries over HTTPS (POST /v1/aml/https): stored as inbound
# messages of kind aml, so both AML transports take one path.
AML_HTTPS = "aml_https"


# ---------------------------------------------------------------------------- numbers

def normalise_number(raw: str) -> str:
    """E.164 (+62812…) when `raw` is a phone number (0812…, 62812…, +62 812-…); as given
    otherwise (operator short codes like 3636, alphanumeric senders like TELKOMSEL)."""
    raw = (raw or "").strip()
    try:
        parsed = phonenumbers.parse(raw, current_app.config["SMS_REGION"])
    except phonenumbers.NumberParseException:
        return raw[:40]
    if not phonenumbers.is_possible_number(parsed):
        return raw[:40]
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _regency_id() -> int:
    return get_regency_by_code(current_app.config["DEFAULT_REGENCY"]).id


# ---------------------------------------------------------------------------- inbound

def receive(message: Inbound, *, gateway_name: str) -> SmsMessage | None:
    """Store one inbound SMS (the caller commits, then acks the gateway). Returns the new
    row, or None when this gateway message is already stored (a redelivery)."""
    now = utcnow()
    number = normalise_number(CONTROL_CHARACTERS.sub("", message.number))
    # Control characters (NUL cannot be stored by PostgreSQL) are dropped, never refused: a
    # refusal would leave the message at the gateway for ever.
    text = CONTROL_CHARACTERS.sub("", message.text)
    table = SmsMessage.__table__
    new_id = db.session.scalar(
        insert_ignoring_conflicts(table, "direction", "gateway", "gateway_id",
                                  "regency_id").values(
            regency_id=_regency_id(), direction="in", number=number,
            text=text[:MAX_TEXT], gateway=gateway_name,
            gateway_id=message.gateway_id[:200], status="received", attempts=0,
            rate_limited=False, received_at=message.received_at or now, created_at=now,
            error_code=message.error).returning(table.c.id))
    if new_id is None:
        return None
    row = db.session.get(SmsMessage, new_id)
    if message.error:
        row.status, row.kind = "failed", "unknown"
        _count(row.kind, "failed")
        return row
    if is_blocked(row.regency_id, number):
        row.status, row.error_code = "blocked", "blocked_number"
        _count("unknown", "blocked")
        return row
    row.rate_limited = current_app.extensions["siaga.limits"].hit(
        "sms:in", number, current_app.config["SMS_LIMIT_PER_NUMBER"]) is not None
    try:
        with db.session.begin_nested():
            result = handle_inbound(row)
    except Exception:  # the message stays stored (and visible) whatever the handler does
        log.exception("handle_inbound failed for SMS %s", new_id)
        db.session.refresh(row)
        row.status, row.error_code, result = "failed", "handler_error", "failed"
    _count(row.kind or "unknown", row.error_code if result == "refused" else result)
    return row


def _count(kind: str, result: str) -> None:
    """Counted after the commit (a rolled-back message is received again later)."""
    db.session.info.setdefault(COUNTS, []).append((kind, result))


def handle_inbound(message: SmsMessage) -> str:
    """THE hook for an inbound SMS, run once per stored message, inside the transaction that
    stores it (in a savepoint: if it raises, the message is kept, status `failed`,
    error_code `handler_error`). Blocked numbers never reach it; rate-limited ones do, with
    `message.rate_limited` set (their reports are to be stored flagged, like a flood).

    Today it classifies and records the result on the row:
      kind  "aml"      parse = the AmlLocation fields          (backend/sms/aml.py; an
                       AML SMS, or an AML HTTPS delivery: gateway aml_https, its form
                       body as the text)
            "compact"  parse = {"op": the report.create op, "device_id", "verified"}
                       verified against the device's key      (backend/sms/compact.py)
            "text"     parse = category, confidence, desa, candidates, kecamatan
                                                               (backend/sms/text.py)
            "unknown"  empty text
      error_code  the parser's refusal (aml_<code> / compact_<code>), parse["error"] too.

    Then backend.sms.intake.report_from_sms() turns it into its report (compact: the op
    through create_reports, exactly once by op id; text: a sms_text report; aml: attached to
    the caller's voice-call report or held), sets `message.report_id` and queues the reply.
    Returns the result for the counter (created | duplicate | attached | held | refused |
    no_report). Everything runs in the caller's transaction — no commit here.
    """
    from backend.sms.aml import AmlError, is_aml_sms, parse_aml_sms
    from backend.sms.compact import CompactError, is_compact

    text = message.text or ""
    message.error_code, message.parse = None, None
    if message.gateway == AML_HTTPS or is_aml_sms(text):
        message.kind = "aml"
        try:
            message.parse = _jsonable(_aml_https(message) if message.gateway == AML_HTTPS
                                      else parse_aml_sms(text))
        except AmlError as exc:
            message.error_code, message.parse = f"aml_{exc.code}", {"error": exc.as_dict()}
    elif is_compact(text):
        message.kind = "compact"
        try:
            message.parse = _compact(text)
        except CompactError as exc:
            message.error_code = f"compact_{exc.code}"
            message.parse = {"error": {"code": exc.code, "field": exc.field}}
    elif text.strip():
        message.kind = "text"
        message.parse = _plain_text(text, message.regency_id)
    else:
        message.kind = "unknown"
    message.status = "processed"
    from backend.sms.intake import report_from_sms
    return report_from_sms(message)


def _aml_https(message: SmsMessage):
    """The AmlLocation of an AML HTTPS delivery (its form-encoded body is the row's text).
    Without the caller's number it cannot be matched to a call: refused."""
    from backend.sms.aml import AmlError, parse_aml_https

    location = parse_aml_https(parse_qs(message.text, keep_blank_values=True))
    if not location.number:
        raise AmlError("missing_field", "device_number")
    return location


def _compact(text: str) -> dict:
    from backend.devices.models import Device
    from backend.sms.compact import CompactError, decode, sms_key_from_key_hash, verify

    sos = decode(text)
    device = db.session.get(Device, sos.device_id) if sos.device_id < 2**31 else None
    if device is None or device.revoked_at is not None:
        raise CompactError("unknown_device", "device")
    verify(sos, sms_key_from_key_hash(device.key_hash))
    parse = {"op": sos.to_op(), "device_id": sos.device_id, "verified": True}
    # Who may send what is the sync op table's rule (sync/ops.py): an SOS from any phone — a
    # crew member in trouble too —, a post report only from the crew of a unit. An SOS is
    # taken even from a crew phone nobody is signed in to: the device key signed it, and an
    # emergency is never dropped for a session.
    from sync.ops import OPS
    if device.kind not in OPS[sos.op_type].senders:
        raise CompactError("op_not_allowed", "category")
    if sos.post_via:  # the unit that took it: the op table's rule, as for post.report
        from sync.ops import OpRejected, crew_unit
        try:
            parse["unit_id"] = crew_unit(_signed_in(device))
        except OpRejected:
            raise CompactError("op_not_allowed", "device") from None
    return parse


def _signed_in(device):
    """The crew member signed in on a responder phone (None: nobody)."""
    from backend.errors import ApiError
    from backend.responders.service import device_responder
    try:
        return device_responder(device)
    except ApiError:
        return None


_GAZETTEERS: dict[int, tuple[object, object]] = {}


def _plain_text(text: str, regency_id: int) -> dict:
    from backend.places.service import regency_areas
    from backend.sms.text import Gazetteer, parse_text

    areas = regency_areas(regency_id)
    cached = _GAZETTEERS.get(regency_id)
    if cached is None or cached[0] is not areas:  # rebuilt when the areas change
        cached = _GAZETTEERS[regency_id] = (areas, Gazetteer(areas.areas.values()))
    result = parse_text(text, cached[1])
    return {"category": result.category, "category_confidence": result.category_confidence,
            "keywords": list(result.keywords), "desa": _jsonable(result.desa),
            "candidates": [_jsonable(c) for c in result.candidates],
            "kecamatan": _jsonable(result.kecamatan)}


def _jsonable(value):
    if value is None:
        return None
    data = asdict(value) if is_dataclass(value) else value
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def webhook_event(event: dict) -> dict:
    """One event of the Android gateway app (backend/sms/gateways/webhook.py), already
    authenticated and validated; the caller commits, then answers 2xx."""
    gw = gateway(current_app)
    name = gw.name if gw.name in ("webhook", "standin") else "webhook"
    payload = event["payload"]
    if event["event"] == "sms:received":
        row = receive(Inbound(event["id"], payload["phoneNumber"], payload["message"],
                              payload["receivedAt"]), gateway_name=name)
        return {"stored": row is not None, "sms_id": row.id if row else None}
    status = {"sms:sent": "sent", "sms:delivered": "sent", "sms:failed": "failed"}.get(
        event["event"])
    if status:
        row = db.session.scalar(sa.select(SmsMessage).where(
            SmsMessage.direction == "out", SmsMessage.gateway == name,
            SmsMessage.gateway_id == payload["messageId"]))
        if row is not None and row.status in ("sending", "submitted", "sent"):
            row.status = status
            if status == "failed":
                row.error_code, row.parse = "send_failed", {"error": payload.get("reason")}
            return {"stored": False, "sms_id": row.id}
    return {"stored": False, "sms_id": None}


def receive_aml_https(body: str, received_at: datetime | None = None
                      ) -> tuple[SmsMessage | None, str]:
    """One AML delivery of the mobile network operator's HTTPS endpoint (ETSI TS 103 625),
    its form-encoded body already authenticated and decoded. Stored like an inbound SMS of
    the pseudo-gateway `aml_https` — through receive() and handle_inbound(), so it is matched
    to the caller's call report or held exactly as an AML SMS is. The dedup key is the hash
    of the sorted form: the same AML delivered twice is stored once. The caller commits.
    `received_at`: when it reached us, if earlier (spooled while the database was down:
    backend/sms/aml_spool.py). Returns (the new row or None for a redelivery, the result:
    attached | held | refused | blocked | failed | duplicate)."""
    pairs = sorted(parse_qsl(body, keep_blank_values=True))
    key = hashlib.sha256(urlencode(pairs).encode()).hexdigest()
    number = next((v for k, v in pairs if k == "device_number"), "")
    row = receive(Inbound(f"sha256:{key}", number, body, received_at or utcnow()),
                  gateway_name=AML_HTTPS)
    if row is None:
        return None, "duplicate"
    if row.status in ("blocked", "failed"):
        return row, row.status
    if row.error_code:
        return row, "refused"
    return row, "attached" if row.report_id else "held"


def ingest_pending(gw: Gateway, limit: int = 100) -> int:
    """One pass over a pull gateway's inbox: each message stored in its own transaction,
    acknowledged only after its commit. The database down: the round stops, the messages
    stay at the gateway for the next one. Returns how many were new."""
    stored = 0
    for message in gw.fetch(limit):
        try:
            row = receive(message, gateway_name=gw.name)
            db.session.commit()
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.warning("SMS not stored (database unavailable?), left at the gateway: %s", exc)
            return stored
        gw.ack(message)
        stored += row is not None
    return stored


# ---------------------------------------------------------------------------- block list

def is_blocked(regency_id: int, number: str) -> bool:
    return db.session.scalar(sa.select(BlockedNumber.id).where(
        BlockedNumber.regency_id == regency_id, BlockedNumber.number == number)) is not None


def block_number(*, actor: User, number: str, reason: str) -> BlockedNumber:
    """Block a number (audited). Its SMS are still stored, marked blocked, not forwarded.
    Blocking a blocked number changes nothing."""
    require(actor, "triage")
    number = normalise_number(number)
    row = db.session.scalar(sa.select(BlockedNumber).where(
        BlockedNumber.regency_id == actor.regency_id, BlockedNumber.number == number))
    if row is not None:
        return row
    row = BlockedNumber(regency_id=actor.regency_id, number=number, reason=reason,
                        blocked_by=actor.id, blocked_at=utcnow())
    db.session.add(row)
    db.session.flush()
    record_event(regency_id=actor.regency_id, actor=actor_ref(actor), action="sms.blocked",
                 entity=("sms_number", number), after={"reason": reason})
    return row


def unblock_number(*, actor: User, number: str) -> None:
    """Lift a block (audited); 404 if the number is not blocked."""
    require(actor, "triage")
    number = normalise_number(number)
    row = db.session.scalar(sa.select(BlockedNumber).where(
        BlockedNumber.regency_id == actor.regency_id, BlockedNumber.number == number))
    if row is None:
        raise NotFound("This number is not blocked.", code="not_blocked")
    record_event(regency_id=actor.regency_id, actor=actor_ref(actor), action="sms.unblocked",
                 entity=("sms_number", number), before={"reason": row.reason})
    db.session.delete(row)


def blocked_numbers(*, actor: User) -> list[BlockedNumber]:
    require(actor, "view")
    return list(db.session.scalars(sa.select(BlockedNumber).where(
        BlockedNumber.regency_id == actor.regency_id).order_by(BlockedNumber.blocked_at.desc())))


def list_messages(*, actor: User, direction: str | None = None, status: str | None = None,
                  limit: int = 100) -> list[SmsMessage]:
    """The regency's SMS, newest first (operators see what came in and what failed)."""
    require(actor, "view")
    query = sa.select(SmsMessage).where(SmsMessage.regency_id == actor.regency_id)
    if direction:
        query = query.where(SmsMessage.direction == direction)
    if status:
        query = query.where(SmsMessage.status == status)
    return list(db.session.scalars(query.order_by(SmsMessage.id.desc()).limit(limit)))


# ---------------------------------------------------------------------------- outbound

def queue_sms(*, regency_id: int, number: str, text: str,
              report_id: int | None = None) -> SmsMessage:
    """Queue an SMS to `number` in the caller's transaction; it is sent after commit."""
    now = utcnow()
    row = SmsMessage(regency_id=regency_id, direction="out", number=normalise_number(number),
                     text=text[:MAX_TEXT], gateway=gateway(current_app).name, status="queued",
                     attempts=0, rate_limited=False, next_attempt_at=now, created_at=now,
                     report_id=report_id)
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(PENDING, []).append(row.id)
    return row


def backoff_s(attempts: int) -> float:
    return min(float(current_app.config["SMS_BACKOFF_CAP_S"]), 2.0 * 2 ** max(0, attempts - 1))


def claim_outbound(limit: int = 50) -> list[int]:
    """Lease due outgoing rows (queued and due, or sending with an expired lease); commit."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["SMS_LEASE_SECONDS"])
    due = sa.and_(SmsMessage.direction == "out", sa.or_(
        sa.and_(SmsMessage.status == "queued", SmsMessage.next_attempt_at <= now),
        sa.and_(SmsMessage.status == "sending", SmsMessage.lease_until < now)))
    pick = sa.select(SmsMessage.id).where(due).order_by(SmsMessage.next_attempt_at).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    picked = list(db.session.scalars(pick))
    claimed = list(db.session.scalars(
        sa.update(SmsMessage).where(SmsMessage.id.in_(picked), due)
        .values(status="sending", lease_until=lease, attempts=SmsMessage.attempts + 1)
        .returning(SmsMessage.id).execution_options(synchronize_session=False))) \
        if picked else []
    db.session.commit()
    return claimed


def send_due(gw: Gateway) -> dict[str, int]:
    """Claim, send and settle due outgoing SMS; one commit per SMS (a slow modem must not
    hold a transaction open)."""
    stats = {"sent": 0, "submitted": 0, "retry": 0, "failed": 0}
    for row_id in claim_outbound():
        row = db.session.get(SmsMessage, row_id)
        try:
            result = gw.send(row.number, row.text, ref=f"siaga-{row.id}")
        except Exception as exc:  # a driver bug must not strand the row in its lease
            log.exception("SMS gateway send failed")
            result = SendResult("retry", error=f"{type(exc).__name__}: {exc}"[:300])
        settle(row, result)
        stats[row.status if row.status in stats else "retry"] += 1
        db.session.commit()
    return stats


def settle(row: SmsMessage, result: SendResult) -> None:
    now = utcnow()
    row.lease_until = None
    if result.gateway_id:
        row.gateway_id = result.gateway_id[:200]
    if result.kind in ("sent", "submitted"):
        row.status, row.error_code = result.kind, None
        row.sent_at = now if result.kind == "sent" else None
        return
    row.parse = {"error": result.error or result.kind}  # the gateway's words, for the operator
    if result.kind == "retry" and row.attempts < current_app.config["SMS_MAX_ATTEMPTS"]:
        wait = max(result.retry_after_s or 0.0, backoff_s(row.attempts))
        row.status, row.next_attempt_at = "queued", now + timedelta(seconds=wait)
        row.error_code = "send_retry"
        return
    row.status, row.error_code = "failed", "send_failed"
    log.warning("SMS %s to %s failed: %s", row.id, row.number, result.error)


def reconcile_submitted(gw: Gateway) -> int:
    """SMS in the modem's outbox: sent or failed once the gateway says so."""
    rows = list(db.session.scalars(sa.select(SmsMessage).where(
        SmsMessage.direction == "out", SmsMessage.status == "submitted",
        SmsMessage.gateway == gw.name).limit(500)))
    results = gw.reconcile([r.gateway_id for r in rows if r.gateway_id])
    for row in rows:
        result = results.get(row.gateway_id)
        if result is not None:
            row.status = result.kind
            row.error_code = "send_failed" if result.kind == "failed" else None
            if result.error:
                row.parse = {"error": result.error}
            row.sent_at = utcnow() if result.kind == "sent" else None
    db.session.commit()
    return sum(1 for r in rows if r.gateway_id in results)


def gateway_round() -> dict[str, int]:
    """Everything the gateway needs now: store what waits in its inbox, send what is due,
    settle what the modem finished. Run by the relay (`flask worker`) and the embedded
    thread; safe to run anywhere, twice, at once."""
    gw = gateway(current_app)
    try:
        stats = {"received": ingest_pending(gw)}
        stats.update(send_due(gw))
        stats["reconciled"] = reconcile_submitted(gw)
        return stats
    finally:
        db.session.remove()


def inject(number: str, text: str) -> SmsMessage | None:
    """An inbound SMS typed by a developer (`flask sms inject`): stored as the stand-in
    gateway's, through the same path as every gateway's."""
    return receive(Inbound(f"inject-{uuid.uuid4().hex}", number, text, utcnow()),
                   gateway_name="standin")


# ---------------------------------------------------------------------------- after commit

def _after_commit(session: Session) -> None:
    from backend.metrics.instruments import count_sms_inbound
    for kind, result in session.info.pop(COUNTS, ()):
        count_sms_inbound(kind, result)
    if session.info.pop(PENDING, None):
        runtime = current_app.extensions.get("siaga.push")
        if runtime is not None:
            runtime.kick_sms()


def install() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback",
                     lambda s, _t: (s.info.pop(PENDING, None), s.info.pop(COUNTS, None)))
