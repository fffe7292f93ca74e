from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import UTCDateTime, regency_fk, utcnow
from backend.extensions import db
from backend.kpi.measures import ALL_CATEGORIES


class KpiTarget(db.Model):
    """A regency's own target for a measure: `share` of observations within `seconds`."""
    __tablename__ = "kpi_targets"
    __table_args__ = (
        regency_fk("updated_by", "users"),
        sa.UniqueConstraint("regency_id", "measure", "category"),
        sa.CheckConstraint("seconds > 0", name="seconds_positive"),
        sa.CheckConstraint("share > 0 AND share <= 1", name="share_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    regency_id: Mapped[int] = mapped_column(sa.ForeignKey("regencies.id"), primary_key=True)
    # Database key (id, regency_id) for sharding (docs/SCALE.md); the ORM's identity is id.
    __mapper_args__ = {"primary_key": [id]}
    measure: Mapped[str] = mapped_column(sa.String(32))
    category: Mapped[str] = mapped_column(sa.String(32), default=ALL_CATEGORIES)
    seconds: Mapped[int]
    share: Mapped[float] = mapped_column(sa.Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None]
