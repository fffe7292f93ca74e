"""Responders: push outbox, responder accounts on units, push tokens, escalation fields.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "push_outbox",
        sa.Column("id", BigId, nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", BigId, nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("lease_until", TS),
        sa.Column("last_error", sa.String(300)),
        sa.Column("fcm_message_name", sa.String(200)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name="fk_push_outbox_device_id_devices"),
        sa.ForeignKeyConstraint(["dispatch_id"], ["dispatches.id"],
                                name="fk_push_outbox_dispatch_id_dispatches"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_push_outbox_regency_id_regencies"),
        sa.PrimaryKeyConstraint("id", name="pk_push_outbox"),
    )
    op.create_index("ix_push_outbox_dispatch", "push_outbox", ["dispatch_id"])
    op.create_index("ix_push_outbox_due", "push_outbox", ["status", "next_attempt_at"])

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer()))
        batch.add_column(sa.Column("on_duty", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.create_index("ix_users_unit_id", ["unit_id"])
        batch.create_foreign_key("fk_users_unit_id_units", "units", ["unit_id"], ["id"])

    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer()))
        batch.add_column(sa.Column("fcm_token", sa.String(512)))
        batch.add_column(sa.Column("fcm_token_at", TS))
        batch.add_column(sa.Column("push_error", sa.String(40)))
        batch.add_column(sa.Column("last_lat", sa.Float()))
        batch.add_column(sa.Column("last_lon", sa.Float()))
        batch.add_column(sa.Column("last_fix_at", TS))
        batch.create_index("ix_devices_user_id", ["user_id"])
        batch.create_foreign_key("fk_devices_user_id_users", "users", ["user_id"], ["id"])

    with op.batch_alter_table("dispatches") as batch:
        batch.add_column(sa.Column("ack_deadline", TS))
        batch.add_column(sa.Column("acknowledged_at", TS))
        batch.add_column(sa.Column("acknowledged_by", sa.Integer()))
        batch.add_column(sa.Column("needs_attention", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_foreign_key("fk_dispatches_acknowledged_by_users", "users",
                                 ["acknowledged_by"], ["id"])

    with op.batch_alter_table("sync_ops") as batch:
        batch.add_column(sa.Column("dispatch_id", BigId))
        batch.create_foreign_key("fk_sync_ops_dispatch_id_dispatches", "dispatches",
                                 ["dispatch_id"], ["id"])


def downgrade():
    with op.batch_alter_table("sync_ops") as batch:
        batch.drop_constraint("fk_sync_ops_dispatch_id_dispatches", type_="foreignkey")
        batch.drop_column("dispatch_id")
    with op.batch_alter_table("dispatches") as batch:
        batch.drop_constraint("fk_dispatches_acknowledged_by_users", type_="foreignkey")
        for column in ("needs_attention", "acknowledged_by", "acknowledged_at", "ack_deadline"):
            batch.drop_column(column)
    with op.batch_alter_table("devices") as batch:
        batch.drop_constraint("fk_devices_user_id_users", type_="foreignkey")
        batch.drop_index("ix_devices_user_id")
        for column in ("last_fix_at", "last_lon", "last_lat", "push_error", "fcm_token_at",
                       "fcm_token", "user_id"):
            batch.drop_column(column)
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_unit_id_units", type_="foreignkey")
        batch.drop_index("ix_users_unit_id")
        batch.drop_column("on_duty")
        batch.drop_column("unit_id")
    op.drop_table("push_outbox")
