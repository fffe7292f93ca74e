"""The public guide's published versions (each admin edit is a new row; the newest is shown).

Revision ID: 0012_guide
Revises: 0011_sms
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0012_guide"
down_revision = "0011_sms"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "guide_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("regency_id", sa.Integer(), sa.ForeignKey("regencies.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("content", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.UniqueConstraint("regency_id", "version"),
        sa.CheckConstraint("version > 0", name="version_positive"),
    )


def downgrade():
    op.drop_table("guide_versions")
