from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.column_property)
from geoalchemy2 import Geography
from sqlalchemy.orm import Mapped, deferred, mapped_column

# needs_attention below is built at import and resolves the composite keys of the tables
# it touches: the tables they reference are imported first.
from backend.accounts.models import User  # noqa: F401
from backend.devices.models import Device  # noqa: F401
from backend.db import BigId, RegencyKeyed, UTCDateTime, regency_fk, utcnow
from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.reports.models import LOCATION_SQL

INCIDENT_TRANSITIONS = {
    "open": {"dispatched", "resolved", "closed"},
    "dispatched": {"acknowledged", "en_route", "on_scene", "resolved"},
    "acknowledged": {"en_route", "on_scene", "resolved"},
    "en_route": {"on_scene", "resolved"},
    "on_scene": {"resolved"},
    "resolved": {"closed"},
    "closed": set(),
}
INCIDENT_STATUSES = tuple(INCIDENT_TRANSITIONS)
PRIORITIES = (1, 2, 3)  # 1 = life-threatening

class Incident(RegencyKeyed, db.Model):
    __tablename__ = "incidents"
    __table_args__ = (
        regency_fk("created_by", "users"),
        sa.Index("ix_incidents_regency_status", "regency_id", "status", "created_at"),
        # Figures by period: a month of incidents is an index-only read (PostgreSQL INCLUDE;
        # migration 0014_kpi_speed), as is a dispatch's incident read by id.
        sa.Index("ix_incidents_regency_created", "regency_id", "created_at",
                 postgresql_include=["test", "category", "first_dispatched_at",
                                     "first_on_scene_at", "first_received_at",
                                     "first_captured_at", "first_channel", "desa_code",
                                     "kecamatan_code", "created_by"]),
        sa.Index("ix_incidents_id_facts", "id",
                 postgresql_include=["test", "category", "desa_code", "kecamatan_code",
                                     "first_channel"]),
        sa.Index("ix_incidents_location", "location", postgresql_using="gist"),  # PostgreSQL only
    )

    __id_type__ = BigId
    __extra_mapper_args__ = {"eager_defaults": False}
    category: Mapped[str] = mapped_column(sa.String(32))
    priority: Mapped[int] = mapped_column(default=2)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    desa_code: Mapped[str | None] = mapped_column(sa.String(20))
    kecamatan_code: Mapped[str | None] = mapped_column(sa.String(20))
    test: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Milestones for the service measures (backend/kpi/measures.py): set once, never moved.
    first_dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_on_scene_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The incident's earliest real report (migration 0014_kpi_speed): not milestones of the
    # incident itself but kept equal to min(received_at), min(captured_at) and the channel of
    # the earliest received among its non-test reports, restamped when a report joins or
    # leaves (confirm, merge, split) by triggers on reports. Processing and total start here.
    first_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_channel: Mapped[str | None] = mapped_column(sa.String(8))

    location = deferred(mapped_column(
        Geography("POINT", 4326, spatial_index=False), sa.Computed(LOCATION_SQL, persisted=True)))

    @property
    def number(self) -> str:
        return format_incident_number(self.id, self.created_at)


def format_incident_number(incident_id: int, created_at: datetime) -> str:
    return f"112-{created_at.year}-{incident_id:06d}"


# An incident needs the operator when a unit was flagged (timed out, declined, unreachable)
# and no unit has taken the job since.
_flagged, _taken = sa.orm.aliased(Dispatch), sa.orm.aliased(Dispatch)
Incident.needs_attention = sa.orm.column_property(
    sa.and_(
        sa.select(1).where(_flagged.incident_id == Incident.id,
                           _flagged.needs_attention.is_(True))
        .correlate_except(_flagged).exists(),
        ~sa.select(1).where(_taken.incident_id == Incident.id,
                            _taken.status.in_(("acknowledged", "en_route", "on_scene",
                                               "completed")))
        .correlate_except(_taken).exists()),
    deferred=False)
