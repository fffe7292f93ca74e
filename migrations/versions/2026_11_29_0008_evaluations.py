"""Stored evaluation reports (monthly or any range): HTML and PDF in the database, the figures
they were drawn from, and the supervisor's written evaluation.

Revision ID: 0008_evaluations
Revises: 0007_kpi
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0008_evaluations"
down_revision = "0007_kpi"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "evaluation_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("regency_id", sa.Integer(), sa.ForeignKey("regencies.id"), nullable=False),
        sa.Column("period_kind", sa.String(8), nullable=False),
        sa.Column("period_start", TS, nullable=False),
        sa.Column("period_end", TS, nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("generated_at", TS, nullable=False),
        sa.Column("generated_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("generated_via", sa.String(12), nullable=False),
        sa.Column("figures", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_size", sa.Integer(), nullable=False),
        sa.Column("keep_text", sa.Text()),
        sa.Column("improve_text", sa.Text()),
        sa.Column("evaluation_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("evaluation_at", TS),
        sa.UniqueConstraint("regency_id", "period_start", "period_end", "language",
                            name="uq_evaluation_reports_period"),
        sa.CheckConstraint("period_end > period_start", name="ck_evaluation_reports_period_order"),
    )
    op.create_index("ix_evaluation_reports_regency_start", "evaluation_reports",
                    ["regency_id", "period_start"])


def downgrade():
    op.drop_index("ix_evaluation_reports_regency_start", table_name="evaluation_reports")
    op.drop_table("evaluation_reports")
