"""SMS into the report pipeline: what handle_inbound does with a classified message.

* compact (a verified S1 SOS): the app's own report.create op, stored through
  create_reports with its device and op id — exactly once whichever copy (SMS or /v1/sync)
  arrives first. The SMS copy leaves a sync receipt marked SMS_RECEIPT, so the app's copy
  (which has the note the SMS could not carry) is answered `duplicate`, not `conflict`:
  dedup is by op id only. Replied to by SMS with the report number, unless silent.
* text (any phone): a report of channel sms_text with the sender's number, the parser's
  category and desa (ambiguous: no desa, the candidates on the SMS row and in place_said).
  Replied to with the number and "operator akan menelepon". Over the per-number limit:
  stored flagged `flooded`, no reply (a flood must not cost one SMS per message).
* aml: backend.sms.aml_match attaches it to the caller's voice-call report, or holds it.

Everything runs in the caller's transaction (handle_inbound's savepoint). Returns the
result for the counter: created | duplicate | attached | held | refused | no_report.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.db import utcnow
from backend.devices.models import Device
from backend.extensions import db
from backend.reports.models import Report, format_ref
from backend.reports.service import NewReport, create_reports, flood_flags, lock_device_reports
from backend.sms.models import SmsMessage
from sync.clock import make_clock

# The body hash of a sync receipt written by the SMS copy of an op: the app's copy of the
# same op (more fields, the note) is a duplicate of it, never a conflict.
SMS_RECEIPT = "sms:S1"


def reply_sos(ref: str) -> str:
    return f"Siaga112: SOS Anda diterima, nomor laporan {ref}. Petugas 112 sedang menangani."


def reply_post(ref: str) -> str:
    return f"Siaga112: Laporan pos diterima, nomor laporan {ref}. Pusat 112 menindaklanjuti."


def reply_text(ref: str) -> str:
    return (f"Siaga112: Laporan Anda diterima, nomor {ref}. Operator 112 akan menelepon "
            f"nomor ini. Darurat jiwa: telepon 112.")


def report_from_sms(message: SmsMessage) -> str:
    """Turn a classified inbound SMS into its report (or attach it); set message.report_id
    and queue the reply. Returns the counter's result."""
    if message.error_code:
        return "refused"
    if message.kind == "compact":
        return _compact(message)
    if message.kind == "text":
        return _text(message)
    if message.kind == "aml":
        from backend.sms.aml_match import take_aml
        return take_aml(message)
    return "no_report"


# ---------------------------------------------------------------------------- compact

def _compact(message: SmsMessage) -> str:
    from sync.ops import Context, ParsedOp, post_report, sos_report

    parse = message.parse
    op, device = parse["op"], db.session.get(Device, parse["device_id"])
    data = op["data"]
    received = message.received_at or utcnow()
    # The op table's rules (sync/ops.py), as for the app's copy of the op. No clock exchange
    # by SMS: the phone's time is kept raw, and clamped if in the future.
    ctx = Context(device, None, make_clock(received_at=received, device_time=received,
                                           flag_after_s=10**9))
    parsed = ParsedOp(index=0, id=op["id"], type=op["type"], at=_at(op["at"]), data=data,
                      body_hash=SMS_RECEIPT)
    post = op["type"] == "post.report"
    if post:
        # A post report (a crew's phone, §13 flags 2-5) is the post's, like its sync copy:
        # the unit that took it (decided when the SMS was classified) and how. Its caller is
        # whoever called or walked in to the post: unknown until the app's copy (the SMS
        # shows the crew phone's number). The SOS's flood rule is the SOS's only.
        new = post_report(ctx, parsed, parse["unit_id"], caller_phone=None,
                          flooded=message.rate_limited)
    else:
        # The number the SOS came from: the operator can call it back.
        flooded, = flood_flags(device=device, count=1)
        new = sos_report(ctx, parsed, channel="sms", caller_phone=message.number[:20],
                         flooded=flooded or message.rate_limited)
    # Stored with the op's receipt, marked as the SMS copy: the app's copy is answered
    # `duplicate` with this report, never `conflict`.
    report_id, = create_reports(regency_id=device.regency_id, device=device,
                                actor=("device", device.id), reports=[new],
                                receipts=[(op["type"], SMS_RECEIPT)])
    if report_id is not None:
        result = "created"
    else:  # the app's copy came first (or this SMS is a replay): the same report
        report_id = lock_device_reports(device=device, client_op_ids=[op["id"]])[op["id"]].id
        result = "duplicate"
    message.report_id = report_id
    db.session.flush()
    # A silent SOS gets no SMS: its arrival would sound on the phone of someone who cannot
    # safely speak. The app learns the number from /v1/sync when data returns.
    if not data["silent"] and not _replied(report_id, message.number):
        _reply(message, (reply_post if post else reply_sos)(format_ref(report_id)))
    return result


