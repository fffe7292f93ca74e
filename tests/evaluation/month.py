"""A month of traffic whose figures are known by construction (November 2026, WIB).

Ten app reports from one desa, i = 1..10, received at 14:00–14:09 WIB on 10 November
(report 5 at 08:00):
- offline delay 120·i s (2–20 min: five of ten waited more than 10 min),
- triage 10·i s → p50 50 dtk, p90 90 dtk; 6 of 10 within 60 s (60 %),
- report 10 is rejected as a prank; reports 1–9 each open an incident at their triage,
- first dispatch 20·i s later → processing 30·i s over nine incidents:
  p50 2 mnt 30 dtk (150 s), p90 4 mnt 30 dtk (270 s); 2 of 9 within 64 s (22 %),
- acknowledgement 15·i s → p50 75 dtk, p90 2 mnt 15 dtk (135 s); fire, so judged against
  the fire target 80 s (NFPA 1710): 5 of 9 within it (56 %);
  then on scene 600 s later and completed 1800 s after that.
- incident 9 also had an earlier dispatch of another unit that timed out (one escalation).
Plus two test reports (never counted) with absurd times, and four October reports triaged
in 200 s each (the previous period: p90 3 mnt 20 dtk).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from backend.accounts.models import User
from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.incidents.models import Incident
from backend.places.models import Area
from backend.places.service import place_label
from backend.regencies.models import Regency
from backend.reports.models import Report
from backend.units.models import Unit

WIB = timezone(timedelta(hours=7))


def _report(regency, desa, *, received, offline_s, triage_s, status, test=False, reason=None):
    captured = received - timedelta(seconds=offline_s)
    report = Report(regency_id=regency.id, category="fire", status=status, lat=desa.label_lat,
                    lon=desa.label_lon, captured_at=captured, time_source="device_corrected",
                    received_at=received, updated_at=received, source="app",
                    desa_code=desa.code, kecamatan_code=desa.parent_code, test=test,
                    first_viewed_at=received + timedelta(seconds=triage_s / 2),
                    triaged_at=received + timedelta(seconds=triage_s), status_reason=reason)
    db.session.add(report)
    return report


def user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def build_month(staff) -> dict:
    regency = db.session.scalar(sa.select(Regency).where(Regency.code == "1606"))
    desa = db.session.scalar(sa.select(Area).where(Area.regency_id == regency.id,
                                                   Area.level == "desa").order_by(Area.code))
    kecamatan = db.session.scalar(sa.select(Area).where(Area.code == desa.parent_code))
    units = db.session.scalars(sa.select(Unit).where(Unit.regency_id == regency.id)
                               .order_by(Unit.id)).all()
    unit, other = units[0], units[1]
    operator = user("operator1")
    for i in range(1, 11):
        hour = 8 if i == 5 else 14
        received = datetime(2026, 11, 10, hour, i - 1, tzinfo=WIB).astimezone(timezone.utc)
        report = _report(regency, desa, received=received, offline_s=120 * i,
                         triage_s=10 * i, status="rejected" if i == 10 else "confirmed",
                         reason="prank" if i == 10 else None)
        db.session.flush()
        if i == 10:
            continue
        created = report.triaged_at
        first_dispatch = created + timedelta(seconds=20 * i)
        ack = first_dispatch + timedelta(seconds=15 * i)
        on_scene = ack + timedelta(seconds=600)
        incident = Incident(regency_id=regency.id, category="fire", status="resolved",
                            lat=desa.label_lat, lon=desa.label_lon, created_by=operator.id,
                            created_at=created, updated_at=on_scene, desa_code=desa.code,
                            kecamatan_code=desa.parent_code, first_dispatched_at=first_dispatch,
                            first_acknowledged_at=ack, first_on_scene_at=on_scene)
        db.session.add(incident)
        db.session.flush()
        report.incident_id = incident.id
        if i == 9:  # an earlier unit that never answered: one escalation
            db.session.add(Dispatch(regency_id=regency.id, incident_id=incident.id,
                                    unit_id=other.id, status="timed_out",
                                    created_by=operator.id, created_at=first_dispatch,
                                    updated_at=first_dispatch + timedelta(seconds=90),
                                    needs_attention=True))
        db.session.add(Dispatch(regency_id=regency.id, incident_id=incident.id, unit_id=unit.id,
                                status="completed", created_by=operator.id,
                                created_at=first_dispatch, updated_at=on_scene,
                                acknowledged_at=ack, on_scene_at=on_scene,
                                completed_at=on_scene + timedelta(seconds=1800)))
        db.session.flush()
    for j in range(2):  # test traffic: never counted
        _report(regency, desa, received=datetime(2026, 11, 12, 3, j, tzinfo=timezone.utc),
                offline_s=99_999, triage_s=9_999, status="rejected", test=True, reason="test")
    for j in range(4):  # October: the previous period
        _report(regency, desa, received=datetime(2026, 10, 5 + j, 2, 0, tzinfo=timezone.utc),
                offline_s=60, triage_s=200, status="rejected", reason="invalid")
    known = {"regency_id": regency.id, "desa": desa.name, "kecamatan": kecamatan.name,
             "label": place_label(desa.code, desa.name, kecamatan.name),
             "unit": unit.call_sign, "other_unit": other.call_sign}
    db.session.commit()  # and no read after it: on SQLite a read would hold the write lock
    return known
