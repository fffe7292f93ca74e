from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import BigId, RegencyKeyed, UTCDateTime, regency_fk, utcnow
from backend.extensions import db
from backend.regencies.models import Regency  # noqa: F401  (the join's regency_id key resolves)
from backend.units.models import Unit  # noqa: F401  (mapped before Dispatch.unit resolves)

# cancelled: an operator reassigned the unit to another incident (with a reason, audited as
# dispatch.reassigned). Allowed from on_scene too: an operator may pull a crew off a scene for
# a more urgent incident; the old incident is then flagged if no unit is left on it.
DISPATCH_TRANSITIONS = {
    "pending": {"notified", "acknowledged", "declined", "timed_out", "cancelled"},
    "notified": {"acknowledged", "declined", "timed_out", "cancelled"},
    "acknowledged": {"en_route", "on_scene", "completed", "cancelled"},
    "en_route": {"on_scene", "completed", "cancelled"},
    "on_scene": {"completed", "cancelled"},
    "declined": set(),
    "timed_out": set(),
    "completed": set(),
    "cancelled": set(),
}
ACTIVE_DISPATCH = ("pending", "notified", "acknowledged", "en_route", "on_scene")
# How an active dispatch makes its unit's availability (units.service.unit_availability).
UNIT_STATE = {"pending": "assigned", "notified": "assigned", "acknowledged": "assigned",
              "en_route": "en_route", "on_scene": "on_scene"}
ENDED_UNANSWERED = ("timed_out", "declined")  # recently: the unit is not recommended
ACTIVE_DISPATCH_SQL = "status IN ('pending', 'notified', 'acknowledged', 'en_route', 'on_scene')"


class Dispatch(RegencyKeyed, db.Model):
    __tablename__ = "dispatches"
    __table_args__ = (
        regency_fk("incident_id", "incidents"), regency_fk("unit_id", "units"),
        regency_fk("created_by", "users"), regency_fk("acknowledged_by", "users"),
        sa.Index("ix_dispatches_incident", "incident_id"),
        sa.Index("ix_dispatches_unit_status", "unit_id", "status"),
        sa.Index("ix_dispatches_unit_updated", "unit_id", "updated_at"),  # a unit's latest
        sa.Index("ix_dispatches_status_updated", "status", "updated_at"),  # recent timeouts
        # Figures by period: index-only on PostgreSQL (INCLUDE; migration 0014_kpi_speed).
        sa.Index("ix_dispatches_regency_created", "regency_id", "created_at",
                 postgresql_include=["incident_id", "acknowledged_at", "on_scene_at",
                                     "completed_at", "unit_id", "created_by"]),
        # Invariant 8: a unit is on at most one open dispatch; reassigning cancels the old one.
        sa.Index("uq_dispatches_unit_active", "unit_id", "regency_id", unique=True,
                 postgresql_where=sa.text(ACTIVE_DISPATCH_SQL),
                 sqlite_where=sa.text(ACTIVE_DISPATCH_SQL)),
    )

    __id_type__ = BigId
    incident_id: Mapped[int] = mapped_column(BigId)
    unit_id: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    distance_m: Mapped[float | None] = mapped_column(sa.Float)
    created_by: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Escalation: nobody acknowledged by ack_deadline → timed_out, next unit proposed/sent.
    ack_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None]
    # Milestones for the service measures (backend/kpi/measures.py): set once, never moved.
    en_route_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_scene_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    needs_attention: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status_reason: Mapped[str | None] = mapped_column(sa.String(200))  # decline, reassignment
    # Loaded on access only: dispatch rows are locked FOR UPDATE, which outer joins forbid.
    unit = relationship("Unit", viewonly=True)
    incident = relationship("Incident", viewonly=True)
