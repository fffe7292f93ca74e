from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import UTCDateTime, utcnow
from backend.extensions import db

ROLES = ("operator", "supervisor", "admin", "responder")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(sa.ForeignKey("regencies.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
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
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    on_duty: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
