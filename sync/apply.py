"""Apply a batch of ops from one device, at most once each, inside the caller's transaction.

Results come back in the order of the ops (results[i] answers ops[i]), so even an op whose
id is unreadable gets an answer the phone can match, and is dropped from its queue.

At-most-once: every applied op leaves a receipt (sync_ops, unique on device + op id) holding
the hash of its body and the report it produced, so a retry is answered `duplicate` with the
first write's ref, and a reused id with another body `conflict`. Concurrent requests carrying
the same op are serialised by the database: an op that creates a report (report.create,
post.report) waits on the reports' unique (device_id, client_op_id) index, any other op on
the row lock of what it targets (a report, a dispatch); the loser then finds the winner's
committed receipt. A batch of 20 SOS costs a handful of statements, not 20 round trips each:
creating ops of one type are stored with one insert.

What each op type means — its schema, who may send it, how it is applied — is the op table
in sync.ops; this module only runs it.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json

import sqlalchemy as sa
from marshmallow import ValidationError

from backend.accounts.models import User
from backend.db import utcnow
from backend.devices.models import Device
from backend.errors import ApiError
from backend.extensions import db
from backend.feed.service import ChangesQuery
from backend.reports.models import format_ref
from backend.reports.service import create_reports, flood_flags
from backend.sms.intake import SMS_RECEIPT, note_from_app_copy
from sync.clock import Clock
from sync.models import SyncOp
from sync.ops import OPS, Context, Op, OpRejected, OpType, ParsedOp
from sync.protocol import OP_CODES

_OP_SCHEMA = Op()
_DATA_SCHEMAS = {name: op_type.data() for name, op_type in OPS.items()}
_receipts = SyncOp.__table__


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
    if device.kind not in OPS[op["type"]].senders:
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
    # The SMS copy of an SOS (PROTOCOL.md §13) cannot carry the note: same op id and type is
    # the same op, whatever the body.
    by_sms = receipt.body_hash == SMS_RECEIPT and receipt.op_type == op.type
    if receipt.body_hash != op.body_hash and not by_sms:
        return _conflict(op)
    return {"id": op.id, "status": "duplicate",
            "ref": _ref(receipt.report_id, receipt.dispatch_id)}


@dataclasses.dataclass
class Pull:
    """A page of the device's changes (backend.feed.service.changes_query) read in the same
    statement as the batch's op receipts — one round trip instead of two; apply_ops puts
    its rows, in (txid, seq) order, in `rows` before it writes anything."""

    query: ChangesQuery
    rows: list | None = None


_RECEIPT_COLUMNS = ("op_id", "op_type", "body_hash", "report_id", "dispatch_id")


@functools.cache
def _receipts_select() -> sa.Select:
    # The regency too: the read stays on the regency's shard (docs/SCALE.md). Built once,
    # values bound at execution (:regency_id, :device_id, :op_ids).
    return sa.select(*(_receipts.c[name] for name in _RECEIPT_COLUMNS)).where(
        _receipts.c.regency_id == sa.bindparam("regency_id", type_=sa.Integer),
        _receipts.c.device_id == sa.bindparam("device_id", type_=sa.Integer),
        _receipts.c.op_id.in_(sa.bindparam("op_ids", expanding=True)))


@functools.cache
def _pull_and_receipts_select(changes: sa.Select) -> sa.CompoundSelect:
    """The device's changes (`changes`, whose :regency_id and :device_id are the device's)
    and its receipts in one UNION ALL, each row marked by is_change. Built once per select."""
    page = changes.subquery()
    receipts = _receipts_select().subquery()
    typed_null = lambda column: sa.cast(sa.null(), column.type)  # noqa: E731
    return sa.union_all(
        sa.select(sa.literal(True).label("is_change"), *page.c,
                  *(typed_null(receipts.c[n]).label(n) for n in _RECEIPT_COLUMNS)),
        sa.select(sa.literal(False), *(typed_null(c).label(c.name) for c in page.c),
                  *(receipts.c[n] for n in _RECEIPT_COLUMNS)))


def _load_receipts(device: Device, op_ids: list[str], pull: Pull | None = None) -> dict:
    if pull is not None and not op_ids:
        pull.rows = db.session.execute(pull.query.statement, pull.query.params).all()
        return {}
    if not op_ids:
        return {}
    params = {"regency_id": device.regency_id, "device_id": device.id, "op_ids": op_ids}
    if pull is None:
        return {row.op_id: row for row in db.session.execute(_receipts_select(), params)}
    if pull.query.params.get("device_id") != device.id:
        raise ValueError("a sync pull reads the device's own changes")
    rows = db.session.execute(_pull_and_receipts_select(pull.query.statement),
                              {**pull.query.params, **params}).all()
    pull.rows = sorted((row for row in rows if row.is_change), key=lambda r: (r.txid, r.seq))
    return {row.op_id: row for row in rows if not row.is_change}


def _create(ctx: Context, op_type: OpType, ops: list[ParsedOp], results: list
            ) -> list[tuple[ParsedOp, dict]]:
    """Store the reports of a batch's creating ops of one type with one insert, their
    receipts with them; answer those a concurrent request stored first from its receipt.
    Returns the applied (op, target), whose receipts are already written."""
    built: list[tuple[ParsedOp, object]] = []
    for op in ops:
        try:
            built.append((op, op_type.report(ctx, op)))
        except OpRejected as exc:
            results[op.index] = _rejected(op.id, exc)
    if op_type.flood_limited:
        flags = flood_flags(device=ctx.device, count=len(built))
        built = [(op, dataclasses.replace(r, flooded=f)) for (op, r), f in zip(built, flags)]
    ids = create_reports(regency_id=ctx.device.regency_id, device=ctx.device,
                         actor=op_type.actor(ctx), reports=[r for _, r in built],
                         receipts=[(op.type, op.body_hash) for op, _ in built])
    raced = _load_receipts(ctx.device, [op.id for (op, _), i in zip(built, ids) if i is None])
    applied = []
    for (op, _), report_id in zip(built, ids):
        if report_id is not None:
            applied.append((op, {"report_id": report_id}))
        else:  # a concurrent request stored it first; its receipt is committed with it
            results[op.index] = _answer_from_receipt(op, raced[op.id])
    return applied


def _act(ctx: Context, op_type: OpType, op: ParsedOp) -> dict:
    """Apply a non-creating op; return its target ref ({"report_id"|"dispatch_id": …}) or,
    when a concurrent request applied the same op while we waited for the target's row
    lock, that request's answer (under "answer"). Raises OpRejected."""
    target = op_type.lock(ctx, op)
    raced = _load_receipts(ctx.device, [op.id]).get(op.id)
    if raced is not None:
        return {"answer": _answer_from_receipt(op, raced)}
    try:  # every service checks before it writes, so a refusal leaves nothing behind
        op_type.apply(ctx, op, target)
    except ApiError as exc:
        raise OpRejected("invalid_transition", exc.message, exc.details) from None
    return target.ref


