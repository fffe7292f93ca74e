from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import RegencyKeyed, UTCDateTime, regency_fk, utcnow
from backend.extensions import db

DEVICE_KINDS = ("citizen", "responder")
PLATFORMS = ("android", "ios", "web", "other")
LOCALES = ("id", "en")


class Device(RegencyKeyed, db.Model):
    __tablename__ = "devices"
    __table_args__ = (
        # 256 random bits: unique anyway; the constraint carries regency_id (docs/SCALE.md) and
        # authentication looks the hash up by its leading column.
        sa.UniqueConstraint("key_hash", "regency_id"),
        regency_fk("user_id", "users"),
    )

    __regency_index__ = True
    kind: Mapped[str] = mapped_column(sa.String(16), default="citizen")
    platform: Mapped[str] = mapped_column(sa.String(16))
    app_version: Mapped[str] = mapped_column(sa.String(40))
    locale: Mapped[str] = mapped_column(sa.String(8), default="id")
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    # Test traffic (conformance runs, app QA): its reports are flagged and never counted.
    test: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # sha256 of the key: the key has 256 random bits, so a fast hash is safe and keeps auth O(1).
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Muted by an operator (a flood source): its reports are still stored, always collapsed.
    muted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Responder phones: who is signed in, where to push, where they were last.
    user_id: Mapped[int | None] = mapped_column(index=True)
    fcm_token: Mapped[str | None] = mapped_column(sa.String(512))
    fcm_token_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_error: Mapped[str | None] = mapped_column(sa.String(40))  # why the token was dropped
    last_lat: Mapped[float | None] = mapped_column(sa.Float)
    last_lon: Mapped[float | None] = mapped_column(sa.Float)
    last_fix_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
