"""Report services: create (every channel, in bulk for sync batches), move through the state machine, read.

Services flush, never commit: the request or job that calls them owns the transaction.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Sequence

import orjson
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

from backend.audit.models import AuditEvent
from backend.audit.service import audit_row, record_events
from backend.db import dialect_name, insert_ignoring_conflicts, utcnow
from backend.devices.models import Device
from backend.errors import InvalidTransition, NotFound
from backend.extensions import db
from backend.feed.models import Change
from backend.feed.service import append_changes, change_row
from backend.places.service import desa_place, locate, regency_areas, report_place
from backend.sms.text import Gazetteer, parse_text
from backend.reports.models import CHANNELS, REPORT_TRANSITIONS, Report, format_ref, parse_ref
from sync.models import SyncOp


@dataclass(frozen=True)
class NewReport:
    """A validated report from any channel, times already corrected (see sync.clock)."""

    category: str
    note: str
    silent: bool
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    location_source: str | None
    location_fix_at: datetime | None
    device_captured_at: datetime | None
    captured_at: datetime
    time_source: str
    clock_offset_ms: int = 0
    clock_skew_flagged: bool = False
    flooded: bool = False
    channel: str = "app"                 # CHANNELS
    client_op_id: str | None = None      # the op's id: with the device, stored once ever
    caller_phone: str | None = None      # None on a device channel: the device's number
    # The desa as the reporter named it: it wins over the point's desa, and its label point
    # stands in for a missing point (source "desa"). Unknown: NotFound desa_not_found.
    desa_code: str | None = None
    place_said: str | None = None
    taken_by_unit_id: int | None = None  # channel post
    taken_via: str | None = None         # channel post: POST_CONTACTS
    created_by: int | None = None        # the operator who typed it in (call)
    test: bool = False                   # test traffic (a device's own flag counts too)


# The audit action of a new report, by channel: what the audit log and timeline say.
CREATE_ACTIONS = {"app": "report.create", "sms": "report.create", "sms_text": "report.create_sms",
                  "call": "report.create_call", "post": "report.create_post"}
assert set(CREATE_ACTIONS) == set(CHANNELS)


def status_change(report_id: int, regency_id: int, device_id: int | None, status: str,
                  reason: str | None = None, place: str | None = None) -> dict:
    data = {"report": format_ref(report_id), "status": status}
    if reason:
        data["reason"] = reason
    if place:  # "Desa Kayu Ara, Kec. Sekayu": where the reporter's phone says it was
        data["place"] = place
    return change_row(regency_id=regency_id, device_id=device_id, type="report.status", data=data)


def flood_flags(*, device: Device, count: int) -> list[bool]:
    """Which of `count` new reports from `device` exceed its SOS rate (or come from a muted
    device): those are stored flagged, never refused. Counted before the insert, in memory or
    Redis (no database round trip); a counter that is down flags nothing."""
    if count == 0:
        return []
    if device.muted_at is not None:
        return [True] * count
    config = current_app.config
    total = current_app.extensions["siaga.counter"].increment(
        f"sos:{device.id}", config["SOS_FLOOD_WINDOW_S"], by=count)
    first = total - count  # reports counted before these
    return [first + i + 1 > config["SOS_FLOOD_PER_DEVICE"] for i in range(count)]


def create_reports(*, regency_id: int, reports: Sequence[NewReport],
                   actor: tuple[str, object], device: Device | None = None,
                   received_at: datetime | None = None,
                   receipts: Sequence[tuple[str, str]] | None = None) -> list[int | None]:
    """The one way into the report pipeline, for every channel: the sync batch (app, post),
    the operator's voice-call form, the SMS driver. Returns each report's new id, in order —
    None for a device's report whose op is already stored.

    Every report gets its desa and kecamatan here, in the caller's transaction (one query
    for a batch of points on PostgreSQL), a `report.status` change and an audit event by its
    channel. A device's reports (`device`, each with its op id) carry the device's number and
    test flag, and the unique (device_id, client_op_id) index makes a concurrent insert of
    the same op wait for the first transaction and then skip it: a report is never stored
    twice, whichever path or request carried it. `receipts` (a device's reports only: each
    report's op type and body hash) stores the sync receipt of each new report with it.

    Two statements on PostgreSQL whatever the batch: the reports' insert, then their
    changes, audit events and receipts together (_write_with_reports).
    """
    if not reports:
        return []
    now = received_at or utcnow()
    table = Report.__table__
    places, points = _places(regency_id, reports)
    rows = []
    for r, place, (lat, lon, source) in zip(reports, places, points):
        row = {f.name: getattr(r, f.name) for f in fields(NewReport)}
        for key in ("channel", "client_op_id"):
            row.pop(key)
        row.update(source=r.channel, client_op_id=r.client_op_id, lat=lat, lon=lon,
                   location_source=source, regency_id=regency_id, status="received",
                   received_at=now, updated_at=now, desa_code=place.desa_code,
                   kecamatan_code=place.kecamatan_code, place_distance_m=place.distance_m,
                   device_id=device.id if device else None,
                   caller_phone=r.caller_phone or (device.phone if device else None),
                   test=r.test or bool(device and device.test))
        rows.append(row)
    if device is not None and any(r.client_op_id is None for r in reports):
        raise ValueError("a device's reports are keyed by their op id")
    if receipts is not None and (device is None or len(receipts) != len(reports)):
        raise ValueError("receipts are a device's, one per report")
    changes = [status_change(0, regency_id, row["device_id"], "received",
                             place=p.label if device else None)  # id filled in below
               for row, p in zip(rows, places)]
    audits = [audit_row(regency_id=regency_id, actor=actor, action=CREATE_ACTIONS[r.channel],
                        entity=("report", ""), at=now, device_at=r.device_captured_at,
                        after=_created(r, row)) for r, row in zip(reports, rows)]
    if device is not None:
        inserted = _insert_device_reports(regency_id, rows)
        ids = [inserted.get(r.client_op_id) for r in reports]
    else:
        ids = [db.session.execute(sa.insert(table).returning(table.c.id), row).scalar_one()
               for row in rows]
    created = [(index, i) for index, i in enumerate(ids) if i is not None]
    # The phone that sent it reads where it was placed; nobody reads a call's change there.
    _write_with_reports(
        [{**changes[index], "data": {**changes[index]["data"], "report": format_ref(i)}}
         for index, i in created],
        [{**audits[index], "entity_id": format_ref(i)} for index, i in created],
        [{"regency_id": regency_id, "device_id": device.id,
          "op_id": reports[index].client_op_id, "op_type": receipts[index][0],
          "body_hash": receipts[index][1], "report_id": i, "dispatch_id": None,
          "applied_at": now} for index, i in created] if receipts else [])
    return ids


def _insert_device_reports(regency_id: int, rows: list[dict]) -> dict[str, int]:
    """Insert a device's reports, skipping any whose (device, op id) is stored already;
    return {op id: new id} of those inserted. Core, not ORM: the hottest insert. On
    PostgreSQL a fixed text over json_to_recordset() (compiled and prepared once whatever
    the batch; SQLAlchemy 2.0 cannot cache an INSERT … ON CONFLICT and compiled it anew on
    every request)."""
    if dialect_name() == "postgresql":
        params = {"regency": regency_id, "p": _recordset(Report.__table__, rows)}
        return dict(db.session.execute(_REPORTS_SQL, params).all())
    table = Report.__table__
    stmt = insert_ignoring_conflicts(table, "device_id", "client_op_id", "regency_id").returning(
        table.c.client_op_id, table.c.id)
    return dict(db.session.execute(stmt, rows).all())


def _write_with_reports(changes: list[dict], audits: list[dict], receipts: list[dict]) -> None:
    """The rows that go with new reports — their `report.status` changes, audit events and
    sync receipts: on PostgreSQL in ONE statement (data-modifying CTEs, one round trip after
    the reports' insert), elsewhere one statement per table. Every row sets regency_id."""
    if not changes:
        return
    if dialect_name() != "postgresql":
        append_changes(changes)
        record_events(audits)
        if receipts:
            db.session.execute(sa.insert(SyncOp.__table__), receipts)
        return
    regency = changes[0]["regency_id"]
    if any(row["regency_id"] != regency for row in (*changes, *audits, *receipts)):
        raise ValueError("one regency per batch")
    params = {"regency": regency, "c": _recordset(Change.__table__, changes),
              "a": _recordset(AuditEvent.__table__, audits)}
    if receipts:
        params["r"] = _recordset(SyncOp.__table__, receipts)
    db.session.execute(_WRITE_ALL if receipts else _WRITE_NO_RECEIPTS, params)


# The same text whatever the batch size: the rows travel as ONE JSON parameter, unpacked by
# json_to_recordset() (a list of one array per column cost psycopg more than the rest of the
# request), so the statement is compiled once and prepared by the server once, where a
# multi-row VALUES would compile anew for every size. Every row carries its regency_id, and
# `u.regency_id = :regency` states the one regency of the batch: the statement is routed to
# that regency's shard (docs/SCALE.md). The column lists and their types come from the
# models' tables, so the statement follows them.
_PG = postgresql.dialect()


@functools.cache
def _insert_columns(table: sa.Table) -> tuple[sa.Column, ...]:
    """The columns an INSERT of `table` sets: all but those the database fills itself (the
    identity, computed columns, server defaults with no Python default), as the other
    dialects' INSERT leaves them."""
    return tuple(c for c in table.columns
                 if not (c.primary_key and c.autoincrement is True) and c.computed is None
                 and (c.server_default is None or c.default is not None))


def _record_type(column: sa.Column) -> str:
    """A column's type in the record definition: its own type for PostgreSQL — strings as
    text, because a CAST to varchar(n) would silently cut a long value short where the
    INSERT into the column refuses it."""
    type_ = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    return "text" if isinstance(type_, sa.String) else type_.compile(dialect=_PG)


def _recordset_insert(param: str, table: sa.Table) -> str:
    """INSERT INTO table (...) SELECT * FROM json_to_recordset(:param), one regency."""
    columns = _insert_columns(table)
    names = ", ".join(c.name for c in columns)
    record = ", ".join(f"{c.name} {_record_type(c)}" for c in columns)
    return (f"INSERT INTO {table.name} ({names}) SELECT {names} FROM json_to_recordset("
            f"CAST(:{param} AS json)) AS u({record}) WHERE u.regency_id = :regency")


def _recordset(table: sa.Table, rows: list[dict]) -> str:
    """The JSON of _recordset_insert's parameter, from rows keyed by column name (a missing
    key takes the column's Python default, as the ORM's INSERT would)."""
    columns = _insert_columns(table)
    values = [{c.name: row[c.name] if c.name in row else _python_default(c) for c in columns}
              for row in rows]
    # orjson writes datetimes as isoformat() does, and cost a batch of 20 a sixth of its
    # Python time less than json.dumps with a default= hook (docs/bench-hotpath.md, cut 10).
    return orjson.dumps(values, option=orjson.OPT_NON_STR_KEYS).decode()


def _python_default(column: sa.Column):
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)
    raise ValueError(f"{column}: no value and a default that is not Python's")


_REPORTS_SQL = sa.text(_recordset_insert("p", Report.__table__) + " ON CONFLICT (device_id, "
                       "client_op_id, regency_id) DO NOTHING RETURNING client_op_id, id")
_CHANGES_SQL = _recordset_insert("c", Change.__table__)
_AUDIT_SQL = _recordset_insert("a", AuditEvent.__table__)
_RECEIPTS_SQL = _recordset_insert("r", SyncOp.__table__)
_WRITE_ALL = sa.text(f"WITH w0 AS ({_CHANGES_SQL}), w1 AS ({_AUDIT_SQL}) {_RECEIPTS_SQL}")
_WRITE_NO_RECEIPTS = sa.text(f"WITH w0 AS ({_CHANGES_SQL}) {_AUDIT_SQL}")


def _places(regency_id: int, reports: Sequence[NewReport]):
    """Each report's Place, and its point: a desa the reporter named gives the Place (and
    its label point when there is no point of its own); the others are located together."""
    places: list = [None] * len(reports)
    points = [(r.lat, r.lon, r.location_source) for r in reports]
    for index, r in enumerate(reports):
        # A plain-text SMS's place_said lists the desa it may be: never resolved to one.
        code = r.desa_code or (r.place_said and r.channel != "sms_text"
                               and desa_named(regency_id, r.place_said))
        if not code:
            continue
        found = desa_place(regency_id=regency_id, code=code)
        if found is None:
            raise NotFound(f"No desa {code} in this regency.", code="desa_not_found")
        places[index], point = found
        if r.lat is None or r.lon is None:
            points[index] = (*point, "desa")
    pending = [i for i, p in enumerate(places) if p is None]
    for index, place in zip(pending, locate(regency_id, [points[i][:2] for i in pending])):
        places[index] = place
    return places, points


def desa_named(regency_id: int, name: str) -> str | None:
    """The code of the one desa a typed name means — typos, "desa"/"kel." and a kecamatan
    after it are fine, the same matching as a plain-text SMS — or None when it names no desa
    or several (Mekar Jaya is in four kecamatan): the operator then reads the name as typed."""
    areas = regency_areas(regency_id)
    gazetteer = getattr(areas, "_gazetteer", None)
    if gazetteer is None:  # built once per copy of the regency's areas
        gazetteer = areas._gazetteer = Gazetteer(areas.areas.values())
    desa = parse_text(f"desa {name}", gazetteer).desa
    return desa.code if desa is not None and desa.level == "desa" else None


def _created(r: NewReport, row: dict) -> dict:
    """What the audit event of a new report records, by channel."""
    if r.channel in ("app", "sms"):
        return {"category": r.category, "status": "received"}
    after = {"category": r.category, "caller_phone": row["caller_phone"], "test": row["test"]}
    if r.channel == "post":
        after.update(unit_id=r.taken_by_unit_id, via=r.taken_via)
    return after


def lock_device_reports(*, device: Device, client_op_ids: list[str]) -> dict[str, Report]:
    """Load (and lock, on PostgreSQL) this device's reports by the ids of their create ops."""
    if not client_op_ids:
        return {}
    reports = db.session.scalars(
        sa.select(Report)
        .where(Report.device_id == device.id, Report.client_op_id.in_(client_op_ids))
        .with_for_update()
    ).all()
    return {r.client_op_id: r for r in reports}


# An operator's decision on a received report: the end of the triage measure (the citizen
# cancelling their own report is not one).
TRIAGE_DECISIONS = ("confirmed", "rejected", "merged")


def transition_report(*, report: Report, to: str, actor: tuple[str, object],
                      reason: str | None = None, device_at: datetime | None = None) -> Report:
    """Move a report to `to` if the state machine allows it; record change and audit."""
    if to not in REPORT_TRANSITIONS[report.status]:
        raise InvalidTransition(f"Report {report.ref} is {report.status}; it cannot become {to}.",
                                details={"from": report.status, "to": to})
    before = report.status
    report.status, report.status_reason, report.updated_at = to, reason, utcnow()
    if before == "received" and to in TRIAGE_DECISIONS and actor[0] == "user":
        report.triaged_at, report.triaged_by = report.updated_at, actor[1]
        report.first_viewed_at = report.first_viewed_at or report.updated_at
    place = report_place(report)["label"] if report.device_id is not None else None
    append_changes([status_change(report.id, report.regency_id, report.device_id, to, reason,
                                  place=place)])
    record_events([audit_row(regency_id=report.regency_id, actor=actor,
                             action=f"report.{to}", entity=("report", report.ref),
                             before={"status": before}, after={"status": to, "reason": reason},
                             device_at=device_at)])
    db.session.flush()
    return report


def update_report_note(*, report: Report, note: str, actor: tuple[str, object],
                       device_at: datetime | None = None) -> Report:
    """Replace the note of a report that is still open (received or confirmed)."""
    if report.status not in {"received", "confirmed"}:
        raise InvalidTransition(f"Report {report.ref} is {report.status}; its note is final.",
                                details={"from": report.status})
    before = report.note
    report.note, report.updated_at = note, utcnow()
    record_events([audit_row(regency_id=report.regency_id, actor=actor,
                             action="report.update_note", entity=("report", report.ref),
                             before={"note": before}, after={"note": note},
                             device_at=device_at)])
    db.session.flush()
    return report


def get_device_report(*, device: Device, ref: str) -> Report:
    """Return one of the device's own reports; another device's report does not exist for it."""
    report_id = parse_ref(ref)
    report = db.session.get(Report, report_id) if report_id is not None else None
    if report is None or report.device_id != device.id:
        raise NotFound(f"No report {ref} for this device.", code="report_not_found")
    return report


def list_device_reports(*, device: Device, limit: int, before_id: int | None = None
                        ) -> list[Report]:
    """The device's own reports, newest first."""
    query = sa.select(Report).where(Report.device_id == device.id)
    if before_id is not None:
        query = query.where(Report.id < before_id)
    return list(db.session.scalars(query.order_by(Report.id.desc()).limit(limit)))
