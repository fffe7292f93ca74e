"""SMS messages in and out of the centre's gateway, and the operators' block list."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import BigId, JSONDoc, RegencyKeyed, UTCDateTime, regency_fk
from backend.extensions import db

DIRECTIONS = ("in", "out")
# in:  received → processed (handle_inbound ran) | blocked (stored, not forwarded) | failed
# out: queued → sending (leased to one sender) → submitted (in the modem's outbox: gammu)
#      → sent | queued again (retry with backoff) | failed (visible)
IN_STATUSES = ("received", "processed", "blocked", "failed")
OUT_STATUSES = ("queued", "sending", "submitted", "sent", "failed")
KINDS = ("aml", "compact", "text", "unknown")


class SmsMessage(RegencyKeyed, db.Model):
    """One SMS, either way. Inbound rows are keyed by the gateway's own id for the message
    (gateway, gateway_id): a redelivery inserts nothing. The row is committed before the
    gateway's copy is acknowledged, so a crash in between means a redelivery, never a loss."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        regency_fk("report_id", "reports"),
        sa.UniqueConstraint("direction", "gateway", "gateway_id", "regency_id",
                            name="uq_sms_gateway_id"),
        sa.Index("ix_sms_out_due", "direction", "status", "next_attempt_at"),
        sa.Index("ix_sms_number_at", "number", "created_at"),
    )

    __id_type__ = BigId
    __regency_index__ = True
    direction: Mapped[str] = mapped_column(sa.String(3))
    number: Mapped[str] = mapped_column(sa.String(40))      # E.164 when it parses, else as sent
    text: Mapped[str] = mapped_column(sa.Text)
    gateway: Mapped[str] = mapped_column(sa.String(16))  # gammu | webhook | standin | aml_https
    gateway_id: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(12))
    kind: Mapped[str | None] = mapped_column(sa.String(10))
    parse: Mapped[dict | None] = mapped_column(JSONDoc)     # what handle_inbound read
    error_code: Mapped[str | None] = mapped_column(sa.String(40))
    # Over the per-number limit: stored and handled like any other, flagged (never refused).
    rate_limited: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by the gateway (in)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)      # by the gateway (out)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report_id: Mapped[int | None] = mapped_column(BigId, index=True)


class BlockedNumber(RegencyKeyed, db.Model):
    """A number an operator blocked (abuse). Its messages are still stored, marked blocked,
    and never forwarded; blocking and unblocking are audited."""

    __tablename__ = "sms_blocked_numbers"
    __table_args__ = (
        regency_fk("blocked_by", "users"),
        sa.UniqueConstraint("regency_id", "number", name="uq_sms_blocked"),
    )

    number: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str] = mapped_column(sa.String(300))
    blocked_by: Mapped[int]
    blocked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AmlFix(RegencyKeyed, db.Model):
    """An Advanced Mobile Location fix (backend/sms/aml.py) for a 112 voice call: attached to
    the caller's call report (`report_id`), or held (report_id NULL) until an operator creates
    one for that number within AML_MATCH_WINDOW_MIN. SUPPLEMENTAL: it never changes the
    report's own location; an operator applies it (accepted_at/by, audited)."""

    __tablename__ = "aml_fixes"
    __table_args__ = (
        regency_fk("report_id", "reports"), regency_fk("sms_id", "sms_messages"),
        regency_fk("accepted_by", "users"),
        sa.UniqueConstraint("sms_id", "regency_id"),
        sa.Index("ix_aml_number_at", "regency_id", "number", "received_at"),
    )

    __id_type__ = BigId
    report_id: Mapped[int | None] = mapped_column(BigId, index=True)
    sms_id: Mapped[int | None] = mapped_column(BigId)
    number: Mapped[str] = mapped_column(sa.String(40))      # the caller's, E.164
    transport: Mapped[str] = mapped_column(sa.String(8))     # sms | https
    lat: Mapped[float | None] = mapped_column(sa.Float)      # None: the phone had no fix
    lon: Mapped[float | None] = mapped_column(sa.Float)
    radius_m: Mapped[float | None] = mapped_column(sa.Float)
    confidence: Mapped[int | None] = mapped_column(sa.Integer)  # % inside the radius
    method: Mapped[str] = mapped_column(sa.String(8))        # gnss | wifi | cell | none
    positioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None]
