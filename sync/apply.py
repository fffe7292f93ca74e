"""Apply a batch of ops from one device, at most once each, inside the caller's transaction.

Results come back in the order of the ops (results[i] answers ops[i]), so even an op whose
id is unreadable gets an answer the phone can match, and is dropped from its queue.

At-most-once: every applied op leaves a receipt (sync_ops, unique on device + op id) holding
the hash of its body and the report it produced, so a retry is answered `duplicate` with the
first write's ref, and a reused id with another body `conflict`. Concurrent requests carrying
the same op are serialised by the database: a report.create waits on the reports' unique
(device_id, client_op_id) index, any other op on the row lock of the report it targets; the
loser then finds the winner's committed receipt. A batch of 20 SOS costs a handful of
statements, not 20 round trips each.

Responder phones use the same path for dispatch.ack / decline / status and their location;
a dispatch op waits on the dispatch's row lock the way a report op waits on the report's.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from marshmallow import ValidationError

from backend.accounts.models import User
from backend.db import utcnow
from backend.devices.models import Device
from backend.dispatches.service import (
    acknowledge_dispatch,
    decline_dispatch,
    lock_unit_dispatch,
    report_dispatch_status,
)
from backend.errors import ApiError
from backend.extensions import db
from backend.reports.models import format_ref
from backend.reports.service import (
    NewReport,
    create_reports,
    flood_flags,
    lock_device_reports,
    transition_report,
    update_report_note,
)
from backend.responders.service import record_location
from sync.clock import Clock, captured_time
from sync.models import SyncOp
from sync.protocol import OP_CODES, OP_DATA_SCHEMAS, OPS_BY_DEVICE_KIND, Op

_OP_SCHEMA = Op()
_DATA_SCHEMAS = {name: schema() for name, schema in OP_DATA_SCHEMAS.items()}
_receipts = SyncOp.__table__


@dataclass
class ParsedOp:
    index: int
    id: str
    type: str
    at: datetime
    data: dict
    body_hash: str


class OpRejected(Exception):
    def __init__(self, code: str, message: str | None = None, details=None):
        super().__init__(code)
        self.code, self.message, self.details = code, message or OP_CODES[code], details


def body_hash(raw: dict) -> str:
    """Hash of what the op says (type, at, data), independent of key order and whitespace."""
    canonical = json.dumps({"type": raw.get("type"), "at": raw.get("at"), "data": raw.get("data")},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _data_error_code(messages: dict) -> str:
    for field, code in (("category", "invalid_category"), ("location", "invalid_location")):
        if field in messages:
            return code
    return "invalid_data"


def parse_op(index: int, raw, device: Device) -> ParsedOp:
    if not isinstance(raw, dict):
        raise OpRejected("invalid_op")
    try:
        op = _OP_SCHEMA.load(raw)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        raise OpRejected("invalid_op_id" if "id" in messages else "invalid_op",
                         details=messages) from None
    schema = _DATA_SCHEMAS.get(op["type"])
    if schema is None:
        raise OpRejected("unknown_op_type", f"Unknown op type {op['type']!r}.",
                         {"known": sorted(_DATA_SCHEMAS)})
    if op["type"] not in OPS_BY_DEVICE_KIND[device.kind]:
        raise OpRejected("op_not_allowed", f"A {device.kind} device may not send {op['type']}.")
    try:
        data = schema.load(op["data"])
    except ValidationError as exc:
        messages = exc.normalized_messages()
        raise OpRejected(_data_error_code(messages), details=messages) from None
    return ParsedOp(index, str(op["id"]), op["type"], op["at"], data, body_hash(raw))


def _rejected(op_id, exc: OpRejected) -> dict:
    result = {"id": op_id, "status": "rejected", "code": exc.code, "message": exc.message}
    if exc.details:
        result["details"] = exc.details
    return result


def _ref(report_id: int | None = None, dispatch_id: int | None = None) -> dict:
    if report_id is not None:
        return {"report": format_ref(report_id)}
    return {"dispatch": dispatch_id} if dispatch_id is not None else {}


def _applied(op: ParsedOp, target: dict) -> dict:
    return {"id": op.id, "status": "applied", "ref": _ref(**target)}


def _conflict(op: ParsedOp) -> dict:
    return {"id": op.id, "status": "conflict", "code": "id_reused_with_different_body",
            "message": OP_CODES["id_reused_with_different_body"]}


def _answer_from_receipt(op: ParsedOp, receipt) -> dict:
    if receipt.body_hash != op.body_hash:
        return _conflict(op)
    return {"id": op.id, "status": "duplicate",
            "ref": _ref(receipt.report_id, receipt.dispatch_id)}


def _load_receipts(device: Device, op_ids: list[str]) -> dict:
    if not op_ids:
        return {}
    rows = db.session.execute(
        sa.select(_receipts.c.op_id, _receipts.c.body_hash, _receipts.c.report_id,
                  _receipts.c.dispatch_id)
        .where(_receipts.c.device_id == device.id, _receipts.c.op_id.in_(op_ids)))
    return {row.op_id: row for row in rows}


def _new_report(op: ParsedOp, clock: Clock, flooded: bool) -> NewReport:
    data, location = op.data, op.data["location"] or {}
    gnss_fix = location.get("fix_time") if location.get("source") == "gps" else None
    when = captured_time(clock, op.at, gnss_fix)
    return NewReport(
        client_op_id=op.id, category=data["category"], note=data["note"], silent=data["silent"],
        lat=location.get("lat"), lon=location.get("lon"), accuracy_m=location.get("accuracy_m"),
        location_source=location.get("source"), location_fix_at=location.get("fix_time"),
        device_captured_at=op.at, captured_at=when.at, time_source=when.source,
        clock_offset_ms=clock.offset_ms, clock_skew_flagged=when.flagged, flooded=flooded)


def _apply_targeted_op(device: Device, responder: User | None, op: ParsedOp,
                       clock: Clock) -> dict:
    """Apply any op but report.create; return {"report_id"|"dispatch_id": …} or, when a
    concurrent request applied the same op while we waited for the target's row lock, that
    request's answer (under "answer"). Raises OpRejected."""
    device_at = op.at + clock.offset
    if op.type.startswith("report."):
        report = lock_device_reports(device=device, client_op_ids=[str(op.data["report"])]).get(
            str(op.data["report"]))
        if report is None:
            raise OpRejected("report_not_found")
        target = {"report_id": report.id}
    elif op.type.startswith("dispatch."):
        try:
            dispatch, _ = lock_unit_dispatch(responder=responder, dispatch_id=op.data["dispatch"])
        except ApiError:
            raise OpRejected("dispatch_not_found") from None
        target = {"dispatch_id": dispatch.id}
    else:
        target = {}
    raced = _load_receipts(device, [op.id]).get(op.id)
    if raced is not None:
        return {"answer": _answer_from_receipt(op, raced)}
    actor = ("device", device.id)
    try:  # every service checks before it writes, so a refusal leaves nothing behind
        if op.type == "report.cancel":
            transition_report(report=report, to="cancelled", actor=actor,
                              reason=op.data["reason"], device_at=device_at)
        elif op.type == "report.update_note":
            update_report_note(report=report, note=op.data["note"], actor=actor,
                               device_at=device_at)
        elif op.type == "dispatch.ack":
            acknowledge_dispatch(responder=responder, dispatch_id=dispatch.id,
                                 device_at=device_at)
        elif op.type == "dispatch.decline":
            decline_dispatch(responder=responder, dispatch_id=dispatch.id,
                             reason=op.data["reason"], device_at=device_at)
        elif op.type == "dispatch.status":
            report_dispatch_status(responder=responder, dispatch_id=dispatch.id,
                                   status=op.data["status"], device_at=device_at)
        elif op.type == "responder.location":
            record_location(device=device, responder=responder, lat=op.data["lat"],
                            lon=op.data["lon"], at=min(device_at, clock.received_at))
    except ApiError as exc:
        raise OpRejected("invalid_transition", exc.message, exc.details) from None
    return target