def apply_ops(*, device: Device, ops: list, clock: Clock,
              responder: User | None = None, pull: Pull | None = None) -> list[dict]:
    """Apply `ops` (raw JSON items) from `device` (and its signed-in responder, if any);
    return one result per op, in order. `pull`: changes to read before any write, in the
    statement that reads the receipts."""
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

    stored = _load_receipts(device, list(first_by_id), pull)
    fresh = []
    for op in first_by_id.values():
        if op.id in stored:
            results[op.index] = _answer_from_receipt(op, stored[op.id])
            if stored[op.id].body_hash == SMS_RECEIPT and results[op.index]["status"] == \
                    "duplicate":
                note_from_app_copy(device=device, op=op, receipt=stored[op.id])
        else:
            fresh.append(op)

    ctx = Context(device, responder, clock)
    applied: list[tuple[ParsedOp, dict]] = []
    creating: dict[str, list[ParsedOp]] = {}
    for op in fresh:
        if OPS[op.type].report is not None:
            creating.setdefault(op.type, []).append(op)
    created: list[tuple[ParsedOp, dict]] = []
    for name, ops_of_type in creating.items():  # one insert per creating op type
        created += _create(ctx, OPS[name], ops_of_type, results)

    for op in fresh:
        if OPS[op.type].report is not None:
            continue
        try:
            outcome = _act(ctx, OPS[op.type], op)
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
    for op, target in created + applied:
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
