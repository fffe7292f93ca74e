from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from backend.db import JSONDoc, RegencyKeyed, UTCDateTime, regency_fk, utcnow
from backend.extensions import db

PERIOD_KINDS = ("month", "range")
GENERATED_VIA = ("user", "scheduler", "cli")


class EvaluationReport(RegencyKeyed, db.Model):
    """One stored evaluation report of a regency for a period, with its written evaluation.

    The PDF and HTML live in the database, not in instance/: every web server and the worker
    read and write the same rows (no shared disk to run), backups carry them, and a year of
    monthly reports is a few megabytes. Both are deferred so listings never load them.
    A period is [period_start, period_end) in UTC, from the regency's local midnights.
    """

    __tablename__ = "evaluation_reports"
    __table_args__ = (
        regency_fk("generated_by", "users"), regency_fk("evaluation_by", "users"),
        # One report per regency, period and language: the scheduler's second run is a no-op,
        # a regeneration replaces the rendering in place (the written evaluation stays).
        sa.UniqueConstraint("regency_id", "period_start", "period_end", "language",
                            name="uq_evaluation_reports_period"),
        sa.Index("ix_evaluation_reports_regency_start", "regency_id", "period_start"),
        sa.CheckConstraint("period_end > period_start", name="period_order"),
    )

    period_kind: Mapped[str] = mapped_column(sa.String(8))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(sa.String(5), default="id")
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generated_by: Mapped[int | None]
    generated_via: Mapped[str] = mapped_column(sa.String(12))
    figures: Mapped[dict] = deferred(mapped_column(JSONDoc, nullable=False))
    html: Mapped[str] = deferred(mapped_column(sa.Text, nullable=False))
    pdf: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    pdf_size: Mapped[int] = mapped_column(sa.Integer)
    # The supervisor's written evaluation, kept with the report (audited on every change).
    keep_text: Mapped[str | None] = mapped_column(sa.Text)
    improve_text: Mapped[str | None] = mapped_column(sa.Text)
    evaluation_by: Mapped[int | None]
    evaluation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