def note_from_app_copy(*, device: Device, op, receipt) -> None:
    """The app's copy of an SOS whose SMS copy came first: the SMS could not carry the note,
    so the app's note fills the report's empty one (audited as the device's note update).
    A report already closed, or one whose note is set, keeps what it has."""
    from backend.reports.service import update_report_note

    note = (op.data or {}).get("note") if op.type in ("report.create", "post.report") \
        else None
    report = db.session.get(Report, receipt.report_id) if note else None
    if report is None or report.note or report.status not in ("received", "confirmed"):
        return
    update_report_note(report=report, note=note, actor=("device", device.id),
                       device_at=op.at)


def _at(iso: str):
    from datetime import datetime
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------- plain text

def _text(message: SmsMessage) -> str:
    parse = message.parse
    desa = parse.get("desa")
    candidates = parse.get("candidates") or []
    received = message.received_at or utcnow()
    new = NewReport(channel="sms_text", category=parse.get("category") or "other",
                    note=message.text, silent=False, lat=None, lon=None, accuracy_m=None,
                    location_source=None, location_fix_at=None, device_captured_at=None,
                    captured_at=received, time_source="server",
                    flooded=message.rate_limited, caller_phone=message.number[:20],
                    desa_code=desa["code"] if desa and desa.get("level") == "desa" else None,
                    place_said=_place_said(desa, candidates))
    report_id, = create_reports(regency_id=message.regency_id, reports=[new],
                                actor=("system", f"sms {message.number}"), received_at=utcnow())
    message.report_id = report_id
    db.session.flush()
    if not message.rate_limited:
        _reply(message, reply_text(format_ref(report_id)))
    return "created"


def _place_said(desa: dict | None, candidates: list[dict]) -> str | None:
    """What the operator reads beside the desa: the candidates when the name is ambiguous
    ("Mekar Jaya (Kec. A) / Mekar Jaya (Kec. B)?"), else None (the desa says it)."""
    if desa is not None or not candidates:
        return None
    names = [c["name"] + (f" (Kec. {c['kecamatan']})" if c.get("kecamatan") else "")
             for c in candidates]
    said = " / ".join(names) + "?"
    return said if len(said) <= 200 else said[:199] + "…"


# ---------------------------------------------------------------------------- replies

def _replied(report_id: int, number: str) -> bool:
    return db.session.scalar(sa.select(SmsMessage.id).where(
        SmsMessage.direction == "out", SmsMessage.report_id == report_id,
        SmsMessage.number == number).limit(1)) is not None


def _reply(message: SmsMessage, text: str) -> None:
    from backend.sms.service import queue_sms
    queue_sms(regency_id=message.regency_id, number=message.number, text=text,
              report_id=message.report_id)


def report_sms(report: Report) -> list[SmsMessage]:
    """The SMS of a report, both ways, oldest first (the operator's report detail)."""
    return list(db.session.scalars(sa.select(SmsMessage).where(
        SmsMessage.report_id == report.id).order_by(SmsMessage.id)))
