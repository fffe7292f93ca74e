"""Units as resources: indexes for a unit's latest dispatch and for recent timeouts/declines.

- ix_dispatches_unit_updated (unit_id, updated_at): a unit's latest dispatch (when it became
  available again; whether it just timed out or declined) is one index probe per unit.
- ix_dispatches_status_updated (status, updated_at): the units that timed out or declined in
  the last minutes (listed apart from the recommendation) without scanning every dispatch.

Revision ID: 0005_units
Revises: 0005_flood
Create Date: 2026-11-29
"""
from alembic import op

revision = "0005_units"
down_revision = "0005_flood"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_dispatches_unit_updated", "dispatches", ["unit_id", "updated_at"])
    op.create_index("ix_dispatches_status_updated", "dispatches", ["status", "updated_at"])


def downgrade():
    op.drop_index("ix_dispatches_status_updated", table_name="dispatches")
    op.drop_index("ix_dispatches_unit_updated", table_name="dispatches")
