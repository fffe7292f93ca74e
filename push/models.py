from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import BigId, RegencyKeyed, UTCDateTime, regency_fk
from backend.extensions import db

OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "dropped")


class PushOutbox(RegencyKeyed, db.Model):
    """One alert to one responder device, written in the dispatch's own transaction.

    queued → sending (leased to one worker) → sent | queued again (retry) | failed | dropped.
    A lease that runs out (worker killed) puts the row back in reach of the relay.
    """

    __tablename__ = "push_outbox"
    __table_args__ = (
        regency_fk("dispatch_id", "dispatches"), regency_fk("device_id", "devices"),
        sa.Index("ix_push_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_push_outbox_dispatch", "dispatch_id"),
    )

    __id_type__ = BigId
    dispatch_id: Mapped[int] = mapped_column(BigId)
    device_id: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(12), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    fcm_message_name: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
