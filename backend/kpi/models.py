from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import RegencyKeyed, UTCDateTime, regency_fk, utcnow
from backend.extensions import db
from backend.kpi.measures import ALL_CATEGORIES


class KpiTarget(RegencyKeyed, db.Model):
    """A regency's own target for a measure: `share` of observations within `seconds`."""
    __tablename__ = "kpi_targets"
    __table_args__ = (
        regency_fk("updated_by", "users"),
        sa.UniqueConstraint("regency_id", "measure", "category"),
        sa.CheckConstraint("seconds > 0", name="seconds_positive"),
        sa.CheckConstraint("share > 0 AND share <= 1", name="share_range"),
    )

    measure: Mapped[str] = mapped_column(sa.String(32))
    category: Mapped[str] = mapped_column(sa.String(32), default=ALL_CATEGORIES)
    seconds: Mapped[int]
    share: Mapped[float] = mapped_column(sa.Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None]
