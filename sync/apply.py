"""Apply a batch of ops from one device, at most once each, inside the caller's transaction.

Results come back in the order of the ops (results[i] answers ops[i]), so even an op whose
id is unreadable gets an answer the phone can match, and is dropped from its queue.

At-most-once: every applied op leaves a receipt (sync_ops, unique on device + op id). Fresh
ops are claimed with INSERT ... ON CONFLICT DO NOTHING; a concurrent request carrying the same
op blocks on the unique index until the first commits, then finds its receipt and answers
`duplicate` with the first write's ref. Report creation is done in bulk: a batch of 20 SOS
costs a handful of statements, not 20 round trips each.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from marshmallow import ValidationError

from backend.db import insert_ignoring_conflicts, utcnow
from backend.devices.models import Device
from backend.errors import ApiError
from backend.extensions import db
from backend.reports.models import format_ref
from backend.reports.service import (NewReport, create_reports, lock_device_reports,
                                     transition_report, update_report_note)
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


def _answer_from_receipt(op: ParsedOp, receipt) -> dict:
    if receipt.body_hash != op.body_hash:
        return {"id": op.id, "status": "conflict", "code": "id_reused_with_different_body",
                "message": OP_CODES["id_reused_with_different_body"]}
    return {"id": op.id, "status": "duplicate", "ref": _ref(receipt.report_id)}


def _ref(report_id: int | None) -> dict:
    return {"report": format_ref(report_id)} if report_id is not None else {}


def _load_receipts(device: Device, op_ids: list[str]) -> dict:
    if not op_ids:
        return {}
    rows = db.session.execute(
        sa.select(_receipts.c.op_id, _receipts.c.body_hash, _receipts.c.report_id)
        .where(_receipts.c.device_id == device.id, _receipts.c.op_id.in_(op_ids)))
    return {row.op_id: row for row in rows}


def _claim(device: Device, ops: list[ParsedOp], now: datetime) -> dict[str, int]:
    """Insert receipts for ops nobody applied yet; return {op_id: receipt id} of those we won."""
    if not ops:
        return {}
    # Sorted, so two requests claiming overlapping ops take the index locks in the same order.
    rows = [{"regency_id": device.regency_id, "device_id": device.id, "op_id": op.id,
             "op_type": op.type, "body_hash": op.body_hash, "applied_at": now}
            for op in sorted(ops, key=lambda op: op.id)]
    stmt = (insert_ignoring_conflicts(_receipts, "device_id", "op_id").values(rows)
            .returning(_receipts.c.op_id, _receipts.c.id))
    return {row.op_id: row.id for row in db.session.execute(stmt)}


def _new_report(op: ParsedOp, clock: Clock) -> NewReport:
    data, location = op.data, op.data["location"] or {}
    gnss_fix = location.get("fix_time") if location.get("source") == "gps" else None
    when = captured_time(clock, op.at, gnss_fix)
    return NewReport(
        client_op_id=op.id, category=data["category"], note=data["note"], silent=data["silent"],
        lat=location.get("lat"), lon=location.get("lon"), accuracy_m=location.get("accuracy_m"),
        location_source=location.get("source"), location_fix_at=location.get("fix_time"),
        device_captured_at=op.at, captured_at=when.at, time_source=when.source,
        clock_offset_ms=clock.offset_ms, clock_skew_flagged=when.flagged)


def _apply_report_op(device: Device, op: ParsedOp, clock: Clock) -> int:
    """Apply report.cancel / report.update_note; return the report id. Raises OpRejected."""
    target = lock_device_reports(device=device, client_op_ids=[str(op.data["report"])])
    report = target.get(str(op.data["report"]))
    if report is None:
        raise OpRejected("report_not_found")
    actor, device_at = ("device", device.id), op.at + clock.offset
    try:  # both services check before they write, so a refusal leaves nothing behind
        if op.type == "report.cancel":
            transition_report(report=report, to="cancelled", actor=actor,
                              reason=op.data["reason"], device_at=device_at)
        else:
            update_report_note(report=report, note=op.data["note"], actor=actor,
                               device_at=device_at)
    except ApiError as exc:
        raise OpRejected("invalid_transition", exc.message, exc.details) from None
    return report.id


def apply_ops(*, device: Device, ops: list, clock: Clock) -> list[dict]:
    """Apply `ops` (raw JSON items) from `device`; return one result per op, in order."""
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

    receipts = _load_receipts(device, list(first_by_id))
    fresh = []
    for op in first_by_id.values():
        if op.id in receipts:
            results[op.index] = _answer_from_receipt(op, receipts[op.id])
        else:
            fresh.append(op)

    now = utcnow()
    claimed = _claim(device, fresh, now)
    raced = [op for op in fresh if op.id not in claimed]
    for op in raced:  # a concurrent request applied it first and has committed
        receipt = _load_receipts(device, [op.id])[op.id]
        results[op.index] = _answer_from_receipt(op, receipt)

    report_of_receipt: dict[int, int] = {}
    creates = [op for op in fresh if op.id in claimed and op.type == "report.create"]
    for op, report_id in zip(creates, create_reports(
            device=device, reports=[_new_report(op, clock) for op in creates])):
        report_of_receipt[claimed[op.id]] = report_id
        results[op.index] = {"id": op.id, "status": "applied", "ref": _ref(report_id)}

    dropped = []
    for op in fresh:
        if op.id not in claimed or op.type == "report.create":
            continue
        try:
            report_id = _apply_report_op(device, op, clock)
        except OpRejected as exc:
            dropped.append(claimed[op.id])  # rejected ops leave no receipt
            results[op.index] = _rejected(op.id, exc)
            continue
        report_of_receipt[claimed[op.id]] = report_id
        results[op.index] = {"id": op.id, "status": "applied", "ref": _ref(report_id)}

    if report_of_receipt:
        db.session.execute(
            sa.update(_receipts).where(_receipts.c.id == sa.bindparam("receipt"))
            .values(report_id=sa.bindparam("report")),
            [{"receipt": r, "report": p} for r, p in report_of_receipt.items()])
    if dropped:
        db.session.execute(sa.delete(_receipts).where(_receipts.c.id.in_(dropped)))

    for op in repeats:
        first = results[first_by_id[op.id].index]
        if op.body_hash != first_by_id[op.id].body_hash:
            results[op.index] = {"id": op.id, "status": "conflict",
                                 "code": "id_reused_with_different_body",
                                 "message": OP_CODES["id_reused_with_different_body"]}
        elif first["status"] in {"applied", "duplicate"}:
            results[op.index] = {"id": op.id, "status": "duplicate", "ref": first["ref"]}
        else:
            results[op.index] = dict(first)
    return results
