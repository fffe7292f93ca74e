from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import BigId, RegencyKeyed, UTCDateTime, regency_fk
from backend.extensions import db


class SyncOp(RegencyKeyed, db.Model):
    """The receipt of an applied op: (device, op id) is applied at most once, ever."""

    __tablename__ = "sync_ops"
    __table_args__ = (
        regency_fk("device_id", "devices"), regency_fk("report_id", "reports"),
        regency_fk("dispatch_id", "dispatches"),
        # op_id first: a sync finds its ops' receipts by op id, never by reading all of a
        # busy phone's (migration 0017_receipts_by_op).
        sa.UniqueConstraint("op_id", "device_id", "regency_id"),
    )

    __id_type__ = BigId
    device_id: Mapped[int]
    op_id: Mapped[str] = mapped_column(sa.String(36))
    op_type: Mapped[str] = mapped_column(sa.String(40))
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    report_id: Mapped[int | None] = mapped_column(BigId)
    dispatch_id: Mapped[int | None] = mapped_column(BigId)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
