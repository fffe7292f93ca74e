from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import BigId, JSONDoc, RegencyKeyed, UTCDateTime
from backend.extensions import db


class AuditEvent(RegencyKeyed, db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    __id_type__ = BigId
    at: Mapped[datetime] = mapped_column(UTCDateTime)            # server time
    device_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the device's own clock
    actor_type: Mapped[str] = mapped_column(sa.String(16))       # device | user | system
    actor_id: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(48))
    entity_type: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(JSONDoc)
    after: Mapped[dict | None] = mapped_column(JSONDoc)
