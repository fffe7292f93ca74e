from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import BigId, JSONDoc, RegencySharded, UTCDateTime, regency_fk
from backend.extensions import db


class Change(RegencySharded, db.Model):
    __tablename__ = "changes"
    __table_args__ = (
        regency_fk("device_id", "devices"),
        sa.Index("ix_changes_device_cursor", "device_id", "txid", "seq"),
        sa.Index("ix_changes_regency_cursor", "regency_id", "txid", "seq"),
    )

    # The identity is `seq` (database key (seq, regency_id)); sort_order keeps the table's
    # column order seq, txid, regency_id.
    __identity__ = "seq"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True, sort_order=-3)
    # Id of the writing transaction (PostgreSQL: pg_current_xact_id(); SQLite: 0, because
    # SQLite transactions are serialised). Filled by the database, never by Python.
    txid: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.FetchedValue(),
                                      sort_order=-2)
    device_id: Mapped[int | None]  # audience
    type: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[dict] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
