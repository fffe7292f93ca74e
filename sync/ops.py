"""The op table: every op type of the sync protocol, one registration each.

An op type is its data schema, the kinds of device that may send it, and how it is applied:

* a creating op (`report`) becomes a report through backend.reports.service.create_reports,
  in ONE insert with every other creating op of its type in the batch — a batch of 20 SOS is
  a handful of statements, and the reports' unique (device_id, client_op_id) index makes a
  concurrent copy of the same op wait and then skip;
* any other op `lock`s what it acts on (a report or a dispatch row, so a concurrent copy of
  the same op waits there and then finds the first one's receipt) and is `apply`d.

sync.apply runs the table (parsing, receipts, results); adding an op type is one
`register(OpType(...))` here plus its data schema in sync.protocol.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from marshmallow import Schema, fields

from backend.accounts.models import User
from backend.devices.models import Device
from backend.dispatches.service import (
    acknowledge_dispatch,
    decline_dispatch,
    lock_unit_dispatch,
    report_dispatch_status,
)
from backend.errors import ApiError
from backend.places.service import desa_place
from backend.reports.service import (
    NewReport,
    lock_device_reports,
    transition_report,
    update_report_note,
)
from backend.responders.service import record_location
from backend.schemas import StrictString, UTCDateTime
from sync.clock import Clock, captured_time
from sync.protocol import (
    OP_CODES,
    DispatchAckData,
    DispatchDeclineData,
    DispatchStatusData,
    PostReportData,
    ReportCancelData,
    ReportCreateData,
    ReportUpdateNoteData,
    ResponderLocationData,
    _Lenient,
)


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


@dataclass(frozen=True)
class Context:
    """Who sent the batch, and the clock that corrects its times."""

    device: Device
    responder: User | None
    clock: Clock

    def device_at(self, op: ParsedOp) -> datetime:
        return op.at + self.clock.offset


@dataclass
class Target:
    """What a non-creating op acts on, locked: `ref` goes into its receipt and result."""

    ref: dict = field(default_factory=dict)  # {"report_id": …} | {"dispatch_id": …} | {}
    row: object = None


@dataclass(frozen=True)
class OpType:
    name: str
    data: type[Schema]
    senders: frozenset[str]  # device kinds that may send it
    # Creating ops: the report, and who the audit names for it.
    report: Callable[[Context, ParsedOp], NewReport] | None = None
    actor: Callable[[Context], tuple[str, object]] | None = None
    flood_limited: bool = False  # counted against the device's SOS rate
    # Other ops: lock the target, then act on it (a refusal raises ApiError, writes nothing).
    lock: Callable[[Context, ParsedOp], Target] | None = None
    apply: Callable[[Context, ParsedOp, Target], None] | None = None

    def __post_init__(self):
        assert (self.report is None) != (self.apply is None), self.name


OPS: dict[str, OpType] = {}


def register(op_type: OpType) -> OpType:
    assert op_type.name not in OPS, op_type.name
    OPS[op_type.name] = op_type
    return op_type


# ---------------------------------------------------------------------------- targets

def _device_report(ctx: Context, op: ParsedOp) -> Target:
    key = str(op.data["report"])
    report = lock_device_reports(device=ctx.device, client_op_ids=[key]).get(key)
    if report is None:
        raise OpRejected("report_not_found")
    return Target({"report_id": report.id}, report)


def _unit_dispatch(ctx: Context, op: ParsedOp) -> Target:
    try:
        dispatch, _ = lock_unit_dispatch(responder=ctx.responder, dispatch_id=op.data["dispatch"])
    except ApiError:
        raise OpRejected("dispatch_not_found") from None
    return Target({"dispatch_id": dispatch.id}, dispatch)


def _nothing(ctx: Context, op: ParsedOp) -> Target:
    return Target()


def _device(ctx: Context) -> tuple[str, object]:
    return ("device", ctx.device.id)


# ---------------------------------------------------------------------------- citizens

def _report_times(ctx: Context, op: ParsedOp) -> dict:
    """Location and time fields of a report op (times corrected by the request's clock)."""
    location = op.data["location"] or {}
    gnss_fix = location.get("fix_time") if location.get("source") == "gps" else None
    when = captured_time(ctx.clock, op.at, gnss_fix)
    return dict(lat=location.get("lat"), lon=location.get("lon"),
                accuracy_m=location.get("accuracy_m"), location_source=location.get("source"),
                location_fix_at=location.get("fix_time"), device_captured_at=op.at,
                captured_at=when.at, time_source=when.source,
                clock_offset_ms=ctx.clock.offset_ms, clock_skew_flagged=when.flagged)


def sos_report(ctx: Context, op: ParsedOp, **overrides) -> NewReport:
    """What an SOS carries, from its sync op or its SMS copy (backend.sms.intake, whose own
    fields come as `overrides`)."""
    data = op.data
    fields_ = dict(channel="app", client_op_id=op.id, category=data["category"],
                   note=data["note"], silent=data["silent"], **_report_times(ctx, op))
    return NewReport(**{**fields_, **overrides})


# An SOS from any phone: a crew member in trouble presses SOS like anyone (by SMS too, §13).
register(OpType("report.create", ReportCreateData, frozenset({"citizen", "responder"}),
                report=sos_report, actor=_device, flood_limited=True))
register(OpType(
    "report.cancel", ReportCancelData, frozenset({"citizen"}), lock=_device_report,
    apply=lambda ctx, op, t: transition_report(
        report=t.row, to="cancelled", actor=_device(ctx), reason=op.data["reason"],
        device_at=ctx.device_at(op))))
register(OpType(
    "report.update_note", ReportUpdateNoteData, frozenset({"citizen"}), lock=_device_report,
    apply=lambda ctx, op, t: update_report_note(
        report=t.row, note=op.data["note"], actor=_device(ctx), device_at=ctx.device_at(op))))


# ---------------------------------------------------------------------------- responders

register(OpType(
    "dispatch.ack", DispatchAckData, frozenset({"responder"}), lock=_unit_dispatch,
    apply=lambda ctx, op, t: acknowledge_dispatch(
        responder=ctx.responder, dispatch_id=t.row.id, device_at=ctx.device_at(op))))
register(OpType(
    "dispatch.decline", DispatchDeclineData, frozenset({"responder"}), lock=_unit_dispatch,
    apply=lambda ctx, op, t: decline_dispatch(
        responder=ctx.responder, dispatch_id=t.row.id, reason=op.data["reason"],
        device_at=ctx.device_at(op))))
register(OpType(
    "dispatch.status", DispatchStatusData, frozenset({"responder"}), lock=_unit_dispatch,
    apply=lambda ctx, op, t: report_dispatch_status(
        responder=ctx.responder, dispatch_id=t.row.id, status=op.data["status"],
        device_at=ctx.device_at(op))))
register(OpType(
    "responder.location", ResponderLocationData, frozenset({"responder"}), lock=_nothing,
    apply=lambda ctx, op, t: record_location(
        device=ctx.device, responder=ctx.responder, lat=op.data["lat"], lon=op.data["lon"],
        at=min(ctx.device_at(op), ctx.clock.received_at))))


def crew_unit(responder: User | None) -> int:
    """The unit that took a post report: the one of the crew member signed in on the phone
    (op_not_allowed without one). The SMS copy (§13 flags 2-5) is decided here too."""
    unit_id = responder.unit_id if responder is not None else None
    if unit_id is None:
        raise OpRejected("op_not_allowed", "Only the crew of a unit can log reports taken at "
                                           "its post.")
    return unit_id


def post_report(ctx: Context, op: ParsedOp, unit_id: int, **overrides) -> NewReport:
    """What a post report carries, from its sync op or its SMS copy (backend.sms.intake,
    whose own fields come as `overrides`): the unit that took it and how, the desa named."""
    data = op.data
    if data["desa_code"] and desa_place(regency_id=ctx.device.regency_id,
                                        code=data["desa_code"]) is None:
        raise OpRejected("unknown_desa", details={"desa_code": [data["desa_code"]]})
    fields_ = dict(channel="post", client_op_id=op.id, category=data["category"],
                   note=data["note"], silent=data["silent"], caller_phone=data["caller_phone"],
                   desa_code=data["desa_code"], place_said=data["desa_name"],
                   taken_by_unit_id=unit_id, taken_via=data["via"], **_report_times(ctx, op))
    return NewReport(**{**fields_, **overrides})


def _post_report(ctx: Context, op: ParsedOp) -> NewReport:
    """An emergency that reached the crew's post directly (a call to the post, a walk-in)."""
    return post_report(ctx, op, crew_unit(ctx.responder))


register(OpType("post.report", PostReportData, frozenset({"responder"}), report=_post_report,
                actor=_device))


# ---------------------------------------------------------------------------- the envelope

OP_DATA_SCHEMAS = {name: op_type.data for name, op_type in OPS.items()}
OPS_BY_DEVICE_KIND = {kind: frozenset(n for n, t in OPS.items() if kind in t.senders)
                      for kind in ("citizen", "responder")}


class Op(_Lenient):
    id = fields.UUID(required=True, metadata={
        "description": "Made on the phone when the user acts; the idempotency key."})
    type = StrictString(required=True, metadata={"enum": sorted(OPS)})
    at = UTCDateTime(required=True, metadata={"description": "Phone clock, RFC 3339."})
    data = fields.Dict(required=True, metadata={
        "description": "By type: " + ", ".join(
            f"{name} → {t.data.__name__} ({' and '.join(sorted(t.senders))} phones)"
            for name, t in OPS.items()) + ".",
        "anyOf": [{"$ref": f"#/components/schemas/{t.data.__name__}"} for t in OPS.values()]})
