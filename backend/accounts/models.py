from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import RegencyKeyed, UTCDateTime, regency_fk, utcnow
from backend.extensions import db

ROLES = ("operator", "supervisor", "admin", "responder")


class User(RegencyKeyed, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Unique per regency in the database (a distributed table, docs/SCALE.md); across
        # regencies create_user refuses a taken name. Sign-in looks the name up (leading column).
        sa.UniqueConstraint("username", "regency_id"),
        regency_fk("unit_id", "units"),
    )

    __regency_index__ = True
    username: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str] = mapped_column(sa.String(255))  # werkzeug scrypt
    locale: Mapped[str] = mapped_column(sa.String(8), default="id")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on disable, role change or password reset: every session of the user ends.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Responders only: the unit they ride with, and whether they take alerts now.
    unit_id: Mapped[int | None] = mapped_column(index=True)
    on_duty: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