def apply_ops(*, device: Device, ops: list, clock: Clock,
              responder: User | None = None) -> list[dict]:
    """Apply `ops` (raw JSON items) from `device` (and its signed-in responder, if any);
    return one result per op, in order."""
    results: list[dict | None] = [None] * len(ops)
    first_by_id: dict[str, ParsedOp] = {}
    repeats: list[ParsedOp] = []
    for index, raw in enumerate(ops):
        try:
            op = parse_op(index, raw, device)
        except OpRejected as exc:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            results[index] = _rejected(raw_id if isinstance(raw_id, str) else None, exc)
            continue
        if op.id in first_by_id:
            repeats.append(op)  # answered from the first occurrence below
        else:
            first_by_id[op.id] = op

    stored = _load_receipts(device, list(first_by_id))
    fresh = []
    for op in first_by_id.values():
        if op.id in stored:
            results[op.index] = _answer_from_receipt(op, stored[op.id])
        else:
            fresh.append(op)

    applied: list[tuple[ParsedOp, dict]] = []
    creates = [op for op in fresh if op.type == "report.create"]
    flooded = flood_flags(device=device, count=len(creates))
    inserted = create_reports(device=device, reports=[
        _new_report(op, clock, flagged) for op, flagged in zip(creates, flooded)])
    raced = _load_receipts(device, [op.id for op in creates if op.id not in inserted])
    for op in creates:
        if op.id in inserted:
            applied.append((op, {"report_id": inserted[op.id]}))
        else:  # a concurrent request stored it first; its receipt is committed with it
            results[op.index] = _answer_from_receipt(op, raced[op.id])

    for op in fresh:
        if op.type == "report.create":
            continue
        try:
            outcome = _apply_targeted_op(device, responder, op, clock)
        except OpRejected as exc:
            results[op.index] = _rejected(op.id, exc)
            continue
        if "answer" in outcome:
            results[op.index] = outcome["answer"]
        else:
            applied.append((op, outcome))

    now = utcnow()
    if applied:
        db.session.execute(sa.insert(_receipts), [
            {"regency_id": device.regency_id, "device_id": device.id, "op_id": op.id,
             "op_type": op.type, "body_hash": op.body_hash, "applied_at": now,
             "report_id": target.get("report_id"), "dispatch_id": target.get("dispatch_id")}
            for op, target in applied])
    for op, target in applied:
        results[op.index] = _applied(op, target)

    for op in repeats:
        first = results[first_by_id[op.id].index]
        if op.body_hash != first_by_id[op.id].body_hash:
            results[op.index] = _conflict(op)
        elif first["status"] in {"applied", "duplicate"}:
            results[op.index] = {"id": op.id, "status": "duplicate", "ref": first["ref"]}
        else:
            results[op.index] = dict(first)
    return results
