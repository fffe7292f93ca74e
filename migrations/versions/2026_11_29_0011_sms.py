"""SMS gateway: every SMS in and out (inbound exactly once by the gateway's id, outbound as an
outbox with retries) and the operators' block list.

Revision ID: 0011_sms
Revises: 0010_channels
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0011_sms"
down_revision = "0010_channels"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "sms_messages",
        sa.Column("id", BigId, nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("gateway", sa.String(16), nullable=False),
        sa.Column("gateway_id", sa.String(200)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(10)),
        sa.Column("parse", JSONDoc),
        sa.Column("error_code", sa.String(40)),
        sa.Column("rate_limited", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS),
        sa.Column("lease_until", TS),
        sa.Column("received_at", TS),
        sa.Column("sent_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("report_id", BigId),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_sms_messages_regency_id_regencies"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"],
                                name="fk_sms_messages_report_id_reports"),
        sa.PrimaryKeyConstraint("id", name="pk_sms_messages"),
        sa.UniqueConstraint("direction", "gateway", "gateway_id", name="uq_sms_gateway_id"),
    )
    op.create_index("ix_sms_out_due", "sms_messages", ["direction", "status", "next_attempt_at"])
    op.create_index("ix_sms_number_at", "sms_messages", ["number", "created_at"])
    op.create_index("ix_sms_messages_regency_id", "sms_messages", ["regency_id"])
    op.create_index("ix_sms_messages_report_id", "sms_messages", ["report_id"])
    op.create_table(
        "sms_blocked_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("blocked_by", sa.Integer(), nullable=False),
        sa.Column("blocked_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_sms_blocked_numbers_regency_id_regencies"),
        sa.ForeignKeyConstraint(["blocked_by"], ["users.id"],
                                name="fk_sms_blocked_numbers_blocked_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_sms_blocked_numbers"),
        sa.UniqueConstraint("regency_id", "number", name="uq_sms_blocked"),
    )


def downgrade():
    op.drop_table("sms_blocked_numbers")
    op.drop_index("ix_sms_messages_report_id", "sms_messages")
    op.drop_index("ix_sms_messages_regency_id", "sms_messages")
    op.drop_index("ix_sms_number_at", "sms_messages")
    op.drop_index("ix_sms_out_due", "sms_messages")
    op.drop_table("sms_messages")
