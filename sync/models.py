from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import BigId, UTCDateTime
from backend.extensions import db


class SyncOp(db.Model):
    """The receipt of an applied op: (device, op id) is applied at most once, ever."""

    __tablename__ = "sync_ops"
    __table_args__ = (sa.UniqueConstraint("device_id", "op_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    regency_id: Mapped[int] = mapped_column(sa.ForeignKey("regencies.id"))
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"))
    op_id: Mapped[str] = mapped_column(sa.String(36))
    op_type: Mapped[str] = mapped_column(sa.String(40))
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id"))
    dispatch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dispatches.id"))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
