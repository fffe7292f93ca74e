from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import BigId, UTCDateTime, regency_fk
from backend.extensions import db


class SyncOp(db.Model):
    """The receipt of an applied op: (device, op id) is applied at most once, ever."""

    __tablename__ = "sync_ops"
    __table_args__ = (
        regency_fk("device_id", "devices"), regency_fk("report_id", "reports"),
        regency_fk("dispatch_id", "dispatches"),
        sa.UniqueConstraint("device_id", "op_id", "regency_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    regency_id: Mapped[int] = mapped_column(sa.ForeignKey("regencies.id"), primary_key=True)
    # Database key (id, regency_id) for sharding (docs/SCALE.md); the ORM's identity is id.
    __mapper_args__ = {"primary_key": [id]}
    device_id: Mapped[int]
    op_id: Mapped[str] = mapped_column(sa.String(36))
    op_type: Mapped[str] = mapped_column(sa.String(40))
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    report_id: Mapped[int | None] = mapped_column(BigId)
    dispatch_id: Mapped[int | None] = mapped_column(BigId)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
