from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import JSONDoc, RegencyKeyed, UTCDateTime, regency_fk, utcnow
from backend.extensions import db


class GuideVersion(RegencyKeyed, db.Model):
    """One published version of a regency's public guide. Never updated, never deleted: the
    newest is what the public sees, the older ones are the record of what was said when."""
    __tablename__ = "guide_versions"
    __table_args__ = (
        regency_fk("author_id", "users"),
        sa.UniqueConstraint("regency_id", "version"),
        sa.CheckConstraint("version > 0", name="version_positive"),
    )

    version: Mapped[int]                    # 1, 2, 3 … per regency (0 is the built-in text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int]
    # {"sections": [{"key", "title": {"id", "en"}, "text": {"id", "en"}}], "sms_example_desa"}
    content: Mapped[dict] = mapped_column(JSONDoc)
