"""SOS floods: reports beyond a device's rate are stored flagged (collapsed in the inbox,
never dropped); operators can mute a device.

Revision ID: 0005_flood
Revises: 0004
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_flood"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("flooded", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("muted_at", sa.DateTime(timezone=True)))


def downgrade():
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("muted_at")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("flooded")
