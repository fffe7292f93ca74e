"""Ready to shard by regency (docs/SCALE.md, backend/scale.py): on PostgreSQL every table
distributed by regency_id gets the primary key (id, regency_id), unique constraints that include
regency_id, and composite foreign keys (x_id, regency_id) → (id, regency_id) between
distributed tables — what Citus requires to co-locate a regency's rows on one shard.

Every operational table already carries regency_id NOT NULL (set from the parent row by the
services since 0001), so nothing is back-filled; the composite keys do check, for existing
data, that each child row is in its parent's regency. A row that is not is reported by table
and key before anything changes (the migration stops with a clear message), never silently
rewritten.

`id` stays globally unique (its sequence is untouched) and the application keeps addressing
rows by id alone (the ORM's identity is `id`).

SQLite (the embedded profile, one regency per file, never sharded) keeps its simple
primary and foreign keys — a composite key there would cost SQLite its rowid id — and gains
the same unique keys as unique indexes beside the old constraints (ON CONFLICT targets name
the new column sets on both databases); no table is copied, so the 0014 triggers stay.

Revision ID: 0015_citus
Revises: 0014_kpi_speed
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_citus"
down_revision = "0014_kpi_speed"
branch_labels = None
depends_on = None

# The tables distributed by regency_id (backend/scale.py, frozen here as of this revision).
DISTRIBUTED = ("users", "units", "devices", "reports", "incidents", "dispatches", "changes",
               "sync_ops", "audit_events", "push_outbox", "sms_messages",
               "sms_blocked_numbers", "aml_fixes", "evaluation_reports", "guide_versions",
               "kpi_targets")
KEY = {"changes": "seq"}  # the id column, where it is not `id`

# (table, column, parent): foreign keys between distributed tables, made composite.
FOREIGN_KEYS = (
    ("users", "unit_id", "units"),
    ("devices", "user_id", "users"),
    ("reports", "device_id", "devices"), ("reports", "incident_id", "incidents"),
    ("reports", "created_by", "users"), ("reports", "taken_by_unit_id", "units"),
    ("reports", "triaged_by", "users"),
    ("incidents", "created_by", "users"),
    ("dispatches", "incident_id", "incidents"), ("dispatches", "unit_id", "units"),
    ("dispatches", "created_by", "users"), ("dispatches", "acknowledged_by", "users"),
    ("changes", "device_id", "devices"),
    ("sync_ops", "device_id", "devices"), ("sync_ops", "report_id", "reports"),
    ("sync_ops", "dispatch_id", "dispatches"),
    ("push_outbox", "dispatch_id", "dispatches"), ("push_outbox", "device_id", "devices"),
    ("sms_messages", "report_id", "reports"),
    ("sms_blocked_numbers", "blocked_by", "users"),
    ("aml_fixes", "report_id", "reports"), ("aml_fixes", "sms_id", "sms_messages"),
    ("aml_fixes", "accepted_by", "users"),
    ("evaluation_reports", "generated_by", "users"),
    ("evaluation_reports", "evaluation_by", "users"),
    ("guide_versions", "author_id", "users"),
    ("kpi_targets", "updated_by", "users"),
)

# table → [(old name, old columns, new name, new columns)]
UNIQUES = {
    "users": [("uq_users_username", ["username"],
               "uq_users_username_regency_id", ["username", "regency_id"])],
    "devices": [("uq_devices_key_hash", ["key_hash"],
                 "uq_devices_key_hash_regency_id", ["key_hash", "regency_id"])],
    "reports": [("uq_reports_device_id_client_op_id", ["device_id", "client_op_id"],
                 "uq_reports_device_id_client_op_id_regency_id",
                 ["device_id", "client_op_id", "regency_id"])],
    "sync_ops": [("uq_sync_ops_device_id_op_id", ["device_id", "op_id"],
                  "uq_sync_ops_device_id_op_id_regency_id", ["device_id", "op_id", "regency_id"])],
    "sms_messages": [("uq_sms_gateway_id", ["direction", "gateway", "gateway_id"],
                      "uq_sms_gateway_id", ["direction", "gateway", "gateway_id", "regency_id"])],
    "aml_fixes": [("uq_aml_fixes_sms_id", ["sms_id"],
                   "uq_aml_fixes_sms_id_regency_id", ["sms_id", "regency_id"])],
}
ACTIVE_DISPATCH_SQL = "status IN ('pending', 'notified', 'acknowledged', 'en_route', 'on_scene')"


def _fk_name(table, column, parent):
    return f"fk_{table}_{column}_{parent}"


def _check_same_regency():
    """Stop, naming the rows, if any child row is not in its parent's regency."""
    bind = op.get_bind()
    wrong = []
    for table, column, parent in FOREIGN_KEYS:
        count = bind.execute(sa.text(
            f"SELECT count(*) FROM {table} c JOIN {parent} p ON p.id = c.{column} "
            f"WHERE p.regency_id <> c.regency_id")).scalar_one()
        if count:
            wrong.append(f"{table}.{column} → {parent}: {count} row(s)")
    if wrong:
        raise RuntimeError("0015_citus: rows whose regency differs from their parent's "
                           "(fix them, then upgrade again): " + "; ".join(wrong))


