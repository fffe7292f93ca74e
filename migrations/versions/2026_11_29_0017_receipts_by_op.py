"""Op receipts indexed by op id first (PostgreSQL).

Every sync looks up the receipts of the ops it carries: `device_id = :d AND regency_id = :r
AND op_id IN (…)` (sync/apply.py). With the unique key in the order (device_id, op_id,
regency_id) PostgreSQL's generic plan — the one a prepared statement settles on — used only
device_id and regency_id to enter the index and filtered the op ids, reading every receipt the
phone ever had on every sync. A responder phone sends a location op a minute on duty and keeps
its receipts for ever: 442 ms per sync for a phone with 200,000 among phones with a few
(measured; `tests/sync/test_receipts_plan.py`). Leading with op_id, the index can only be
entered by the op ids themselves: a handful of index probes per sync, however old the phone.
The same three columns stay unique (Citus: regency_id included), so every ON CONFLICT and
at-most-once guarantee is unchanged.

The new index is built CONCURRENTLY, outside the migration's transaction, so syncs keep
writing receipts while it builds on a large table; the constraint then takes it over.

SQLite (the embedded profile) keeps its index: its planner probes (device_id, op_id) for each
op id of the IN list whatever the counts.

Revision ID: 0017_receipts_by_op
Revises: 0016_locate_points
Create Date: 2026-11-29
"""
from alembic import op

revision = "0017_receipts_by_op"
down_revision = "0016_locate_points"
branch_labels = None
depends_on = None

OLD = ("uq_sync_ops_device_id_op_id_regency_id", "device_id, op_id, regency_id")
NEW = ("uq_sync_ops_op_id_device_id_regency_id", "op_id, device_id, regency_id")


def _swap(old, new):
    name, columns = new
    with op.get_context().autocommit_block():
        op.execute(f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name} ON sync_ops ({columns})")
    op.execute(f"ALTER TABLE sync_ops ADD CONSTRAINT {name} UNIQUE USING INDEX {name}")
    op.execute(f"ALTER TABLE sync_ops DROP CONSTRAINT {old[0]}")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _swap(OLD, NEW)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _swap(NEW, OLD)
