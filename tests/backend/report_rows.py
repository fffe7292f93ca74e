"""Reports written straight into the database with chosen times and places: constructed data
whose figures are known in advance (the monitoring tests' input)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from backend.extensions import db
from backend.places.service import demo_label_point
from backend.regencies.models import Regency
from backend.reports.models import Report

NOV = datetime(2026, 11, 1, tzinfo=timezone.utc)
DEC = datetime(2026, 12, 1, tzinfo=timezone.utc)


def regency_id(code: str = "1606") -> int:
    return db.session.scalar(sa.select(Regency.id).where(Regency.code == code))


def add_report(desa_code: str | None, *, delay_s: float = 60, received_at: datetime | None = None,
               source: str = "app", test: bool = False, status: str = "received",
               at: tuple[float, float] | None = None, regency: str = "1606",
               located: bool = True) -> Report:
    """One report received at `received_at` (default mid-November) that waited `delay_s` on
    the phone, at `at` or the desa's label point (None: no location, no desa)."""
    received = received_at or NOV + timedelta(days=14)
    lat, lon = at or (demo_label_point(desa_code) if desa_code else (None, None))
    if not located:
        lat = lon = None
    report = Report(regency_id=regency_id(regency), category="fire", status=status,
                    lat=lat, lon=lon, captured_at=received - timedelta(seconds=delay_s),
                    time_source="gnss", received_at=received, updated_at=received,
                    desa_code=desa_code,
                    kecamatan_code=desa_code.rsplit(".", 1)[0] if desa_code else None,
                    source=source, test=test)
    db.session.add(report)
    return report
