"""AML fixes and voice-call reports: match them by the caller's number within a window, and
let the operator apply one — the report's own location is never overwritten silently.

An AML SMS usually arrives seconds after the call starts, before the operator has typed the
call report: it is then held (report_id NULL) and attached when a call report for that
number is created within AML_MATCH_WINDOW_MIN. One that arrives after the report is attached
at once to the newest call report of that number received within the window.

Each attachment tells the console: a `report.aml` change on the live feed (operators only, no
phone reads it) naming the report and its incident, so the inbox's open report and the
incident's page show the new fix without a reload.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.accounts.permissions import actor_ref, require
from backend.audit.service import record_event
from backend.db import utcnow
from backend.errors import InvalidTransition
from backend.extensions import db
from backend.feed.service import append_changes, change_row
from backend.places.service import locate
from backend.reports.models import Report
from backend.sms.models import AmlFix, SmsMessage


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["AML_MATCH_WINDOW_MIN"])


def _same(number_a: str | None, number_b: str) -> bool:
    from backend.sms.service import normalise_number
    return bool(number_a) and normalise_number(number_a) == number_b


def take_aml(message: SmsMessage) -> str:
    """Store the AML of a classified SMS (handle_inbound) as a fix; attach or hold it."""
    parse = message.parse
    fix = AmlFix(regency_id=message.regency_id, sms_id=message.id, number=message.number,
                 transport=parse.get("transport") or "sms", lat=parse.get("lat"),
                 lon=parse.get("lon"), radius_m=parse.get("radius_m"),
                 confidence=parse.get("confidence"), method=parse.get("method") or "none",
                 positioned_at=_time(parse.get("positioned_at")),
                 received_at=message.received_at or utcnow())
    db.session.add(fix)
    report = _call_report_for(fix)
    if report is None:
        db.session.flush()
        return "held"
    fix.report_id = message.report_id = report.id
    _announce(report)
    db.session.flush()
    return "attached"


def _announce(report: Report) -> None:
    """The console's `report.aml` change: the report has a new AML fix (shown, not applied)."""
    incident = report.incident
    append_changes([change_row(regency_id=report.regency_id, type="report.aml", data={
        "report": report.ref, "incident": incident.number if incident is not None else None})])


def _time(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _call_report_for(fix: AmlFix) -> Report | None:
    """The newest voice-call report of the fix's number received within the window of it.
    Call reports keep the number as the operator typed it: compared normalised."""
    window = _window()
    candidates = db.session.scalars(sa.select(Report).where(
        Report.regency_id == fix.regency_id, Report.source == "call",
        Report.caller_phone.is_not(None),
        Report.received_at.between(fix.received_at - window, fix.received_at + window))
        .order_by(Report.received_at.desc()))
    return next((r for r in candidates if _same(r.caller_phone, fix.number)), None)


def attach_held(report: Report) -> int:
    """At the creation of a voice-call report: attach the fixes held for its number within
    the window. Returns how many."""
    from backend.sms.service import normalise_number

    if report.source != "call" or not report.caller_phone:
        return 0
    number, window = normalise_number(report.caller_phone), _window()
    held = list(db.session.scalars(sa.select(AmlFix).where(
        AmlFix.regency_id == report.regency_id, AmlFix.number == number,
        AmlFix.report_id.is_(None),
        AmlFix.received_at.between(report.received_at - window,
                                   report.received_at + window))))
    for fix in held:
        fix.report_id = report.id
        if fix.sms_id is not None:
            db.session.execute(sa.update(SmsMessage).where(SmsMessage.id == fix.sms_id)
                               .values(report_id=report.id)
                               .execution_options(synchronize_session=False))
    if held:
        _announce(report)
    db.session.flush()
    return len(held)


def report_aml(report: Report) -> AmlFix | None:
    """The fix shown for a report: the newest with a location, else the newest (no fix)."""
    fixes = list(db.session.scalars(sa.select(AmlFix).where(AmlFix.report_id == report.id)
                                    .order_by(AmlFix.received_at.desc(), AmlFix.id.desc())))
    return next((f for f in fixes if f.lat is not None), fixes[0] if fixes else None)


def incident_aml(reports: list[Report]) -> list[dict]:
    """The AML fix shown for each of an incident's reports that has one, for its page's map:
    [{"report": {ref, lat, lon, location_source}, "aml": AmlRead}] — supplemental, as on
    the report's own page (applied only by accept_aml)."""
    from backend.sms.schemas import AmlRead

    shown = []
    for report in reports:
        fix = report_aml(report)
        if fix is not None:
            shown.append({"report": {"ref": report.ref, "lat": report.lat, "lon": report.lon,
                                     "location_source": report.location_source},
                          "aml": AmlRead().dump(fix)})
    return shown


def accept_aml(*, actor: User, ref: str) -> Report:
    """Apply the report's AML fix to its location (the operator's decision, audited with the
    location before and after); the desa and kecamatan follow the new point."""
    from backend.triage.service import get_report

    require(actor, "triage")
    report = get_report(actor=actor, ref=ref)
    fix = report_aml(report)
    if fix is None or fix.lat is None:
        raise InvalidTransition(f"Report {report.ref} has no AML location.", code="no_aml")
    before = _location(report)
    place, = locate(report.regency_id, [(fix.lat, fix.lon)])
    report.lat, report.lon, report.accuracy_m = fix.lat, fix.lon, fix.radius_m
    report.location_source, report.location_fix_at = "aml", fix.positioned_at
    report.desa_code, report.kecamatan_code = place.desa_code, place.kecamatan_code
    report.place_distance_m, report.updated_at = place.distance_m, utcnow()
    fix.accepted_at, fix.accepted_by = report.updated_at, actor.id
    record_event(regency_id=report.regency_id, actor=actor_ref(actor),
                 action="report.aml_accepted", entity=("report", report.ref),
                 before=before, after={**_location(report), "aml_id": fix.id,
                                       "method": fix.method})
    db.session.flush()
    return report


def _location(report: Report) -> dict:
    return {"lat": report.lat, "lon": report.lon, "accuracy_m": report.accuracy_m,
            "location_source": report.location_source, "desa_code": report.desa_code}
