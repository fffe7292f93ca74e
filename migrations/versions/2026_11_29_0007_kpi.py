"""Service measures: milestone columns (set once, first time only), the regency's own targets,
and indexes for figures by period.

Milestones are back-filled from the audit trail, which has recorded every transition since the
first revision: the earliest event of each kind is the milestone.

Revision ID: 0007_kpi
Revises: 0005_units
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_kpi"
down_revision = "0005_units"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# Milestones the audit trail records: table → [(column, entity type, audit actions)].
FROM_AUDIT = {
    "reports": [("triaged_at", "report", ("report.confirmed", "report.rejected", "report.merged"))],
    "incidents": [("resolved_at", "incident", ("incident.resolved",)),
                  ("closed_at", "incident", ("incident.closed",))],
    "dispatches": [("en_route_at", "dispatch", ("dispatch.en_route",)),
                   ("on_scene_at", "dispatch", ("dispatch.on_scene",)),
                   ("completed_at", "dispatch", ("dispatch.completed",))],
}
# An incident's firsts are its dispatches' earliest (after those are back-filled).
FROM_DISPATCHES = {"first_dispatched_at": "created_at",
                   "first_acknowledged_at": "acknowledged_at",
                   "first_on_scene_at": "on_scene_at"}
# How an audit entity id names the row: R-000042, 112-2026-000042, 42.
ENTITY_ID_SQL = {"report": "CAST(substr(entity_id, 3) AS BIGINT)",
                 "incident": "CAST(substr(entity_id, 10) AS BIGINT)",
                 "dispatch": "CAST(entity_id AS BIGINT)"}


def upgrade():
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("first_viewed_at", TS))
        batch.add_column(sa.Column("triaged_at", TS))
        batch.add_column(sa.Column("triaged_by", sa.Integer()))
        batch.create_foreign_key("fk_reports_triaged_by_users", "users", ["triaged_by"], ["id"])
    with op.batch_alter_table("incidents") as batch:
        for column in ("first_dispatched_at", "first_acknowledged_at", "first_on_scene_at",
                       "resolved_at", "closed_at"):
            batch.add_column(sa.Column(column, TS))
    with op.batch_alter_table("dispatches") as batch:
        for column in ("en_route_at", "on_scene_at", "completed_at"):
            batch.add_column(sa.Column(column, TS))
    op.create_index("ix_reports_regency_received", "reports", ["regency_id", "received_at"])
    op.create_index("ix_incidents_regency_created", "incidents", ["regency_id", "created_at"])
    op.create_index("ix_dispatches_regency_created", "dispatches", ["regency_id", "created_at"])
    op.create_table(
        "kpi_targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("regency_id", sa.Integer(), sa.ForeignKey("regencies.id"), nullable=False),
        sa.Column("measure", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.UniqueConstraint("regency_id", "measure", "category"),
        sa.CheckConstraint("seconds > 0", name="seconds_positive"),
        sa.CheckConstraint("share > 0 AND share <= 1", name="share_range"),
    )
    _backfill()


def _backfill():
    for table, milestones in FROM_AUDIT.items():
        for column, entity, actions in milestones:
            names = ", ".join(f"'{a}'" for a in actions)
            row_id = ENTITY_ID_SQL[entity].replace("entity_id", "a.entity_id")
            op.execute(f"""
                UPDATE {table} SET {column} = (
                    SELECT min(a.at) FROM audit_events a
                    WHERE a.entity_type = '{entity}' AND a.action IN ({names})
                      AND {row_id} = {table}.id)
                WHERE {column} IS NULL""")
    for column, source in FROM_DISPATCHES.items():
        op.execute(f"""
            UPDATE incidents SET {column} = (
                SELECT min(d.{source}) FROM dispatches d WHERE d.incident_id = incidents.id)
            WHERE {column} IS NULL""")


def downgrade():
    op.drop_table("kpi_targets")
    op.drop_index("ix_dispatches_regency_created", table_name="dispatches")
    op.drop_index("ix_incidents_regency_created", table_name="incidents")
    op.drop_index("ix_reports_regency_received", table_name="reports")
    with op.batch_alter_table("dispatches") as batch:
        for column in ("en_route_at", "on_scene_at", "completed_at"):
            batch.drop_column(column)
    with op.batch_alter_table("incidents") as batch:
        for column in ("first_dispatched_at", "first_acknowledged_at", "first_on_scene_at",
                       "resolved_at", "closed_at"):
            batch.drop_column(column)
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint("fk_reports_triaged_by_users", type_="foreignkey")
        batch.drop_column("triaged_by")
        batch.drop_column("triaged_at")
        batch.drop_column("first_viewed_at")
