"""AML fixes: the location a phone sends by itself when it calls 112, held or attached to the
caller's voice-call report, supplemental until an operator accepts it.

Revision ID: 0013_aml
Revises: 0012_guide
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_aml"
down_revision = "0012_guide"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "aml_fixes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("report_id", BigId),
        sa.Column("sms_id", BigId),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("radius_m", sa.Float()),
        sa.Column("confidence", sa.Integer()),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("positioned_at", TS),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("accepted_at", TS),
        sa.Column("accepted_by", sa.Integer()),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_aml_fixes_regency_id_regencies"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"],
                                name="fk_aml_fixes_report_id_reports"),
        sa.ForeignKeyConstraint(["sms_id"], ["sms_messages.id"],
                                name="fk_aml_fixes_sms_id_sms_messages"),
        sa.ForeignKeyConstraint(["accepted_by"], ["users.id"],
                                name="fk_aml_fixes_accepted_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_aml_fixes"),
        sa.UniqueConstraint("sms_id", name="uq_aml_fixes_sms_id"),
    )
    op.create_index("ix_aml_number_at", "aml_fixes", ["regency_id", "number", "received_at"])
    op.create_index("ix_aml_fixes_report_id", "aml_fixes", ["report_id"])


def downgrade():
    op.drop_table("aml_fixes")
