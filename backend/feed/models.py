from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import BigId, JSONDoc, UTCDateTime, regency_fk
from backend.extensions import db


class Change(db.Model):
    __tablename__ = "changes"
    __table_args__ = (
        regency_fk("device_id", "devices"),
        sa.Index("ix_changes_device_cursor", "device_id", "txid", "seq"),
        sa.Index("ix_changes_regency_cursor", "regency_id", "txid", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Id of the writing transaction (PostgreSQL: pg_current_xact_id(); SQLite: 0, because
    # SQLite transactions are serialised). Filled by the database, never by Python.
    txid: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.FetchedValue())
    regency_id: Mapped[int] = mapped_column(sa.ForeignKey("regencies.id"), primary_key=True)
    # Database key (id, regency_id) for sharding (docs/SCALE.md); the ORM's identity is seq.
    __mapper_args__ = {"primary_key": [seq]}
    device_id: Mapped[int | None]  # audience
    type: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[dict] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
