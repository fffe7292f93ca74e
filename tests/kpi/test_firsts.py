"""The incident's earliest report, stamped on the incident (incidents.first_received_at,
first_captured_at, first_channel; migration 0014_kpi_speed), on both databases: always equal to
what a search of the incident's real reports finds — through confirm, merge (an earlier report
merged in moves it back), merge away and split (the report takes its times with it), test
reports (never count), and writes that bypass the services (a Core update)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from backend.accounts.models import User
from backend.extensions import db
from backend.incidents.models import Incident
from backend.reports.models import Report
from backend.triage.service import confirm_report, merge_report, split_report
from tests.kpi.factory import add_report

T0 = datetime(2026, 10, 5, 3, 0, tzinfo=timezone.utc)
S = timedelta(seconds=1)


def stamp(incident_id: int) -> tuple:
    return db.session.execute(sa.select(Incident.first_received_at, Incident.first_captured_at,
                                        Incident.first_channel)
                              .where(Incident.id == incident_id)).one()


def searched(incident_id: int) -> tuple:
    """What the KPI queries searched for before the stamp (the definition)."""
    real = (Report.incident_id == incident_id, Report.test.is_(False))
    first = db.session.execute(sa.select(Report.source).where(*real)
                               .order_by(Report.received_at, Report.id).limit(1)).scalar()
    received, captured = db.session.execute(sa.select(sa.func.min(Report.received_at),
                                                      sa.func.min(Report.captured_at))
                                            .where(*real)).one()
    return received, captured, first


def test_the_stamp_follows_the_reports(app, staff):
    operator = db.session.scalar(sa.select(User).where(User.username == "operator1"))
    regency = operator.regency_id
    # A call at T0; an app report captured 10 min earlier that waited for a signal (received
    # T0 + 60 s); a test report received before both; a later call.
    call = add_report(regency, T0, source="call")
    late_app = add_report(regency, T0 + 60 * S, source="app", offline_s=660)
    test = add_report(regency, T0 - 300 * S, source="app", offline_s=30, test=True)
    later = add_report(regency, T0 + 120 * S, source="call")
    db.session.flush()
    refs = {r: r.ref for r in (call, late_app, test, later)}

    incident = confirm_report(actor=operator, ref=refs[call])
    assert stamp(incident.id) == (T0, T0, "call") == searched(incident.id)
    # Merged in: the app report was captured earlier but received later.
    merge_report(actor=operator, ref=refs[late_app], incident=incident.number)
    assert stamp(incident.id) == (T0, T0 - 600 * S, "call") == searched(incident.id)
    # A test report never counts, even the earliest.
    merge_report(actor=operator, ref=refs[test], incident=incident.number)
    assert stamp(incident.id) == (T0, T0 - 600 * S, "call") == searched(incident.id)
    # Split out: the app report leaves with its capture time; its own incident has it.
    own = split_report(actor=operator, ref=refs[late_app])
    assert stamp(incident.id) == (T0, T0, "call") == searched(incident.id)
    assert stamp(own.id) == (T0 + 60 * S, T0 - 600 * S, "app") == searched(own.id)
    # Merged away into another incident: both restamped.
    other = confirm_report(actor=operator, ref=refs[later])
    merge_report(actor=operator, ref=refs[late_app], incident=other.number)
    assert stamp(own.id) == (None, None, None) == searched(own.id)
    assert stamp(other.id) == (T0 + 60 * S, T0 - 600 * S, "app") == searched(other.id)
    # A write that bypasses the services (a fix by hand): still equal.
    db.session.execute(sa.update(Report).where(Report.id == call.id)
                       .values(received_at=T0 + 100 * S, captured_at=T0 + 90 * S))
    assert stamp(incident.id) == (T0 + 100 * S, T0 + 90 * S, "call") == searched(incident.id)
    db.session.execute(sa.update(Report).where(Report.incident_id == incident.id)
                       .values(incident_id=None))
    assert stamp(incident.id) == (None, None, None)
    db.session.commit()
