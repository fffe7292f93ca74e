"""Foundation: regencies, devices, reports, sync receipts, change feed, audit log.

On PostgreSQL: PostGIS, a generated geography(POINT,4326) column on reports with a GiST
index, and changes.txid defaulting to the writing transaction's id (see backend/feed).
Incidents, units, dispatches and the push outbox arrive in later revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
LOCATION_SQL = ("CASE WHEN lat IS NULL OR lon IS NULL THEN NULL ELSE "
                "(ST_SetSRID(ST_MakePoint(lon, lat), 4326))::geography END")


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "regencies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("timezone", sa.String(40), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_regencies"),
        sa.UniqueConstraint("code", name="uq_regencies_code"),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("app_version", sa.String(40), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("phone", sa.String(20)),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS),
        sa.Column("revoked_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_devices"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_devices_regency_id_regencies"),
        sa.UniqueConstraint("key_hash", name="uq_devices_key_hash"),
    )
    op.create_index("ix_devices_regency_id", "devices", ["regency_id"])

    op.create_table(
        "reports",
        sa.Column("id", BigId, nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer()),
        sa.Column("client_op_id", sa.String(36)),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("accuracy_m", sa.Float()),
        sa.Column("location_source", sa.String(16)),
        sa.Column("location_fix_at", TS),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("device_captured_at", TS),
        sa.Column("captured_at", TS, nullable=False),
        sa.Column("time_source", sa.String(20), nullable=False),
        sa.Column("clock_offset_ms", sa.BigInteger(), nullable=False),
        sa.Column("clock_skew_flagged", sa.Boolean(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("status_reason", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_reports_regency_id_regencies"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name="fk_reports_device_id_devices"),
        sa.UniqueConstraint("device_id", "client_op_id", name="uq_reports_device_id_client_op_id"),
        sa.CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="ck_reports_lat_range"),
        sa.CheckConstraint("lon IS NULL OR (lon BETWEEN -180 AND 180)",
                           name="ck_reports_lon_range"),
    )
    op.create_index("ix_reports_device_id", "reports", ["device_id"])
    op.create_index("ix_reports_regency_inbox", "reports", ["regency_id", "status", "received_at"])
    if postgres:
        op.add_column("reports", sa.Column(
            "location", Geography("POINT", 4326, spatial_index=False),
            sa.Computed(LOCATION_SQL, persisted=True)))
        op.create_index("ix_reports_location", "reports", ["location"], postgresql_using="gist")

    op.create_table(
        "sync_ops",
        sa.Column("id", BigId, nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("op_type", sa.String(40), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("report_id", BigId),
        sa.Column("applied_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_ops"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_sync_ops_regency_id_regencies"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name="fk_sync_ops_device_id_devices"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"],
                                name="fk_sync_ops_report_id_reports"),
        sa.UniqueConstraint("device_id", "op_id", name="uq_sync_ops_device_id_op_id"),
    )

    op.create_table(
        "changes",
        sa.Column("seq", BigId, nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False, server_default=sa.text(
            "(pg_current_xact_id()::text::bigint)" if postgres else "0")),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer()),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("data", JSONDoc, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_changes"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_changes_regency_id_regencies"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name="fk_changes_device_id_devices"),
    )
    op.create_index("ix_changes_device_cursor", "changes", ["device_id", "txid", "seq"])
    op.create_index("ix_changes_regency_cursor", "changes", ["regency_id", "txid", "seq"])

    op.create_table(
        "audit_events",
        sa.Column("id", BigId, nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("device_at", TS),
        sa.Column("actor_type", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("before", JSONDoc),
        sa.Column("after", JSONDoc),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_audit_events_regency_id_regencies"),
    )
    op.create_index("ix_audit_events_entity", "audit_events", ["entity_type", "entity_id"])


def downgrade():
    for table in ("audit_events", "changes", "sync_ops", "reports", "devices", "regencies"):
        op.drop_table(table)
