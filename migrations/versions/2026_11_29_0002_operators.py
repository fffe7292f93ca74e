"""Operators: console accounts, agencies, units, routing, incidents, dispatches.

Reports gain their incident, their source (app or voice call) and the operator who entered
them. On PostgreSQL, units and incidents get generated geography columns with GiST indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
LOCATION_SQL = ("CASE WHEN lat IS NULL OR lon IS NULL THEN NULL ELSE "
                "(ST_SetSRID(ST_MakePoint(lon, lat), 4326))::geography END")


def _add_location(table: str) -> None:
    op.add_column(table, sa.Column("location", Geography("POINT", 4326, spatial_index=False),
                                   sa.Computed(LOCATION_SQL, persisted=True)))
    op.create_index(f"ix_{table}_location", table, ["location"], postgresql_using="gist")


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_login_at", TS),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_users_regency_id_regencies"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_index("ix_users_regency_id", "users", ["regency_id"])

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(20)),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_agencies_regency_id_regencies"),
        sa.PrimaryKeyConstraint("id", name="pk_agencies"),
    )
    op.create_index("ix_agencies_regency_id", "agencies", ["regency_id"])

    op.create_table(
        "routing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("agency_type", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_routing_regency_id_regencies"),
        sa.PrimaryKeyConstraint("id", name="pk_routing"),
        sa.UniqueConstraint("regency_id", "category", "agency_type",
                            name="uq_routing_regency_id_category_agency_type"),
    )

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("call_sign", sa.String(40), nullable=False),
        sa.Column("post_name", sa.String(120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name="fk_units_agency_id_agencies"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_units_regency_id_regencies"),
        sa.PrimaryKeyConstraint("id", name="pk_units"),
    )
    op.create_index("ix_units_agency_id", "units", ["agency_id"])
    op.create_index("ix_units_regency_duty", "units", ["regency_id", "on_duty"])

    op.create_table(
        "incidents",
        sa.Column("id", BigId, nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_incidents_created_by_users"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_incidents_regency_id_regencies"),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    op.create_index("ix_incidents_regency_status", "incidents",
                    ["regency_id", "status", "created_at"])
    if postgres:
        _add_location("units")
        _add_location("incidents")

    op.create_table(
        "dispatches",
        sa.Column("id", BigId, nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", BigId, nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("distance_m", sa.Float()),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name="fk_dispatches_created_by_users"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"],
                                name="fk_dispatches_incident_id_incidents"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_dispatches_regency_id_regencies"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_dispatches_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_dispatches"),
    )
    op.create_index("ix_dispatches_incident", "dispatches", ["incident_id"])
    op.create_index("ix_dispatches_unit_status", "dispatches", ["unit_id", "status"])

    # Batch mode: SQLite cannot add foreign keys to an existing table without recreating it.
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("incident_id", BigId))
        batch.add_column(sa.Column("source", sa.String(8), nullable=False, server_default="app"))
        batch.add_column(sa.Column("caller_phone", sa.String(20)))
        batch.add_column(sa.Column("created_by", sa.Integer()))
        batch.create_index("ix_reports_incident_id", ["incident_id"])
        batch.create_foreign_key("fk_reports_created_by_users", "users", ["created_by"], ["id"])
        batch.create_foreign_key("fk_reports_incident_id_incidents", "incidents",
                                 ["incident_id"], ["id"])


def downgrade():
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint("fk_reports_incident_id_incidents", type_="foreignkey")
        batch.drop_constraint("fk_reports_created_by_users", type_="foreignkey")
        batch.drop_index("ix_reports_incident_id")
        for column in ("created_by", "caller_phone", "source", "incident_id"):
            batch.drop_column(column)
    for table in ("dispatches", "incidents", "units", "routing", "agencies", "users"):
        op.drop_table(table)