def _upgrade_postgres():
    _check_same_regency()
    for table, column, parent in FOREIGN_KEYS:
        op.drop_constraint(_fk_name(table, column, parent), table, type_="foreignkey")
    op.drop_index("uq_dispatches_unit_active", table_name="dispatches")
    for table, changes in UNIQUES.items():
        for old, _, _, _ in changes:
            op.drop_constraint(old, table, type_="unique")
    for table in DISTRIBUTED:
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, [KEY.get(table, "id"), "regency_id"])
    for table, changes in UNIQUES.items():
        for _, _, new, columns in changes:
            op.create_unique_constraint(new, table, columns)
    op.create_index("uq_dispatches_unit_active", "dispatches", ["unit_id", "regency_id"],
                    unique=True, postgresql_where=sa.text(ACTIVE_DISPATCH_SQL))
    for table, column, parent in FOREIGN_KEYS:
        op.create_foreign_key(_fk_name(table, column, parent), table, parent,
                              [column, "regency_id"], ["id", "regency_id"])


def _downgrade_postgres():
    for table, column, parent in FOREIGN_KEYS:
        op.drop_constraint(_fk_name(table, column, parent), table, type_="foreignkey")
    op.drop_index("uq_dispatches_unit_active", table_name="dispatches")
    for table, changes in UNIQUES.items():
        for _, _, new, _ in changes:
            op.drop_constraint(new, table, type_="unique")
    for table in DISTRIBUTED:
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, [KEY.get(table, "id")])
    for table, changes in UNIQUES.items():
        for old, columns, _, _ in changes:
            op.create_unique_constraint(old, table, columns)
    op.create_index("uq_dispatches_unit_active", "dispatches", ["unit_id"],
                    unique=True, postgresql_where=sa.text(ACTIVE_DISPATCH_SQL))
    for table, column, parent in FOREIGN_KEYS:
        op.create_foreign_key(_fk_name(table, column, parent), table, parent, [column], ["id"])


def _sqlite_index_name(new: str) -> str:
    # uq_sms_gateway_id keeps its name on PostgreSQL; on SQLite the old constraint stays.
    return new if new != "uq_sms_gateway_id" else "uq_sms_gateway_id_regency_id"


def _upgrade_sqlite():
    """Unique indexes with regency_id beside the old constraints, which stay: SQLite cannot
    drop a table's constraint without copying the table, and copying a table that other rows
    reference is refused inside the migration's transaction (foreign keys are on). Each old
    constraint is as strict as its new index (a device, gateway or SMS has one regency), and
    an ON CONFLICT naming the new index is checked against it first."""
    for table, changes in UNIQUES.items():
        for _, _, new, columns in changes:
            op.create_index(_sqlite_index_name(new), table, columns, unique=True)
    op.drop_index("uq_dispatches_unit_active", table_name="dispatches")
    op.create_index("uq_dispatches_unit_active", "dispatches", ["unit_id", "regency_id"],
                    unique=True, sqlite_where=sa.text(ACTIVE_DISPATCH_SQL))


def _downgrade_sqlite():
    for table, changes in UNIQUES.items():
        for _, _, new, _ in changes:
            op.drop_index(_sqlite_index_name(new), table_name=table)
    op.drop_index("uq_dispatches_unit_active", table_name="dispatches")
    op.create_index("uq_dispatches_unit_active", "dispatches", ["unit_id"],
                    unique=True, sqlite_where=sa.text(ACTIVE_DISPATCH_SQL))


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres()
    else:
        _upgrade_sqlite()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_postgres()
    else:
        _downgrade_sqlite()
